#pragma once
// Asynchronous, deadline-bounded TCP and TLS client connections for the validators, as Asio
// C++20 coroutines: a validation waiting on the network holds no thread. Internal to va.
//
// Every validation attempt has one Attempt: its whole-attempt deadline (VaOptions::timeout,
// challenge and CAA together) and what it observed for the audit record. When the deadline
// passes, the attempt's watchdog aborts the one wait in progress (closes the socket, answers the
// DNS lookups outstanding), and that step fails with "...: timed out" (kConnection, or kDns for
// lookups), so an attempt never outlives its deadline by more than a scheduling delay.
// Threading: an Attempt and everything it drives live on one strand; not thread-safe.

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "core/result.h"
#include "va/http_response.h"

// FLINT_ASSIGN_OR_RETURN and FLINT_TRY for coroutines (co_return). The awaited value lands in a
// local before it is tested (STACK.md pitfall 10: g++ 12 miscompiles `if (!co_await f())`).
#define FLINT_CO_ASSIGN_OR_RETURN(lhs, expr) \
  FLINT_CO_ASSIGN_OR_RETURN_IMPL_(FLINT_CONCAT_(flint_co_aor_, __LINE__), lhs, expr)
#define FLINT_CO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) co_return std::move(tmp).error();      \
  lhs = std::move(tmp).value()
#define FLINT_CO_TRY(expr)                                              \
  do {                                                                  \
    auto flint_co_try_ = (expr);                                        \
    if (!flint_co_try_.ok()) co_return std::move(flint_co_try_).error(); \
  } while (0)

namespace flint::va::internal {

template <typename T>
using Task = boost::asio::awaitable<T>;

class Attempt {
 public:
  using Clock = std::chrono::steady_clock;
  // Starts the watchdog for `deadline` on `executor` (the attempt's strand). `tls` is the client
  // context connections of this attempt use; it must outlive the attempt.
  Attempt(boost::asio::any_io_executor executor, Clock::time_point deadline,
          boost::asio::ssl::context& tls);
  ~Attempt();
  Attempt(const Attempt&) = delete;
  Attempt& operator=(const Attempt&) = delete;

  boost::asio::any_io_executor executor() const { return executor_; }
  boost::asio::ssl::context& tls() { return tls_; }
  bool expired() const;
  // What the step now waiting does if the deadline passes (at most one at a time); nullptr
  // when it is done waiting.
  void SetAbort(std::function<void()> abort);
  // What the step now waiting does if the attempt is destroyed unfinished (the VA shutting
  // down): stop callbacks from other threads reaching it. Run by the destructor.
  void SetDetach(std::function<void()> detach) { detach_ = std::move(detach); }

  // For the audit record (ra::PerspectiveReport): addresses resolved for targets, and DNS
  // records seen (TXT, CAA) as text, in the order seen.
  std::vector<std::string> addresses;
  std::vector<std::string> records;

 private:
  struct Watch;
  boost::asio::any_io_executor executor_;
  boost::asio::ssl::context& tls_;
  std::shared_ptr<Watch> watch_;
  std::function<void()> detach_;
};

// A connected TCP socket, optionally with TLS on it.
class Conn {
 public:
  explicit Conn(boost::asio::ip::tcp::socket socket);
  ~Conn();
  Conn(Conn&&) noexcept;

  struct TlsOptions {
    std::string sni;        // server name to send; empty: no SNI
    std::string alpn_wire;  // ALPN protocol list in wire format; empty: no ALPN
  };
  // A TLS 1.2+ client handshake with certificate verification DISABLED: the validators never
  // trust a certificate for authentication (RFC 8555 §8.3 redirects to https, RFC 8737
  // self-signed validation certificates). kTls on handshake failure, kConnection on timeout.
  Task<core::Result<void>> Handshake(Attempt& at, const TlsOptions& options);
  // kConnection (or kTls) on failure or at the deadline.
  Task<core::Result<void>> WriteAll(Attempt& at, std::string_view data);
  // Up to `max` bytes; empty once the peer has closed.
  Task<core::Result<std::string>> ReadSome(Attempt& at, size_t max);
  // The TLS session after Handshake; nullptr for plain TCP.
  SSL* ssl();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Connects to the first IPv6 address and, failing that, the first IPv4 address (as Boulder
// does). kConnection naming "ip:port" if none answers: refused, unreachable, or timed out.
Task<core::Result<Conn>> ConnectFirst(Attempt& at, const std::vector<std::string>& addresses,
                                      uint16_t port);

// Sends "GET <target> HTTP/1.1" with the given Host and reads the response (ParseHttpResponse).
Task<core::Result<HttpResponse>> HttpGet(Attempt& at, Conn& conn, const std::string& host_header,
                                         const std::string& target, size_t max_body);

}  // namespace flint::va::internal
