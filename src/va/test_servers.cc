#include "va/test_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace flint::va::testing {
namespace {

void SetSocketTimeouts(int fd) {
  // A safety net so a confused test cannot hang a server thread forever.
  timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

std::string HeaderValue(const std::string& head, const std::string& name) {
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    if (strncasecmp(head.c_str() + pos, (name + ":").c_str(), name.size() + 1) == 0) {
      size_t start = pos + name.size() + 1;
      while (start < head.size() && head[start] == ' ') ++start;
      return head.substr(start, head.find("\r\n", start) - start);
    }
  }
  return "";
}

int AlpnSelect(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void* arg) {
  auto* config = static_cast<TlsServerConfig*>(arg);
  for (unsigned i = 0; i < inlen; i += 1 + in[i]) {
    std::string proto(reinterpret_cast<const char*>(in + i + 1), in[i]);
    if ((proto == "acme-tls/1" && config->offer_acme_tls) ||
        (proto == "http/1.1" && config->http)) {
      *out = in + i + 1;
      *outlen = in[i];
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

std::string HttpReply(int status, const std::string& body, const std::string& extra_headers) {
  return "HTTP/1.1 " + std::to_string(status) + " Test\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

void ServeHttpExchange(const std::function<int(char*, int)>& read,
                       const std::function<void(const std::string&)>& write,
                       const HttpHandler& handler, std::vector<HttpRequest>* log,
                       std::mutex* log_mu) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
    int n = read(buf, sizeof(buf));
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  HttpRequest request;
  size_t sp1 = head.find(' ');
  size_t sp2 = head.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return;
  request.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  request.host = HeaderValue(head, "Host");
  {
    std::lock_guard<std::mutex> lock(*log_mu);
    log->push_back(request);
  }
  std::string response = handler(request);
  if (response.empty()) {
    // Never answer: hold the connection until the client gives up.
    while (read(buf, sizeof(buf)) > 0) {
    }
    return;
  }
  write(response);
}

LoopbackListener::LoopbackListener() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      pipe(stop_pipe_) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
}

void LoopbackListener::Start(std::function<void(int fd)> serve) {
  thread_ = std::thread([this, serve = std::move(serve)] {
    // The server side may write to a connection the VA already closed: keep SIGPIPE on this
    // thread only, so a SIGPIPE raised by the code under test still fails the test.
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno == EINTR) continue;
      if ((fds[1].revents & POLLIN) != 0) return;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      SetSocketTimeouts(fd);
      serve(fd);
      close(fd);
    }
  });
}

void LoopbackListener::Stop() {
  if (thread_.joinable()) {
    char c = 0;
    (void)!write(stop_pipe_[1], &c, 1);
    thread_.join();
  }
}

LoopbackListener::~LoopbackListener() {
  Stop();
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

LoopbackHttpServer::LoopbackHttpServer(HttpHandler handler) : handler_(std::move(handler)) {
  listener_.Start([this](int fd) {
    ServeHttpExchange([fd](char* buf, int n) { return static_cast<int>(recv(fd, buf, n, 0)); },
                      [fd](const std::string& s) { send(fd, s.data(), s.size(), MSG_NOSIGNAL); },
                      handler_, &requests_, &mu_);
  });
}

std::vector<HttpRequest> LoopbackHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

LoopbackTlsServer::LoopbackTlsServer(TlsServerConfig config) : config_(std::move(config)) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, config_.cert);
  SSL_CTX_use_PrivateKey(ctx, config_.key);
  SSL_CTX_set_alpn_select_cb(ctx, AlpnSelect, &config_);
  // Record the SNI while the ClientHello is processed, before the client can finish.
  SSL_CTX_set_tlsext_servername_callback(ctx, &LoopbackTlsServer::OnServerName);
  SSL_CTX_set_tlsext_servername_arg(ctx, this);
  ctx_ = ctx;
  listener_.Start([this](int fd) { Serve(fd); });
}

LoopbackTlsServer::~LoopbackTlsServer() {
  listener_.Stop();
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

int LoopbackTlsServer::OnServerName(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<LoopbackTlsServer*>(arg);
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  std::lock_guard<std::mutex> lock(self->mu_);
  self->server_names_.push_back(sni != nullptr ? sni : "");
  return SSL_TLSEXT_ERR_OK;
}

void LoopbackTlsServer::Serve(int fd) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  SSL_set_fd(ssl, fd);
  int accepted = SSL_accept(ssl);
  if (accepted == 1 && config_.http) {
    ServeHttpExchange([ssl](char* buf, int n) { return SSL_read(ssl, buf, n); },
                      [ssl](const std::string& s) {
                        SSL_write(ssl, s.data(), static_cast<int>(s.size()));
                      },
                      config_.http, &requests_, &mu_);
  }
  if (accepted == 1) SSL_shutdown(ssl);
  SSL_free(ssl);
}

std::vector<std::string> LoopbackTlsServer::server_names() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_names_;
}

std::vector<HttpRequest> LoopbackTlsServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

TestCert::~TestCert() {
  X509_free(cert);
  EVP_PKEY_free(key);
}

std::string AcmeIdentifierValue(const std::string& key_authorization) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key_authorization.data()),
         key_authorization.size(), digest);
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(os, digest, sizeof(digest));
  unsigned char* der = nullptr;
  int len = i2d_ASN1_OCTET_STRING(os, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ASN1_OCTET_STRING_free(os);
  return out;
}

void MakeTestCert(const CertSpec& spec, TestCert* out) {
  out->key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  out->cert = cert;
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("acme tls test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, out->key);
  GENERAL_NAMES* sans = sk_GENERAL_NAME_new_null();
  for (const std::string& dns : spec.dns_names) {
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size()));
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    sk_GENERAL_NAME_push(sans, gn);
  }
  for (const std::string& ip : spec.ips) {
    unsigned char bytes[16];
    int len = 4;
    if (inet_pton(AF_INET, ip.c_str(), bytes) != 1) {
      inet_pton(AF_INET6, ip.c_str(), bytes);
      len = 16;
    }
    ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(os, bytes, len);
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
    sk_GENERAL_NAME_push(sans, gn);
  }
  if (sk_GENERAL_NAME_num(sans) > 0) {
    X509_add1_ext_i2d(cert, NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT);
  }
  GENERAL_NAMES_free(sans);
  if (spec.with_acme_identifier) {
    ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
    ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(value,
                          reinterpret_cast<const unsigned char*>(spec.acme_identifier_der.data()),
                          static_cast<int>(spec.acme_identifier_der.size()));
    X509_EXTENSION* ext =
        X509_EXTENSION_create_by_OBJ(nullptr, oid, spec.acme_identifier_critical ? 1 : 0, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
    ASN1_OBJECT_free(oid);
  }
  X509_sign(cert, out->key, EVP_sha256());
}

}  // namespace flint::va::testing
