#pragma once
// flint's validation authority: proves control of identifiers (RFC 8555 §8) and checks CAA
// (RFC 8659, RFC 8657) before issuance.
//
//   http-01     RFC 8555 §8.3, for DNS names and IP addresses (RFC 8738 §7)
//   dns-01      RFC 8555 §8.4, for DNS names only
//   tls-alpn-01 RFC 8737, for DNS names and IP addresses (RFC 8738 §6)
//   dns-account-01  draft-ietf-acme-dns-account-label-01, for DNS names only
//
// Asynchronous: every validation is an Asio C++20 coroutine on the VA's own io_context
// (VaOptions::io_threads threads), so a validation waiting on the network holds no thread and
// thousands can be in flight (docs/VALIDATION.md states the memory each costs). Each attempt,
// the challenge and then CAA, runs under one deadline (VaOptions::timeout); the CAA lookups of
// every label of the name run in parallel. At most VaOptions::max_in_flight attempts run at
// once; beyond that they wait and start round-robin across accounts (va/fair_scheduler.h).
// Blocking forms (Validate, CheckCaa) wait for the asynchronous ones, for the CLI and tests.
// Thread-safe.
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
#include <functional>
#include <memory>
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
  // Bound on one whole validation attempt: every lookup, connect, TLS handshake, redirect and
  // read of the challenge, and the CAA check after it. 20 s: room for a slow but honest server
  // behind a DNS lookup that needs a retry (the resolver gives one query 10 s), while a client
  // polling its challenge hears the outcome within a few polls.
  std::chrono::milliseconds timeout{20000};
  // Threads running the validation coroutines (they mostly wait on the network).
  int io_threads = 1;
  // Validation attempts running at once; more wait, served round-robin across accounts.
  size_t max_in_flight = 1000;
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

// What one attempt did, for the validation audit record (ra::PerspectiveReport).
struct ValidationReport {
  core::Result<void> result = core::Ok();  // the errors listed above
  std::vector<std::string> addresses;      // addresses resolved (or literal) for the targets
  std::vector<std::string> records;        // TXT and CAA records seen, as text
  std::chrono::milliseconds elapsed{0};    // from the attempt's start (not its wait in line)
};

// One attempt's input; see ValidationAuthority::Validate for the fields.
struct ValidationJob {
  core::Identifier identifier;
  bool wildcard = false;
  core::ChallengeType type = core::ChallengeType::kHttp01;
  std::string token;
  std::string key_authorization;
  std::string account_uri;  // also the key of fair scheduling
  bool check_caa = true;    // ValidateAsync: check CAA after the challenge passes
};

class ValidationAuthority {
 public:
  using Done = std::function<void(ValidationReport)>;

  // `resolver` must outlive this object. Starts options.io_threads threads.
  ValidationAuthority(VaOptions options, Resolver& resolver);
  // Stops the threads. Attempts still queued or running are dropped: their `done` is never
  // called.
  ~ValidationAuthority();
  ValidationAuthority(const ValidationAuthority&) = delete;
  ValidationAuthority& operator=(const ValidationAuthority&) = delete;

  // Queues the challenge `job.type` for `job.identifier`, then (if job.check_caa) CAA, as one
  // attempt under options.timeout; returns at once. `done` is called exactly once, on a VA
  // thread, and must not block.
  void ValidateAsync(ValidationJob job, Done done) const;
  // Queues the CAA check alone (as CheckCaa below), under the same deadline and scheduling.
  void CheckCaaAsync(ValidationJob job, Done done) const;

  // Attempts running now, and waiting for a slot.
  size_t in_flight() const;
  size_t queued() const;

  // Blocking: runs one challenge of `type` for `id` and returns Ok if the response proves control.
  // Never call it from a `done` callback (it would wait for its own thread).
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

  const VaOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flint::va
