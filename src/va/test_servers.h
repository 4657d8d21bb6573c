#pragma once
// Test-only loopback servers for the VA tests (compiled into va_test only): a plain HTTP/1.1
// server, a TLS server (acme-tls/1 or HTTP over TLS), and a builder for tls-alpn-01 certificates.
// Every server binds 127.0.0.1 port 0 and serves connections on one background thread until it
// is destroyed.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flint::va::testing {

struct HttpRequest {
  std::string target;  // request-target, e.g. "/.well-known/acme-challenge/abc"
  std::string host;    // Host header value
};

// A raw HTTP response: "HTTP/1.1 <status> X\r\nContent-Length: ...\r\n<extra>\r\n<body>".
std::string HttpReply(int status, const std::string& body, const std::string& extra_headers = "");

using HttpHandler = std::function<std::string(const HttpRequest&)>;

// Reads one request from an established connection, via the given read/write functions.
void ServeHttpExchange(const std::function<int(char*, int)>& read,
                       const std::function<void(const std::string&)>& write,
                       const HttpHandler& handler, std::vector<HttpRequest>* log,
                       std::mutex* log_mu);

// Accept loop shared by the servers: calls `serve(fd)` for each connection on its thread.
class LoopbackListener {
 public:
  LoopbackListener();
  ~LoopbackListener();
  uint16_t port() const { return port_; }
  void Start(std::function<void(int fd)> serve);
  // Stops accepting and joins the thread (idempotent; the destructor calls it).
  void Stop();

 private:
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;
};

class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(HttpHandler handler);
  uint16_t port() const { return listener_.port(); }
  std::vector<HttpRequest> requests() const;

 private:
  HttpHandler handler_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;
  LoopbackListener listener_;  // last: stops before the members it uses are destroyed
};

struct TlsServerConfig {
  X509* cert = nullptr;      // borrowed; must outlive the server
  EVP_PKEY* key = nullptr;   // borrowed
  bool offer_acme_tls = true;  // select "acme-tls/1" when the client offers it
  HttpHandler http;            // if set, serve one HTTP request after the handshake
};

class LoopbackTlsServer {
 public:
  explicit LoopbackTlsServer(TlsServerConfig config);
  ~LoopbackTlsServer();
  uint16_t port() const { return listener_.port(); }
  // Server names (SNI) received so far, one per handshake ("" when none was sent).
  std::vector<std::string> server_names() const;
  std::vector<HttpRequest> requests() const;

 private:
  void Serve(int fd);
  static int OnServerName(struct ssl_st* ssl, int* alert, void* arg);
  TlsServerConfig config_;
  void* ctx_ = nullptr;  // SSL_CTX*
  mutable std::mutex mu_;
  std::vector<std::string> server_names_;
  std::vector<HttpRequest> requests_;
  LoopbackListener listener_;
};

// A P-256 key and a self-signed certificate for tls-alpn-01 tests (RFC 8737 §3).
struct CertSpec {
  std::vector<std::string> dns_names;  // dNSName SAN entries
  std::vector<std::string> ips;        // iPAddress SAN entries
  bool with_acme_identifier = true;
  bool acme_identifier_critical = true;
  std::string acme_identifier_der;  // the extnValue: DER OCTET STRING of SHA-256(key auth)
};
struct TestCert {
  TestCert() = default;
  TestCert(const TestCert&) = delete;
  TestCert& operator=(const TestCert&) = delete;
  ~TestCert();
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};
void MakeTestCert(const CertSpec& spec, TestCert* out);
// DER OCTET STRING wrapping SHA-256(key_authorization), as RFC 8737 §3 requires.
std::string AcmeIdentifierValue(const std::string& key_authorization);

}  // namespace flint::va::testing
