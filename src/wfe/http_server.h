#pragma once
// flint's HTTP/1.1 server (RFC 9112), over TLS 1.2+ by default (DESIGN.md "Security rules").
//
// Each connection is a C++20 coroutine on one of `io_threads` single-threaded io_contexts; the
// blocking Handler runs on a separate pool of `worker_threads`, never on an I/O thread. Requests on
// one connection are served strictly in order (keep-alive and pipelining). Defences:
//   - header bytes over `max_header_bytes` -> 431, body over `max_body_bytes` -> 413, each with an
//     RFC 7807 problem document of ACME type malformed (written by
//     wfe/problem.h, with the headers of SetErrorHeaders), then close after draining what the
//     client still sends for up to 5 s, so a client that uploads before reading gets the answer;
//   - any parse error, an HTTP/1.1 request without exactly one Host (RFC 9112 §3.2), duplicate
//     Content-Length, Content-Length with Transfer-Encoding, or a Transfer-Encoding other than
//     chunked (RFC 9112 §6.1, §6.3) -> 400 and close;
//   - the TLS handshake and every request (from its first byte to its end) must finish within
//     `request_deadline` (defeats slowloris); a connection idle for `idle_timeout` is closed;
//   - at most `max_connections` at once. When full, a new connection takes the slot of the
//     oldest idle one (between requests, or still handshaking), which is closed; only when every
//     connection is in the middle of a request is the new one accepted and closed at once;
//   - at most `max_connections_per_ip` from one client address, so one client cannot take
//     every slot; and a keep-alive connection ends (`Connection: close`) after
//     `max_requests_per_connection` requests or once `max_connection_age` old, so none is held
//     forever;
//   - with `proxy_protocol`, each connection must start with a PROXY protocol v2 header
//     (wfe/proxy_protocol.h), whose source address is the client's for logs and the
//     per-address limit; a connection without a valid one is closed.
// One log line per request (spdlog, info): method, path without query, status, the handler's
// log_account/log_problem, duration and remote address. Bodies are never logged. The same facts
// go to the RequestObserver, if one is set.
//
// The implementation (Boost.Beast/Asio) lives only in http_server.cc.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/durability.h"
#include "core/result.h"
#include "wfe/http_types.h"

namespace flint::wfe {

struct HttpServerOptions {
  std::string listen_host;   // IP literal or name; empty = all interfaces ("::", else "0.0.0.0")
  uint16_t listen_port = 0;  // 0 = ephemeral; see HttpServer::port()
  std::string tls_cert_chain_pem;  // leaf first
  std::string tls_key_pem;
  bool tls = true;  // false only behind a TLS-terminating proxy
  int io_threads = 0;      // 0: one per core
  int worker_threads = 0;  // 0: two per core
  size_t max_header_bytes = 8192;
  size_t max_body_bytes = 64 * 1024;
  std::chrono::seconds request_deadline{10};  // also bounds the TLS handshake and each write
  std::chrono::seconds idle_timeout{30};      // between requests on a keep-alive connection
  int max_connections = 4096;
  int max_connections_per_ip = 0;  // 0: no per-address limit
  int max_requests_per_connection = 1000;
  std::chrono::seconds max_connection_age{300};
  // Only behind a balancer that sends the header (HAProxy `send-proxy-v2`) on every connection.
  bool proxy_protocol = false;
  // Stop() waits at most this long for in-flight requests before closing what is left.
  std::chrono::seconds shutdown_grace{20};
  // Optional, not owned, must outlive the server. When set, a Handler's response is sent only
  // once every write it could have seen is durable, and as a 500 serverInternal problem if that
  // cannot be ensured; the worker thread moves on meanwhile. InlineHandler responses do not
  // wait (they must not depend on storage).
  core::DurabilityBarrier* durability = nullptr;
};

// Start() and Stop() must not be called concurrently with each other; everything else is internal.
class HttpServer {
 public:
  // `handler` is called for every well-formed request; see Handler in http_types.h.
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();  // Stop()s
  // Optional; set before Start(). See InlineHandler in http_types.h.
  void SetInlineHandler(InlineHandler inline_handler);
  // Optional; set before Start(). See ErrorHeaders in http_types.h.
  void SetErrorHeaders(ErrorHeaders error_headers);
  // Optional; set before Start(). See RequestObserver in http_types.h.
  void SetRequestObserver(RequestObserver observer);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS key and chain, binds, starts the I/O and worker threads and returns once the
  // socket is listening. Ignores SIGPIPE process-wide. kInternal on a bad key/certificate, a bind
  // failure, or a second call.
  [[nodiscard]] core::Result<void> Start();

  // The bound port (the ephemeral one when listen_port was 0); 0 before a successful Start().
  uint16_t port() const;

  // Graceful: stops accepting, closes idle connections, lets requests already being read or
  // handled finish (their responses carry `Connection: close`) for up to `shutdown_grace`, then
  // closes the rest and joins all threads. A handler still running is waited for. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flint::wfe
