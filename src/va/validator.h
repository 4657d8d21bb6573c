#pragma once
// flint's validation authority: proves control of identifiers (RFC 8555 §8) and checks CAA
// (RFC 8659, RFC 8657) before issuance.
//
//   http-01     RFC 8555 §8.3, for DNS names and IP addresses (RFC 8738 §7)
//   dns-01      RFC 8555 §8.4, for DNS names only
//   tls-alpn-01 RFC 8737, for DNS names and IP addresses (RFC 8738 §6)
//   dns-account-01  draft-ietf-acme-dns-account-label-01, for DNS names only
//
// Every call BLOCKS for at most about VaOptions::timeout (DNS lookups are bounded by the
// Resolver's own timeout); callers run it on a validation worker pool. Thread-safe: const methods
// over immutable options and a thread-safe Resolver.
//
// Errors (core::ErrorType), as an ACME client sees them in the challenge's `error`:
//   kDns               lookup failed (SERVFAIL, timeout, no addresses for the name)
//   kConnection        could not connect, timed out, reset, disallowed (non-public) address,
//                      disallowed redirect (scheme, port, too many, loop), malformed HTTP response
//   kTls               TLS handshake failed, or acme-tls/1 not negotiated (tls-alpn-01)
//   kUnauthorized      http-01 status other than 200; no TXT records (dns-01); tls-alpn-01
//                      certificate without exactly one matching SAN or without a critical,
//                      well-formed acmeIdentifier extension
//   kIncorrectResponse a response was received but carries the wrong key authorization / digest
//   kCaa               a CAA record set forbids issuance (CheckCaa)
//   kMalformed         the token is not base64url, or the identifier is not a valid name / IP
// Details name the URL, name or address involved, never anything of flint's own network.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "va/resolver.h"

namespace flint::va {

struct VaOptions {
  uint16_t http01_port = 80;      // http-01 target port (RFC 8555 §8.3 says 80; tests change it)
  uint16_t tlsalpn01_port = 443;  // tls-alpn-01 target port (RFC 8737 §3 says 443)
  // When false, every address the VA would connect to must pass policy::IsPublicAddress().
  bool allow_private_targets = false;
  // Bound on one whole validation attempt (connects, TLS, redirects, reads), DNS excluded.
  std::chrono::milliseconds timeout{10000};
  // http-01 bodies beyond this are not read (a key authorization is ~87 bytes).
  size_t max_http_body = 64 * 1024;
  // http-01 redirects followed before giving up with kConnection.
  int max_redirects = 10;
  // CAA issuer domain names that identify this CA (RFC 8659 §4.2), e.g. "flint.test".
  std::vector<std::string> caa_identities;
};

// draft-ietf-acme-dns-account-label-01 §3.1: the label of the account `account_uri` under
// which its dns-account-01 record lives: "_" + lowercase base32 (RFC 4648 §6, unpadded) of the
// first 10 bytes of SHA-256(account_uri). The record is at <label>._acme-challenge.<name>.
std::string DnsAccountLabel(std::string_view account_uri);

class ValidationAuthority {
 public:
  // `resolver` must outlive this object.
  ValidationAuthority(VaOptions options, Resolver& resolver);

  // Runs one challenge of `type` for `id` and returns Ok if the response proves control.
  // `id.value` is the name being validated: for a wildcard authorization the base name (a leading
  // "*." is tolerated and removed). `token` is the challenge token and `key_authorization` is
  // token || '.' || base64url(JWK thumbprint) (RFC 8555 §8.1). `account_uri` is the account's
  // URL, which names the record dns-account-01 looks up (unused by the other types).
  core::Result<void> Validate(const core::Identifier& id, core::ChallengeType type,
                              const std::string& token, const std::string& key_authorization,
                              const std::string& account_uri = {}) const;

  // RFC 8659 §3: may this CA issue for `id`? `wildcard` selects issuewild processing;
  // `account_uri` and `method` are matched against RFC 8657 accounturi / validationmethods.
  // Ok for IP identifiers (CAA does not apply). kCaa when forbidden, kDns when a lookup fails
  // (RFC 8659 §3: issuance must not proceed on a lookup failure).
  core::Result<void> CheckCaa(const core::Identifier& id, bool wildcard,
                              const std::string& account_uri, core::ChallengeType method) const;

  const VaOptions& options() const { return options_; }

 private:
  VaOptions options_;
  Resolver& resolver_;
};

}  // namespace flint::va
