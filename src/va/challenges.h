#pragma once
// Internal to va: the individual challenge validators behind ValidationAuthority, and the helpers
// they share (target resolution under the address policy, connecting, digests).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "va/net.h"
#include "va/resolver.h"
#include "va/validator.h"

namespace flint::va::internal {

// RFC 8555 §8.3 (and RFC 8738 §7 for IP identifiers).
core::Result<void> ValidateHttp01(const VaOptions& options, Resolver& resolver,
                                  const core::Identifier& id, const std::string& token,
                                  const std::string& key_authorization);

// RFC 8555 §8.4, and draft-ietf-acme-dns-account-label-01 §3.2 (the same check at the
// account's label): one TXT record at `query` must be base64url(SHA-256(key authorization)).
core::Result<void> ValidateDns01(Resolver& resolver, const std::string& query,
                                 const std::string& key_authorization);

// RFC 8737 (and RFC 8738 §6 for IP identifiers).
core::Result<void> ValidateTlsAlpn01(const VaOptions& options, Resolver& resolver,
                                     const core::Identifier& id,
                                     const std::string& key_authorization);

// The addresses to try for `host`: the literal itself when `host_is_ip`, else its A/AAAA records;
// without options.allow_private_targets only public ones. kDns when the lookup fails or finds
// nothing; kConnection when every address is refused by the address policy.
core::Result<std::vector<std::string>> ResolveTargets(const VaOptions& options,
                                                      Resolver& resolver,
                                                      const std::string& host, bool host_is_ip);

// Connects to the first IPv6 address and, failing that, the first IPv4 address (as Boulder
// does). Returns the last kConnection error if none answers.
core::Result<Fd> ConnectFirst(const std::vector<std::string>& addresses, uint16_t port,
                              const Deadline& deadline);

// SHA-256 of `data`, raw 32 bytes.
std::string Sha256(std::string_view data);
// RFC 4648 §5 base64url without padding.
std::string Base64Url(std::string_view data);

// A DNS identifier safe to put in a Host header, SNI or DNS query: letters, digits, '-', '_' and
// dots, 1..253 bytes, no empty label. Lowercases; strips one leading "*." and one trailing dot.
core::Result<std::string> NormalizeDnsName(std::string_view name);

// An IP identifier's canonical text; kMalformed if `value` is not an IP literal.
core::Result<std::string> NormalizeIp(std::string_view value);

// `s` cut to at most `max` bytes for an error detail, with non-printable bytes replaced by '?'.
std::string Excerpt(std::string_view s, size_t max);

}  // namespace flint::va::internal
