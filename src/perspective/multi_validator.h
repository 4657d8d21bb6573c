#pragma once
// Multi-perspective validation (CA/Browser Forum Baseline Requirements §3.2.2.9) behind the RA's
// Validator seam (ra/validator.h): each request goes at once to the primary perspective (the
// CA's own validator, e.g. cmd::VaValidator) and, over mutual TLS (perspective/credentials.h,
// perspective/wire.h), to every remote perspective (`flint va-agent`); perspective/quorum.h
// combines the reports.
//
// Asynchronous: the remote requests are Beast client coroutines on this object's own
// io_context (one thread), so a slow or dead agent holds no thread, only a socket and a timer.
// One overall deadline (`timeout`, from the moment the request arrives) bounds every
// perspective, the primary included: a perspective without an answer by then is recorded as not
// corroborating ("no answer within ..."), and the completion runs at the deadline at the latest.
// A late answer is dropped.
//
// Thread-safe. The destructor stops the remote requests in flight (their completions are never
// called) and then destroys the primary validator.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "perspective/credentials.h"
#include "ra/validator.h"

namespace flint::perspective {

// One `--perspective NAME=https://HOST:PORT`.
struct RemoteEndpoint {
  std::string name;  // checked against the agent certificate's dNSName
  std::string host;  // where to connect (a name, an IPv4 or a bracketless IPv6 literal)
  uint16_t port = 0;
  std::string url;   // as configured; for the audit record and logs only, never the client
};

// Parses "NAME=https://HOST:PORT" (an optional trailing "/"; no path, query or userinfo).
// kMalformed saying what is wrong.
core::Result<RemoteEndpoint> ParsePerspectiveFlag(std::string_view flag);

struct MultiPerspectiveOptions {
  std::vector<RemoteEndpoint> remotes;  // distinct names
  std::chrono::milliseconds timeout{20000};
  // The CA's CAA identities (RFC 8659 §4.2), sent with each request (perspective/wire.h).
  std::vector<std::string> caa_identities;
};

class MultiPerspectiveValidator final : public ra::Validator {
 public:
  // kMalformed for duplicate names; kInternal when the TLS context cannot be built.
  static core::Result<std::unique_ptr<MultiPerspectiveValidator>> Create(
      MultiPerspectiveOptions options, const TlsIdentity& client,
      std::unique_ptr<ra::Validator> primary);
  ~MultiPerspectiveValidator() override;

  void Validate(ra::ValidationRequest request, Completion done) const override;
  void CheckCaa(ra::ValidationRequest request, Completion done) const override;

  struct Impl;

 private:
  explicit MultiPerspectiveValidator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flint::perspective
