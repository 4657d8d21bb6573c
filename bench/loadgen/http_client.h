#pragma once
// A minimal blocking HTTPS/1.1 client for the load generator: one TLS connection per object,
// reused across requests (persistent connections, RFC 9112 §9.3) and reopened when the server
// closes it. It only ever connects to 127.0.0.1, whatever host name the URL carries (the name is
// still used for SNI, certificate verification and the Host header). Not thread-safe: one per
// worker thread. Bodies may be delimited by Content-Length, chunked coding or connection close
// (RFC 9112 §6.3). Every socket read and write is bounded by the timeout given.

#include <openssl/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace flint::bench {

// An https URL on the loopback host. Parse() accepts only https://HOST[:PORT]/PATH with HOST
// "localhost" or "127.0.0.1" (kMalformed otherwise): the load generator never leaves this machine.
struct Url {
  std::string host;  // as written in the URL; used for SNI, verification and Host
  uint16_t port = 443;
  std::string target;  // path and query, at least "/"

  static core::Result<Url> Parse(std::string_view url);
  std::string Origin() const;  // "https://host:port"
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The first value of the header `lower_name`, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
};

// An OpenSSL client context trusting the PEM roots in `ca_file` (TLS 1.2+, hostname checked), or
// trusting anything when `insecure`. Errors: kMalformed if the file cannot be loaded.
core::Result<std::shared_ptr<SSL_CTX>> MakeTlsClientContext(const std::string& ca_file,
                                                            bool insecure);

class HttpsConnection {
 public:
  HttpsConnection(std::shared_ptr<SSL_CTX> ctx, std::string host, uint16_t port,
                  std::chrono::milliseconds timeout);
  ~HttpsConnection();
  HttpsConnection(const HttpsConnection&) = delete;
  HttpsConnection& operator=(const HttpsConnection&) = delete;

  // Sends one request and reads its response. A request on a reused connection that fails
  // before any response byte arrives (the server closed it meanwhile) is sent once more on a new
  // connection. Errors: kConnection (connect, reset, EOF), kTls (handshake, verification),
  // kMalformed (unparsable response); the connection is closed after any error.
  core::Result<HttpResponse> Send(std::string_view method, std::string_view target,
                                  std::string_view content_type, std::string_view body);

  int connects() const { return connects_; }

 private:
  core::Result<void> Connect();
  void Close();
  core::Result<void> WriteAll(std::string_view data);
  // Appends at least one byte to buf_; kConnection on EOF, timeout or error.
  core::Result<void> ReadMore();
  core::Result<HttpResponse> ReadResponse(bool head_request, bool* got_bytes);
  core::Result<std::string> ReadChunkedBody();
  core::Result<std::string> ReadLine();

  std::shared_ptr<SSL_CTX> ctx_;
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  int requests_on_connection_ = 0;
  int connects_ = 0;
  bool timed_out_ = false;  // the last read failed because the timeout expired
  std::string buf_;  // received, not yet consumed
};

}  // namespace flint::bench
