#pragma once
// Internal to va: the individual challenge validators and the CAA check behind
// ValidationAuthority, as coroutines over one Attempt (va/net.h: deadline, abort, what was
// seen), and the helpers they share (DNS lookups under the deadline, target resolution under the
// address policy, digests).

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
Task<core::Result<void>> ValidateHttp01(Attempt& at, const VaOptions& options,
                                        Resolver& resolver, const core::Identifier& id,
                                        const std::string& token,
                                        const std::string& key_authorization);

// RFC 8555 §8.4, and draft-ietf-acme-dns-account-label-01 §3.2 (the same check at the
// account's label): one TXT record at `query` must be base64url(SHA-256(key authorization)).
Task<core::Result<void>> ValidateDns01(Attempt& at, Resolver& resolver, const std::string& query,
                                       const std::string& key_authorization);

// RFC 8737 (and RFC 8738 §6 for IP identifiers).
Task<core::Result<void>> ValidateTlsAlpn01(Attempt& at, const VaOptions& options,
                                           Resolver& resolver, const core::Identifier& id,
                                           const std::string& key_authorization);

// RFC 8659 §3 with RFC 8657: the CAA lookups of every label of the name run in parallel, and the
// relevant record set is the first non-empty one from the bottom (the name itself) up, stopping
// before the root. A failed lookup at or below that label is kDns (RFC 8659 §3: a failure must
// not be taken as permission); one above it does not matter.
Task<core::Result<void>> CheckCaa(Attempt& at, const VaOptions& options, Resolver& resolver,
                                  const core::Identifier& id, bool wildcard,
                                  const std::string& account_uri, core::ChallengeType method);

// Lookups under the attempt's deadline: at the deadline an outstanding one is kDns
// "query timed out". Each records what it saw in `at` (addresses, records).
Task<core::Result<std::vector<std::string>>> LookupIp(Attempt& at, Resolver& resolver,
                                                      const std::string& name);
Task<core::Result<std::vector<std::string>>> LookupTxt(Attempt& at, Resolver& resolver,
                                                       const std::string& name);
// One result per name, in order, looked up concurrently.
Task<std::vector<core::Result<CaaAnswer>>> LookupCaaAll(Attempt& at, Resolver& resolver,
                                                        const std::vector<std::string>& names);

// The addresses to try for `host`: the literal itself when `host_is_ip`, else its A/AAAA records;
// without options.allow_private_targets only public ones. kDns when the lookup fails or finds
// nothing; kConnection when every address is refused by the address policy.
Task<core::Result<std::vector<std::string>>> ResolveTargets(Attempt& at, const VaOptions& options,
                                                            Resolver& resolver,
                                                            const std::string& host,
                                                            bool host_is_ip);
// The policy step of ResolveTargets over `addresses` already resolved for `host`.
core::Result<std::vector<std::string>> FilterTargets(const VaOptions& options,
                                                     const std::string& host,
                                                     std::vector<std::string> addresses);
// ResolveTargets with the resolver's blocking lookup (tests).
core::Result<std::vector<std::string>> ResolveTargets(const VaOptions& options,
                                                      Resolver& resolver,
                                                      const std::string& host, bool host_is_ip);

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

// A CAA record as text for the audit record: `flags tag "value"` (RFC 8659 §4.1 presentation).
std::string CaaRecordText(const CaaRecord& record);

}  // namespace flint::va::internal
