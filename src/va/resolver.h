#pragma once
// DNS lookups the validation authority needs: addresses for http-01 and tls-alpn-01 (RFC 8555
// §8.3, RFC 8737), TXT for dns-01 (RFC 8555 §8.4) and CAA (RFC 8659). `Resolver` is the injected
// interface (tests use va/fake_resolver.h); `UnboundResolver` is the libunbound implementation.
//
// Error contract for every lookup: a name that does not exist (NXDOMAIN) or has no records of the
// type (NODATA) is an empty, successful answer; SERVFAIL, REFUSED, timeouts, a DNSSEC-bogus answer
// or an unparsable record are ErrorType::kDns, with a detail fit for the ACME client.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace flint::va {

// RFC 8659 §4.1: one CAA resource record.
struct CaaRecord {
  uint8_t flags = 0;  // bit 128 = Issuer Critical
  std::string tag;    // as received (compare case-insensitively)
  std::string value;  // raw value bytes
  friend bool operator==(const CaaRecord&, const CaaRecord&) = default;
};

struct CaaAnswer {
  std::vector<CaaRecord> records;  // empty: no CAA records at this name
};

// Thread-safe: the validation authority calls it from several threads at once.
//
// Each lookup comes in two forms: blocking (LookupIp, ...) and asynchronous (LookupIpAsync, ...),
// which returns at once and calls `done` exactly once, on any thread (possibly before it
// returns), with what the blocking form would have returned. `done` must not block. The
// asynchronous forms default to calling the blocking one inline (fine for in-memory fakes);
// UnboundResolver implements them without holding a thread while the query is out.
class Resolver {
 public:
  template <typename T>
  using Callback = std::function<void(core::Result<T>)>;

  virtual ~Resolver() = default;
  // A and AAAA records of `name`, canonical text ("192.0.2.1", "2001:db8::1"), IPv4 first.
  virtual core::Result<std::vector<std::string>> LookupIp(const std::string& name) = 0;
  // TXT records of `name` after following CNAMEs; each record's character-strings concatenated.
  virtual core::Result<std::vector<std::string>> LookupTxt(const std::string& name) = 0;
  // CAA records of `name` after following CNAMEs (RFC 8659 §3).
  virtual core::Result<CaaAnswer> LookupCaa(const std::string& name) = 0;

  virtual void LookupIpAsync(const std::string& name, Callback<std::vector<std::string>> done) {
    done(LookupIp(name));
  }
  virtual void LookupTxtAsync(const std::string& name, Callback<std::vector<std::string>> done) {
    done(LookupTxt(name));
  }
  virtual void LookupCaaAsync(const std::string& name, Callback<CaaAnswer> done) {
    done(LookupCaa(name));
  }
};

// libunbound-backed resolver. One ub_ctx shared by all threads: queries are started with
// ub_resolve_async and their answers delivered by one internal thread (which also runs the
// asynchronous forms' callbacks), so every lookup is bounded by `timeout` (a query that runs out
// of time is answered kDns "query timed out"; its late answer is discarded).
//
// "test." (RFC 6761) is resolved like any other name (libunbound would otherwise answer NXDOMAIN
// itself), so test setups can use "*.test" names; invalid. and localhost. keep libunbound's local
// answers (NXDOMAIN, loopback), which the address policy refuses anyway.
// DNSSEC: no trust anchor is configured, so answers are never validated; should one be added
// later, bogus answers already map to kDns.
class UnboundResolver : public Resolver {
 public:
  // `forwarder`: "HOST:PORT", "HOST" (port 53) or "[V6]:PORT" of a recursive resolver to forward
  // every query to; empty to use the system's resolvers from /etc/resolv.conf.
  // kInternal if libunbound rejects the configuration.
  static core::Result<std::unique_ptr<UnboundResolver>> Create(
      std::string forwarder,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // Lookups still out are dropped: their callbacks are never called. Destroy the resolver after
  // everything that waits on it.
  ~UnboundResolver() override;
  UnboundResolver(const UnboundResolver&) = delete;
  UnboundResolver& operator=(const UnboundResolver&) = delete;

  core::Result<std::vector<std::string>> LookupIp(const std::string& name) override;
  core::Result<std::vector<std::string>> LookupTxt(const std::string& name) override;
  core::Result<CaaAnswer> LookupCaa(const std::string& name) override;
  void LookupIpAsync(const std::string& name, Callback<std::vector<std::string>> done) override;
  void LookupTxtAsync(const std::string& name, Callback<std::vector<std::string>> done) override;
  void LookupCaaAsync(const std::string& name, Callback<CaaAnswer> done) override;

  struct Impl;

 private:
  explicit UnboundResolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Wire-format rdata parsers, exposed for tests and fuzzing. kDns on malformed input.
// RFC 1035 §3.3.14: TXT rdata is one or more <character-string>s; returns them concatenated.
core::Result<std::string> ParseTxtRdata(std::string_view rdata);
// RFC 8659 §4.1: flags (1 octet), tag length (1 octet, 1..255), tag, value (rest).
core::Result<CaaRecord> ParseCaaRdata(std::string_view rdata);

}  // namespace flint::va
