// HttpServer against a real blocking OpenSSL (or plain TCP) client on 127.0.0.1, with a
// self-signed certificate made here. No timing thresholds: ordering is forced with promises, and
// the client's 30 s socket timeout only turns a hang into a failure.

#include "wfe/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace flint::wfe {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Test certificate.

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

// A P-256 self-signed certificate for DNS:localhost, valid for a day.
TestCert MakeSelfSigned() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  GENERAL_NAMES* sans = sk_GENERAL_NAME_new_null();
  GENERAL_NAME* dns = GENERAL_NAME_new();
  ASN1_IA5STRING* value = ASN1_IA5STRING_new();
  ASN1_STRING_set(value, "localhost", -1);
  GENERAL_NAME_set0_value(dns, GEN_DNS, value);
  sk_GENERAL_NAME_push(sans, dns);
  X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(sans);
  X509_sign(cert.get(), key.get(), EVP_sha256());

  TestCert out;
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  out.cert_pem = BioToString(cert_bio.get());
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  out.key_pem = BioToString(key_bio.get());
  return out;
}

const TestCert& Cert() {
  static const TestCert* cert = new TestCert(MakeSelfSigned());
  return *cert;
}

// ---------------------------------------------------------------------------------------------
// Test client: blocking sockets, OpenSSL verifying the test certificate.

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Client {
 public:
  explicit Client(bool tls = true) : tls_(tls) {}
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // TCP connect, then the TLS handshake. Versions: 0 = OpenSSL's default.
  bool Connect(uint16_t port, int min_version = 0, int max_version = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    SetReadTimeout(30s);
    timeval send_timeout{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
    if (!tls_) return true;
    return Handshake(min_version, max_version);
  }

  bool Write(std::string_view data) {
    while (!data.empty()) {
      const int n = tls_ ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                         : static_cast<int>(send(fd_, data.data(), data.size(), MSG_NOSIGNAL));
      if (n <= 0) {
        ERR_clear_error();
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response (an interim 100 included). nullopt if the connection ended first.
  std::optional<Response> ReadResponse(bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    Response res;
    std::istringstream lines(buf_.substr(0, end));
    std::string line;
    std::getline(lines, line);
    if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0) return std::nullopt;
    res.status = std::stoi(line.substr(9, 3));
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      const size_t value = line.find_first_not_of(' ', colon + 1);
      res.headers[Lower(line.substr(0, colon))] =
          value == std::string::npos ? "" : line.substr(value);
    }
    buf_.erase(0, end + 4);
    const bool bodyless = head || res.status < 200 || res.status == 204 || res.status == 304;
    const std::string length = res.Header("content-length");
    const size_t len = bodyless || length.empty() ? 0 : std::stoul(length);
    while (buf_.size() < len) {
      if (!Fill()) return std::nullopt;
    }
    res.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return res;
  }

  // True once the server has closed the connection (EOF or reset), false on a read timeout.
  bool WaitForClose() {
    for (;;) {
      buf_.clear();
      if (!Fill()) return !timed_out_;
    }
  }

  // One read attempt of at most `timeout`: true if the server closed the connection.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    SetReadTimeout(timeout);
    const bool closed = !Fill() && !timed_out_;
    SetReadTimeout(30s);
    return closed;
  }

  std::string Alpn() const {
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl_, &data, &len);
    return std::string(reinterpret_cast<const char*>(data), len);
  }
  unsigned long handshake_error() const { return handshake_error_; }

  void Close() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
    ssl_ = nullptr;
    ctx_ = nullptr;
    fd_ = -1;
  }

 private:
  bool Handshake(int min_version, int max_version) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (min_version != 0) SSL_CTX_set_min_proto_version(ctx_, min_version);
    if (max_version != 0) SSL_CTX_set_max_proto_version(ctx_, max_version);
    // Old protocol versions need SHA-1 era suites: allow them so the server, not us, refuses.
    if (max_version != 0 && max_version < TLS1_2_VERSION) {
      SSL_CTX_set_cipher_list(ctx_, "DEFAULT:@SECLEVEL=0");
    }
    BIO* bio = BIO_new_mem_buf(Cert().cert_pem.data(), static_cast<int>(Cert().cert_pem.size()));
    X509* trusted = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), trusted);
    X509_free(trusted);
    BIO_free(bio);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx_, kAlpn, sizeof(kAlpn));
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set1_host(ssl_, "localhost");
    if (SSL_connect(ssl_) != 1) {
      handshake_error_ = ERR_peek_last_error();
      ERR_clear_error();
      return false;
    }
    return true;
  }

  void SetReadTimeout(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  bool Fill() {
    char tmp[16384];
    timed_out_ = false;
    if (!tls_) {
      const ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
      if (n > 0) buf_.append(tmp, static_cast<size_t>(n));
      timed_out_ = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      return n > 0;
    }
    const int n = SSL_read(ssl_, tmp, sizeof(tmp));
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return true;
    }
    timed_out_ = SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ;
    ERR_clear_error();
    return false;
  }

  bool tls_;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buf_;
  bool timed_out_ = false;
  unsigned long handshake_error_ = 0;
};

// True if nothing listens on the port any more.
bool ConnectionRefused(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  const bool refused =
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno == ECONNREFUSED;
  close(fd);
  return refused;
}

// ---------------------------------------------------------------------------------------------
// Fixture.

HttpServerOptions TestOptions(bool tls = true) {
  HttpServerOptions options;
  options.listen_host = "127.0.0.1";
  options.listen_port = 0;
  options.tls = tls;
  options.tls_cert_chain_pem = Cert().cert_pem;
  options.tls_key_pem = Cert().key_pem;
  options.io_threads = 2;
  options.worker_threads = 4;
  return options;
}

// Echoes what it saw: "<method> <path> q=<query> host=<host> body=<body>".
HttpResponse Echo(HttpRequest& req) {
  HttpResponse res;
  const std::string* host = req.Header("host");
  res.body = req.method + " " + req.path + " q=" + req.query + " host=" + (host ? *host : "-") +
             " body=" + req.body;
  res.headers.emplace_back("Content-Type", "text/plain");
  res.headers.emplace_back("X-Path", req.path);
  if (req.path == "/handler-close") res.headers.emplace_back("Connection", "close");
  return res;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options, Handler handler = Echo,
                   ErrorHeaders error_headers = nullptr) {
    server_ = std::make_unique<HttpServer>(std::move(options), std::move(handler));
    if (error_headers) server_->SetErrorHeaders(std::move(error_headers));
    const core::Result<void> started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().detail;
    ASSERT_NE(server_->port(), 0);
  }
  uint16_t port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
};

std::string Get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

std::string Post(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/jose+json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// ---------------------------------------------------------------------------------------------
// Basic behaviour.

TEST_F(HttpServerTest, ServesGetAndPostOnOneKeepAliveConnection) {
  StartServer(TestOptions());
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  EXPECT_EQ(client.Alpn(), "http/1.1");

  ASSERT_TRUE(client.Write(Get("/dir?x=1&y=2")));
  std::optional<Response> get = client.ReadResponse();
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "GET /dir q=x=1&y=2 host=localhost body=");
  EXPECT_EQ(get->Header("content-length"), std::to_string(get->body.size()));
  EXPECT_EQ(get->Header("content-type"), "text/plain");
  EXPECT_FALSE(get->Header("date").empty());

  ASSERT_TRUE(client.Write(Post("/acme/new-acct", R"({"a":1})")));
  std::optional<Response> post = client.ReadResponse();
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 200);
  EXPECT_EQ(post->body, R"(POST /acme/new-acct q= host=localhost body={"a":1})");
}

TEST_F(HttpServerTest, HandlerSeesLowercasedHeaderNamesAndRemoteAddress) {
  std::promise<HttpRequest> seen;
  StartServer(TestOptions(), [&seen](HttpRequest& req) {
    seen.set_value(req);
    return HttpResponse{};
  });
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Get("/", "X-Custom-Thing: Value 1\r\n")));
  ASSERT_TRUE(client.ReadResponse().has_value());
  HttpRequest req = seen.get_future().get();
  ASSERT_NE(req.Header("x-custom-thing"), nullptr);
  EXPECT_EQ(*req.Header("x-custom-thing"), "Value 1");
  EXPECT_EQ(req.Header("X-Custom-Thing"), nullptr);
  EXPECT_EQ(req.remote_addr, "127.0.0.1");
  EXPECT_EQ(req.target, "/");
}

TEST_F(HttpServerTest, HandlerRunsOffTheIoThreads) {
  // One I/O thread: if the blocked handler ran on it, the second connection could never be served.
  HttpServerOptions options = TestOptions();
  options.io_threads = 1;
  options.worker_threads = 2;
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  StartServer(options, [&](HttpRequest& req) {
    if (req.path == "/block") {
      entered.set_value();
      released.wait();
    }
    return Echo(req);
  });
  Client blocked;
  ASSERT_TRUE(blocked.Connect(port()));
  ASSERT_TRUE(blocked.Write(Get("/block")));
  entered.get_future().wait();

  Client other;
  ASSERT_TRUE(other.Connect(port()));
  ASSERT_TRUE(other.Write(Get("/fast")));
  std::optional<Response> fast = other.ReadResponse();
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(fast->Header("x-path"), "/fast");

  release.set_value();
  std::optional<Response> slow = blocked.ReadResponse();
  ASSERT_TRUE(slow.has_value());
  EXPECT_EQ(slow->Header("x-path"), "/block");
}

TEST_F(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  for (bool tls : {true, false}) {
    SCOPED_TRACE(tls ? "tls" : "plain");
    StartServer(TestOptions(tls));
    Client client(tls);
    ASSERT_TRUE(client.Connect(port()));
    ASSERT_TRUE(client.Write(Get("/1") + Post("/2", "two") + Get("/3")));
    for (const char* path : {"/1", "/2", "/3"}) {
      std::optional<Response> res = client.ReadResponse();
      ASSERT_TRUE(res.has_value());
      EXPECT_EQ(res->Header("x-path"), path);
    }
    server_->Stop();
  }
}

TEST_F(HttpServerTest, HeadResponseKeepsHeadersWithoutBody) {
  StartServer(TestOptions());
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write("HEAD /h HTTP/1.1\r\nHost: localhost\r\n\r\n" + Get("/after")));
  std::optional<Response> head = client.ReadResponse(/*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("content-length"),
            std::to_string(std::string("HEAD /h q= host=localhost body=").size()));
  EXPECT_EQ(head->body, "");
  // No body bytes were sent: the next response parses cleanly.
  std::optional<Response> after = client.ReadResponse();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->Header("x-path"), "/after");
}

TEST_F(HttpServerTest, ChunkedBodyIsDechunked) {
  StartServer(TestOptions());
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(
      "POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "POST /c q= host=localhost body=abcde");
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
  StartServer(TestOptions());
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(
      "POST /e HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
  std::optional<Response> interim = client.ReadResponse();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Write("hi"));
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "POST /e q= host=localhost body=hi");
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10CloseAfterResponse) {
  StartServer(TestOptions());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http11-connection-close", Get("/", "Connection: close\r\n")},
      {"http10-default", "GET / HTTP/1.0\r\n\r\n"},
      {"handler-close", Get("/handler-close")},
  };
  for (const auto& [name, request] : cases) {
    SCOPED_TRACE(name);
    Client client;
    ASSERT_TRUE(client.Connect(port()));
    ASSERT_TRUE(client.Write(request));
    std::optional<Response> res = client.ReadResponse();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 200);
    EXPECT_TRUE(client.WaitForClose());
  }
}

TEST_F(HttpServerTest, Http10KeepAliveStaysOpen) {
  StartServer(TestOptions());
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.Write("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    std::optional<Response> res = client.ReadResponse();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(Lower(res->Header("connection")), "keep-alive");
  }
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500) {
  StartServer(TestOptions(), [](HttpRequest&) -> HttpResponse { throw std::runtime_error("db"); });
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Get("/")));
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body,
            R"({"type":"urn:ietf:params:acme:error:serverInternal","detail":"internal server error","status":500})");
}

// The observer sees each request once its answer is written, the transport's own refusals too,
// with the path without its query.
TEST_F(HttpServerTest, RequestObserverSeesEveryAnsweredRequest) {
  std::mutex mu;
  std::vector<std::string> seen;
  std::promise<void> both;
  server_ = std::make_unique<HttpServer>(TestOptions(), Echo);
  server_->SetRequestObserver([&](const RequestRecord& r) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_GE(r.elapsed.count(), 0);
    seen.push_back(std::string(r.method) + " " + std::string(r.path) + " " +
                   std::to_string(r.status));
    if (seen.size() == 2) both.set_value();
  });
  ASSERT_TRUE(server_->Start().ok());
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Get("/acme/order/7?x=1")));
  ASSERT_TRUE(client.ReadResponse().has_value());
  ASSERT_TRUE(client.Write("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n"));
  ASSERT_TRUE(client.ReadResponse().has_value());
  ASSERT_EQ(both.get_future().wait_for(30s), std::future_status::ready);
  std::lock_guard<std::mutex> lock(mu);
  // A request refused before its header was complete has no method or path yet.
  EXPECT_EQ(seen, (std::vector<std::string>{"GET /acme/order/7 200", "- - 413"}));
}

// RFC 8555 §6.5: every error carries a fresh nonce, those the transport answers itself too; the
// hook (the ACME layer's) adds it, on the I/O thread and on workers alike.
TEST_F(HttpServerTest, TransportErrorsCarryTheErrorHeaders) {
  std::atomic<int> issued{0};
  StartServer(
      TestOptions(),
      [](HttpRequest& req) -> HttpResponse {
        if (req.path == "/throw") throw std::runtime_error("db");
        return Echo(req);
      },
      [&issued](HttpResponse& res) {
        res.headers.emplace_back("Replay-Nonce", "n" + std::to_string(++issued));
        res.headers.emplace_back("Link", "<https://acme.test/directory>;rel=\"index\"");
      });
  const std::string big_header = "X-Big: " + std::string(9000, 'a') + "\r\n";
  struct Case {
    std::string name;
    std::string request;
    int status;
  };
  const std::vector<Case> cases = {
      {"fail/unparsable", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},
      {"fail/oversized-header", "GET / HTTP/1.1\r\nHost: a\r\n" + big_header + "\r\n", 431},
      {"fail/oversized-body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", 413},
      {"fail/handler-threw", Get("/throw"), 500},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Client client;
    ASSERT_TRUE(client.Connect(port()));
    ASSERT_TRUE(client.Write(c.request));
    std::optional<Response> res = client.ReadResponse();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, c.status);
    EXPECT_EQ(res->Header("content-type"), "application/problem+json");
    EXPECT_EQ(res->Header("replay-nonce").rfind("n", 0), 0u);
    EXPECT_EQ(res->Header("link"), "<https://acme.test/directory>;rel=\"index\"");
  }
  // A handler's own answers are left alone.
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Get("/fine")));
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->Header("replay-nonce"), "");
}

// A client that uploads its whole (refused) body before reading, as most do, still gets the 413
// problem document: the server drains what it sends before closing, over TLS too.
TEST_F(HttpServerTest, RefusedTenMegabyteUploadStillGetsThe413) {
  StartServer(TestOptions());
  for (bool tls : {true, false}) {
    SCOPED_TRACE(tls ? "tls" : "plain");
    if (!tls) StartServer(TestOptions(/*tls=*/false));
    const size_t size = 10 * 1000 * 1000;
    Client client(tls);
    ASSERT_TRUE(client.Connect(port()));
    ASSERT_TRUE(client.Write("POST /acme/new-order HTTP/1.1\r\nHost: a\r\n"
                             "Content-Type: application/jose+json\r\nContent-Length: " +
                             std::to_string(size) + "\r\n\r\n"));
    ASSERT_TRUE(client.Write(std::string(size, 'x')));
    std::optional<Response> res = client.ReadResponse();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(res->body,
              R"({"type":"urn:ietf:params:acme:error:malformed","detail":"request body too large","status":413})");
    EXPECT_EQ(Lower(res->Header("connection")), "close");
    EXPECT_TRUE(client.WaitForClose());
  }
}

// ---------------------------------------------------------------------------------------------
// Durability barrier: a response waits until what it reports is durable.

// Hands out the mark it was given, and holds every waiter until the test releases it.
class HeldBarrier : public core::DurabilityBarrier {
 public:
  uint64_t Mark() const override { return mark_; }
  void WhenDurable(uint64_t mark, std::function<void(bool)> done) override {
    waited_mark_ = mark;
    waiting_.set_value(std::move(done));
  }
  std::future<std::function<void(bool)>> Waiting() { return waiting_.get_future(); }
  void set_mark(uint64_t mark) { mark_ = mark; }
  uint64_t waited_mark() const { return waited_mark_; }

 private:
  uint64_t mark_ = 0;
  std::atomic<uint64_t> waited_mark_{0};
  std::promise<std::function<void(bool)>> waiting_;
};

TEST_F(HttpServerTest, ResponseIsSentOnlyOnceTheBarrierSaysDurable) {
  HeldBarrier barrier;
  barrier.set_mark(42);
  std::atomic<bool> released{false};
  std::atomic<int> handled{0};
  HttpServerOptions options = TestOptions();
  options.durability = &barrier;
  StartServer(options, [&](HttpRequest& req) {
    ++handled;
    return Echo(req);
  });
  auto waiting = barrier.Waiting();
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Get("/held")));
  std::function<void(bool)> done = waiting.get();  // the handler ran and its response waits
  EXPECT_EQ(handled.load(), 1);
  EXPECT_EQ(barrier.waited_mark(), 42u);  // the mark taken after the handler
  std::thread release([&] {
    released = true;
    done(true);
  });
  std::optional<Response> res = client.ReadResponse();
  release.join();
  ASSERT_TRUE(res.has_value());
  EXPECT_TRUE(released.load());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "GET /held q= host=localhost body=");
}

TEST_F(HttpServerTest, ResponseBecomes500WhenDurabilityCannotBeEnsured) {
  HeldBarrier barrier;
  HttpServerOptions options = TestOptions();
  options.durability = &barrier;
  StartServer(options);
  auto waiting = barrier.Waiting();
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Post("/acme/new-order", "{}")));
  std::function<void(bool)> done = waiting.get();
  done(false);  // e.g. fdatasync failed: the handler's success must not reach the client
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body,
            R"({"type":"urn:ietf:params:acme:error:serverInternal","detail":"internal server error","status":500})");
}

// The barrier calls back on its own thread, into the session's io_context: Stop() must not
// destroy the io_contexts while a response still waits, even past the grace period.
TEST_F(HttpServerTest, StopWaitsForResponsesTheBarrierStillHolds) {
  HeldBarrier barrier;
  HttpServerOptions options = TestOptions();
  options.durability = &barrier;
  options.shutdown_grace = std::chrono::seconds(0);
  StartServer(options);
  auto waiting = barrier.Waiting();
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Get("/held")));
  std::function<void(bool)> done = waiting.get();
  std::atomic<bool> released{false};
  std::atomic<bool> stopped_after_release{false};
  std::thread stopper([&] {
    server_->Stop();
    stopped_after_release = released.load();
  });
  released = true;
  done(true);  // into an io_context that is stopping or stopped, but not destroyed
  stopper.join();
  EXPECT_TRUE(stopped_after_release.load());
}

// ---------------------------------------------------------------------------------------------
// Requests the transport refuses itself: answered with a problem document, then closed.

struct RefusalCase {
  std::string name;
  std::string request;
  int status;
};

TEST_F(HttpServerTest, RefusesBadRequestsAndCloses) {
  std::atomic<int> handled{0};
  StartServer(TestOptions(), [&handled](HttpRequest& req) {
    ++handled;
    return Echo(req);
  });
  const std::string big_header = "X-Big: " + std::string(10000, 'a') + "\r\n";
  const std::string big_chunk = "11170\r\n" + std::string(70000, 'b') + "\r\n0\r\n\r\n";
  const std::vector<RefusalCase> cases = {
      {"fail/missing-host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"fail/two-hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"fail/garbage-request-line", "HELLO THERE\r\n\r\n", 400},
      {"fail/binary-garbage", std::string("\x16\x03\x01\x00\xff\r\n\r\n", 9), 400},
      {"fail/bad-version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400},
      {"fail/cl-then-te",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n0\r\n\r\n",
       400},
      {"fail/te-then-cl",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
       "3\r\nabc\r\n0\r\n\r\n",
       400},
      {"fail/duplicate-content-length",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
      {"fail/conflicting-content-length",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"fail/content-length-list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
       400},
      {"fail/te-not-chunked",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
       400},
      {"fail/oversized-header", "GET / HTTP/1.1\r\nHost: a\r\n" + big_header + "\r\n", 431},
      {"fail/oversized-body-content-length",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", 413},
      {"fail/oversized-body-chunked",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + big_chunk, 413},
  };
  for (const RefusalCase& c : cases) {
    SCOPED_TRACE(c.name);
    Client client;
    ASSERT_TRUE(client.Connect(port()));
    ASSERT_TRUE(client.Write(c.request));
    std::optional<Response> res = client.ReadResponse();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, c.status) << res->body;
    EXPECT_EQ(res->Header("content-type"), "application/problem+json");
    EXPECT_NE(res->body.find(R"("type":"urn:ietf:params:acme:error:malformed")"), std::string::npos)
        << res->body;
    EXPECT_EQ(Lower(res->Header("connection")), "close");
    EXPECT_TRUE(client.WaitForClose());
  }
  EXPECT_EQ(handled.load(), 0);
}

TEST_F(HttpServerTest, OversizedBodyGetsExactProblemDocument) {
  StartServer(TestOptions());
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write("POST /acme/new-order HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n"));
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(res->body,
            R"({"type":"urn:ietf:params:acme:error:malformed","detail":"request body too large","status":413})");
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, BodyAtTheLimitIsAccepted) {
  StartServer(TestOptions());
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Post("/max", std::string(64 * 1024, 'x'))));
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpServerTest, PlainTransportRefusesMissingHost) {
  StartServer(TestOptions(/*tls=*/false));
  Client client(/*tls=*/false);
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write("GET / HTTP/1.1\r\n\r\n"));
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(client.WaitForClose());
}

// ---------------------------------------------------------------------------------------------
// Timeouts and limits.

TEST_F(HttpServerTest, SlowClientCutOffAtRequestDeadlineWhileOthersAreServed) {
  HttpServerOptions options = TestOptions();
  options.request_deadline = 1s;
  StartServer(options);
  Client slow;
  ASSERT_TRUE(slow.Connect(port()));
  ASSERT_TRUE(slow.Write("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: "));

  Client normal;
  ASSERT_TRUE(normal.Connect(port()));
  ASSERT_TRUE(normal.Write(Get("/normal")));
  std::optional<Response> res = normal.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);

  // One header byte per read timeout, never finishing the header: the server must hang up.
  bool closed = false;
  for (int i = 0; i < 600 && !closed; ++i) {
    closed = !slow.Write("a") || slow.ClosedWithin(100ms);
  }
  EXPECT_TRUE(closed);
  // The normal client's connection is unaffected.
  ASSERT_TRUE(normal.Write(Get("/again")));
  std::optional<Response> again = normal.ReadResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->Header("x-path"), "/again");
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpServerOptions options = TestOptions();
  options.idle_timeout = 1s;
  StartServer(options);
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Get("/")));
  ASSERT_TRUE(client.ReadResponse().has_value());
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, Tls11OnlyClientIsRejectedByTheServer) {
  StartServer(TestOptions());
  Client old;
  EXPECT_FALSE(old.Connect(port(), TLS1_1_VERSION, TLS1_1_VERSION));
  // The server's protocol_version alert, not a local refusal to offer TLS 1.1.
  EXPECT_EQ(ERR_GET_REASON(old.handshake_error()), SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)
      << ERR_reason_error_string(old.handshake_error());

  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    Client modern;
    ASSERT_TRUE(modern.Connect(port(), version, version)) << version;
    ASSERT_TRUE(modern.Write(Get("/")));
    ASSERT_TRUE(modern.ReadResponse().has_value());
  }
}

TEST_F(HttpServerTest, ServesTwoHundredConcurrentConnections) {
  StartServer(TestOptions());
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>());
    ASSERT_TRUE(clients.back()->Connect(port())) << i;
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(clients[i]->Write(Get("/c" + std::to_string(i))));
  }
  for (int i = 0; i < kClients; ++i) {
    std::optional<Response> res = clients[i]->ReadResponse();
    ASSERT_TRUE(res.has_value()) << i;
    EXPECT_EQ(res->Header("x-path"), "/c" + std::to_string(i));
  }
}

TEST_F(HttpServerTest, WhenFullANewConnectionTakesTheOldestIdleOnesSlot) {
  HttpServerOptions options = TestOptions();
  options.max_connections = 2;
  StartServer(options);
  Client first, second, third;
  ASSERT_TRUE(first.Connect(port()));
  ASSERT_TRUE(second.Connect(port()));
  // Both admitted connections are idle: the newcomer is served and the oldest is closed.
  ASSERT_TRUE(third.Connect(port()));
  ASSERT_TRUE(third.Write(Get("/new")));
  ASSERT_TRUE(third.ReadResponse().has_value());
  EXPECT_TRUE(first.WaitForClose());
  ASSERT_TRUE(second.Write(Get("/ok")));
  ASSERT_TRUE(second.ReadResponse().has_value());
}

TEST_F(HttpServerTest, WhenFullOfRequestsInProgressANewConnectionIsClosed) {
  HttpServerOptions options = TestOptions(/*tls=*/false);
  options.max_connections = 2;
  StartServer(options);
  Client first(false), second(false), third(false);
  // Two requests whose bodies have not all arrived: neither connection is idle.
  for (Client* c : {&first, &second}) {
    ASSERT_TRUE(c->Connect(port()));
    ASSERT_TRUE(c->Write("POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nab"));
  }
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(third.Connect(port()));  // TCP accepts; the server closes it at once
  EXPECT_TRUE(third.ClosedWithin(5s));
  ASSERT_TRUE(first.Write("cdefghij"));
  std::optional<Response> res = first.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpServerTest, OneAddressMayHoldOnlyItsShareOfConnections) {
  HttpServerOptions options = TestOptions(/*tls=*/false);
  options.max_connections_per_ip = 2;
  StartServer(options);
  // Three connections from 127.0.0.1: whichever is admitted last (sessions start on different
  // I/O threads, so not necessarily the third) is closed, the other two are served.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Client>(false));
    ASSERT_TRUE(clients.back()->Connect(port()));
  }
  std::this_thread::sleep_for(200ms);
  int served = 0;
  Client* refused = nullptr;
  for (auto& c : clients) {
    if (c->Write(Get("/ok")) && c->ReadResponse().has_value()) {
      ++served;
    } else {
      refused = c.get();
    }
  }
  EXPECT_EQ(served, 2);
  ASSERT_NE(refused, nullptr);
  // A slot freed by the same address is its own again.
  for (auto& c : clients) {
    if (c.get() != refused) {
      c->Close();
      break;
    }
  }
  std::this_thread::sleep_for(200ms);
  Client d(false);
  ASSERT_TRUE(d.Connect(port()));
  ASSERT_TRUE(d.Write(Get("/again")));
  ASSERT_TRUE(d.ReadResponse().has_value());
}

TEST_F(HttpServerTest, KeepAliveEndsAfterTheRequestBudget) {
  HttpServerOptions options = TestOptions();
  options.max_requests_per_connection = 3;
  StartServer(options);
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(client.Write(Get("/r")));
    std::optional<Response> res = client.ReadResponse();
    ASSERT_TRUE(res.has_value()) << i;
    EXPECT_EQ(Lower(res->Header("connection")), i == 3 ? "close" : "") << i;
  }
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, KeepAliveEndsOnceTheConnectionIsOld) {
  HttpServerOptions options = TestOptions();
  options.max_connection_age = 1s;
  StartServer(options);
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Get("/young")));
  std::optional<Response> res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->Header("connection"), "");
  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(client.Write(Get("/old")));
  res = client.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(Lower(res->Header("connection")), "close");
}

// A PROXY protocol v2 header (HAProxy send-proxy-v2) for a TCP/IPv4 client.
std::string ProxyV2(const std::string& source, uint16_t source_port = 40000) {
  std::string h("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);
  h += '\x21';  // version 2, PROXY
  h += '\x11';  // AF_INET, STREAM
  h += std::string("\x00\x0C", 2);
  unsigned char src[4], dst[4];
  inet_pton(AF_INET, source.c_str(), src);
  inet_pton(AF_INET, "127.0.0.1", dst);
  h.append(reinterpret_cast<char*>(src), 4);
  h.append(reinterpret_cast<char*>(dst), 4);
  h += static_cast<char>(source_port >> 8);
  h += static_cast<char>(source_port & 0xFF);
  h += std::string("\x01\xBB", 2);
  return h;
}

TEST_F(HttpServerTest, ProxyProtocolNamesTheClientForHandlersAndTheAddressLimit) {
  HttpServerOptions options = TestOptions(/*tls=*/false);
  options.proxy_protocol = true;
  options.max_connections_per_ip = 1;
  StartServer(options, [](HttpRequest& req) {
    HttpResponse res;
    res.body = req.remote_addr;
    return res;
  });
  Client a(false);
  ASSERT_TRUE(a.Connect(port()));
  ASSERT_TRUE(a.Write(ProxyV2("203.0.113.7") + Get("/")));
  std::optional<Response> res = a.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "203.0.113.7");
  // Another client behind the same balancer has its own share...
  Client b(false);
  ASSERT_TRUE(b.Connect(port()));
  ASSERT_TRUE(b.Write(ProxyV2("198.51.100.9") + Get("/")));
  res = b.ReadResponse();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "198.51.100.9");
  // ...and a second connection of the first client is over its limit.
  Client c(false);
  ASSERT_TRUE(c.Connect(port()));
  ASSERT_TRUE(c.Write(ProxyV2("203.0.113.7", 40001) + Get("/")));
  EXPECT_FALSE(c.ReadResponse().has_value());
}

TEST_F(HttpServerTest, ProxyProtocolListenerClosesConnectionsWithoutAValidHeader) {
  HttpServerOptions options = TestOptions(/*tls=*/false);
  options.proxy_protocol = true;
  StartServer(options);
  // A client speaking HTTP directly, as one that reached the backend past the balancer would.
  Client direct(false);
  ASSERT_TRUE(direct.Connect(port()));
  ASSERT_TRUE(direct.Write(Get("/") + std::string(16, ' ')));
  EXPECT_FALSE(direct.ReadResponse().has_value());
  // Version 1 (text) is not accepted.
  Client v1(false);
  ASSERT_TRUE(v1.Connect(port()));
  ASSERT_TRUE(v1.Write("PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\n" + Get("/")));
  EXPECT_FALSE(v1.ReadResponse().has_value());
}

// ---------------------------------------------------------------------------------------------
// Shutdown, logging, start-up errors.

TEST_F(HttpServerTest, StopLetsInFlightHandlerFinish) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> finished{false};
  StartServer(TestOptions(), [&](HttpRequest& req) {
    entered.set_value();
    released.wait();
    finished = true;
    return Echo(req);
  });
  const uint16_t server_port = port();
  Client idle;
  ASSERT_TRUE(idle.Connect(server_port));
  Client client;
  ASSERT_TRUE(client.Connect(server_port));
  ASSERT_TRUE(client.Write(Get("/slow")));
  entered.get_future().wait();

  std::thread stopper([this] { server_->Stop(); });
  while (!ConnectionRefused(server_port)) std::this_thread::sleep_for(10ms);
  // Stop() has begun (the listener is gone) and the handler is still running.
  EXPECT_TRUE(idle.WaitForClose());
  release.set_value();
  std::optional<Response> res = client.ReadResponse();
  stopper.join();
  EXPECT_TRUE(finished);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Lower(res->Header("connection")), "close");
}

TEST_F(HttpServerTest, LogsOneLinePerRequestWithoutBody) {
  auto out = std::make_shared<std::ostringstream>();
  auto previous = spdlog::default_logger();
  auto capture = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(*out));
  capture->set_pattern("%v");
  spdlog::set_default_logger(capture);
  StartServer(TestOptions(), [](HttpRequest& req) {
    HttpResponse res;
    res.status = 201;
    res.log_account = "12";
    res.log_problem = req.path == "/bad" ? "badNonce" : "";
    return res;
  });
  Client client;
  ASSERT_TRUE(client.Connect(port()));
  ASSERT_TRUE(client.Write(Post("/acme/new-acct?q=secret", "SECRET-BODY") + Get("/bad")));
  ASSERT_TRUE(client.ReadResponse().has_value());
  ASSERT_TRUE(client.ReadResponse().has_value());
  server_->Stop();  // joins the threads that log
  spdlog::set_default_logger(previous);

  const std::string log = out->str();
  EXPECT_NE(log.find("request method=POST path=/acme/new-acct status=201 account=12 problem= "
                     "dur_ms="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("request method=GET path=/bad status=201 account=12 problem=badNonce dur_ms="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("remote=127.0.0.1"), std::string::npos) << log;
  EXPECT_EQ(log.find("SECRET-BODY"), std::string::npos);
  EXPECT_EQ(log.find("secret"), std::string::npos) << "query not logged";
}

TEST_F(HttpServerTest, StartFailsOnBadKeyOrBusyPortOrSecondStart) {
  HttpServerOptions bad_key = TestOptions();
  bad_key.tls_key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  HttpServer broken(bad_key, Echo);
  core::Result<void> result = broken.Start();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, core::ErrorType::kInternal);

  StartServer(TestOptions());
  core::Result<void> again = server_->Start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().type, core::ErrorType::kInternal);

  HttpServerOptions busy = TestOptions();
  busy.listen_port = port();
  HttpServer second(busy, Echo);
  core::Result<void> bind = second.Start();
  ASSERT_FALSE(bind.ok());
  EXPECT_EQ(bind.error().type, core::ErrorType::kInternal);
}

}  // namespace
}  // namespace flint::wfe
