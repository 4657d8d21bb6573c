#include "bench/loadgen/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace flint::bench {

using core::Err;
using core::ErrorType;

namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 8 * 1024 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string OpenSslErrorText() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no OpenSSL error queued";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

void SetTimeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

core::Result<Url> Url::Parse(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Err(ErrorType::kMalformed, "not an https URL: " + std::string(url));
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  out.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view p = authority.substr(colon + 1);
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc() || ptr != p.data() + p.size() || value == 0 || value > 65535)
      return Err(ErrorType::kMalformed, "bad port in " + std::string(url));
    out.port = static_cast<uint16_t>(value);
  }
  if (out.host != "localhost" && out.host != "127.0.0.1")
    return Err(ErrorType::kMalformed,
               "the load generator only talks to 127.0.0.1 (host localhost or 127.0.0.1): " +
                   std::string(url));
  return out;
}

std::string Url::Origin() const { return "https://" + host + ":" + std::to_string(port); }

std::string_view HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

core::Result<std::shared_ptr<SSL_CTX>> MakeTlsClientContext(const std::string& ca_file,
                                                            bool insecure) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return Err(ErrorType::kInternal, "SSL_CTX_new: " + OpenSslErrorText());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (insecure) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  if (ca_file.empty()) return Err(ErrorType::kMalformed, "give --ca FILE or --insecure");
  if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1)
    return Err(ErrorType::kMalformed, "cannot load CA file " + ca_file + ": " + OpenSslErrorText());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

HttpsConnection::HttpsConnection(std::shared_ptr<SSL_CTX> ctx, std::string host, uint16_t port,
                                 std::chrono::milliseconds timeout)
    : ctx_(std::move(ctx)), host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpsConnection::~HttpsConnection() { Close(); }

void HttpsConnection::Close() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  buf_.clear();
  requests_on_connection_ = 0;
}

core::Result<void> HttpsConnection::Connect() {
  Close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Err(ErrorType::kConnection, std::string("socket: ") + std::strerror(errno));
  SetTimeouts(fd_, timeout_);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1, always
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string why = std::strerror(errno);
    Close();
    return Err(ErrorType::kConnection, "connect 127.0.0.1:" + std::to_string(port_) + ": " + why);
  }
  ssl_ = SSL_new(ctx_.get());
  if (ssl_ == nullptr) {
    Close();
    return Err(ErrorType::kTls, "SSL_new: " + OpenSslErrorText());
  }
  SSL_set_fd(ssl_, fd_);
  if (host_ != "127.0.0.1") SSL_set_tlsext_host_name(ssl_, host_.c_str());
  SSL_set1_host(ssl_, host_.c_str());
  if (SSL_connect(ssl_) != 1) {
    std::string why = OpenSslErrorText();
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    Close();
    return Err(ErrorType::kTls, "TLS handshake: " + why);
  }
  ++connects_;
  return core::Ok();
}

core::Result<void> HttpsConnection::WriteAll(std::string_view data) {
  while (!data.empty()) {
    int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    if (n <= 0) return Err(ErrorType::kConnection, "write failed: " + OpenSslErrorText());
    data.remove_prefix(static_cast<size_t>(n));
  }
  return core::Ok();
}

core::Result<void> HttpsConnection::ReadMore() {
  char chunk[16384];
  int n = SSL_read(ssl_, chunk, sizeof chunk);
  if (n > 0) {
    buf_.append(chunk, static_cast<size_t>(n));
    return core::Ok();
  }
  const int saved_errno = errno;
  const int err = SSL_get_error(ssl_, n);
  ERR_clear_error();
  if (err == SSL_ERROR_ZERO_RETURN) return Err(ErrorType::kConnection, "connection closed");
  // SO_RCVTIMEO expired: OpenSSL reports the EAGAIN of the blocking socket as WANT_READ.
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ||
      (err == SSL_ERROR_SYSCALL && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))) {
    timed_out_ = true;
    return Err(ErrorType::kConnection, "read timed out");
  }
  return Err(ErrorType::kConnection, "connection reset or closed");
}

core::Result<std::string> HttpsConnection::ReadLine() {
  size_t pos;
  while ((pos = buf_.find("\r\n")) == std::string::npos) {
    if (buf_.size() > kMaxHeaderBytes) return Err(ErrorType::kMalformed, "line too long");
    FLINT_TRY(ReadMore());
  }
  std::string line = buf_.substr(0, pos);
  buf_.erase(0, pos + 2);
  return line;
}

core::Result<std::string> HttpsConnection::ReadChunkedBody() {
  std::string body;
  for (;;) {
    FLINT_ASSIGN_OR_RETURN(std::string line, ReadLine());
    std::string_view size_text = Trim(std::string_view(line).substr(0, line.find(';')));
    size_t size = 0;
    auto [ptr, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || ptr != size_text.data() + size_text.size() || size_text.empty())
      return Err(ErrorType::kMalformed, "bad chunk size");
    if (size == 0) break;
    if (body.size() + size > kMaxBodyBytes) return Err(ErrorType::kMalformed, "body too large");
    while (buf_.size() < size + 2) FLINT_TRY(ReadMore());
    body.append(buf_, 0, size);
    buf_.erase(0, size + 2);
  }
  for (;;) {  // trailer section, ends with an empty line
    FLINT_ASSIGN_OR_RETURN(std::string line, ReadLine());
    if (line.empty()) break;
  }
  return body;
}

core::Result<HttpResponse> HttpsConnection::ReadResponse(bool head_request, bool* got_bytes) {
  while (buf_.find("\r\n\r\n") == std::string::npos) {
    if (buf_.size() > kMaxHeaderBytes) return Err(ErrorType::kMalformed, "header too large");
    FLINT_TRY(ReadMore());
    *got_bytes = true;
  }
  *got_bytes = true;
  HttpResponse resp;
  FLINT_ASSIGN_OR_RETURN(std::string status_line, ReadLine());
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0)
    return Err(ErrorType::kMalformed, "bad status line");
  resp.status = std::atoi(status_line.c_str() + 9);
  for (;;) {
    FLINT_ASSIGN_OR_RETURN(std::string line, ReadLine());
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) return Err(ErrorType::kMalformed, "bad header line");
    resp.headers.emplace_back(Lower(std::string_view(line).substr(0, colon)),
                              std::string(Trim(std::string_view(line).substr(colon + 1))));
  }
  bool close = Lower(resp.Header("connection")) == "close";
  bool no_body = head_request || resp.status == 204 || resp.status == 304 || resp.status < 200;
  if (no_body) {
    // nothing to read
  } else if (Lower(resp.Header("transfer-encoding")).find("chunked") != std::string::npos) {
    FLINT_ASSIGN_OR_RETURN(resp.body, ReadChunkedBody());
  } else if (std::string_view cl = resp.Header("content-length"); !cl.empty()) {
    size_t length = 0;
    auto [ptr, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), length);
    if (ec != std::errc() || length > kMaxBodyBytes)
      return Err(ErrorType::kMalformed, "bad Content-Length");
    while (buf_.size() < length) FLINT_TRY(ReadMore());
    resp.body = buf_.substr(0, length);
    buf_.erase(0, length);
  } else {  // delimited by close
    for (;;) {
      auto more = ReadMore();
      if (!more.ok()) break;
      if (buf_.size() > kMaxBodyBytes) return Err(ErrorType::kMalformed, "body too large");
    }
    resp.body = std::move(buf_);
    buf_.clear();
    close = true;
  }
  if (close) Close();
  return resp;
}

core::Result<HttpResponse> HttpsConnection::Send(std::string_view method, std::string_view target,
                                                 std::string_view content_type,
                                                 std::string_view body) {
  std::string request;
  request.reserve(256 + body.size());
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  request.append(host_).append(":").append(std::to_string(port_));
  request.append("\r\nUser-Agent: flint-loadgen\r\nAccept: */*\r\n");
  if (!content_type.empty()) request.append("Content-Type: ").append(content_type).append("\r\n");
  if (!body.empty() || method == "POST")
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  request.append("\r\n").append(body);

  for (int attempt = 0;; ++attempt) {
    bool reused = ssl_ != nullptr && requests_on_connection_ > 0;
    if (ssl_ == nullptr) FLINT_TRY(Connect());
    bool got_bytes = false;
    timed_out_ = false;
    core::Result<HttpResponse> resp = Err(ErrorType::kConnection, "not sent");
    auto written = WriteAll(request);
    if (written.ok()) {
      ++requests_on_connection_;
      resp = ReadResponse(method == "HEAD", &got_bytes);
    } else {
      resp = std::move(written).error();
    }
    if (resp.ok()) return resp;
    Close();
    // A timeout means the server has the request: sending it again would not be a retry.
    if (!reused || got_bytes || timed_out_ || attempt > 0) return resp;
  }
}

}  // namespace flint::bench
