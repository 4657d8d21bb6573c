#include "va/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace flint::va::internal {
namespace {

using core::Err;
using core::ErrorType;
using core::Result;

std::string Endpoint(const std::string& ip, uint16_t port) {
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// Waits until `fd` is ready for `events`; kConnection on timeout.
Result<void> WaitFd(int fd, short events, const Deadline& deadline, std::string_view what) {
  for (;;) {
    int remaining = deadline.RemainingMs();
    if (remaining == 0) return Err(ErrorType::kConnection, std::string(what) + ": timed out");
    pollfd pfd = {fd, events, 0};
    int n = poll(&pfd, 1, remaining);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Err(ErrorType::kConnection, std::string(what) + ": " + strerror(errno));
    if (n > 0) return core::Ok();
  }
}

class PlainStream : public Stream {
 public:
  explicit PlainStream(Fd fd) : fd_(std::move(fd)) {}

  Result<void> WriteAll(std::string_view data, const Deadline& deadline) override {
    while (!data.empty()) {
      FLINT_TRY(WaitFd(fd_.get(), POLLOUT, deadline, "sending request"));
      ssize_t n = send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) {
        return Err(ErrorType::kConnection, std::string("sending request: ") + strerror(errno));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return core::Ok();
  }

  Result<std::string> ReadSome(size_t max, const Deadline& deadline) override {
    std::string buf(max, '\0');
    for (;;) {
      FLINT_TRY(WaitFd(fd_.get(), POLLIN, deadline, "reading response"));
      ssize_t n = recv(fd_.get(), buf.data(), buf.size(), 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) {
        return Err(ErrorType::kConnection, std::string("reading response: ") + strerror(errno));
      }
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
  }

 private:
  Fd fd_;
};

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "handshake failed" : out;
}

}  // namespace

int Deadline::RemainingMs() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      at_ - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

Fd::~Fd() {
  if (fd_ >= 0) close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

Result<Fd> ConnectTcp(const std::string& ip, uint16_t port, const Deadline& deadline) {
  sockaddr_storage addr = {};
  socklen_t addr_len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    addr_len = sizeof(sockaddr_in6);
  } else {
    return Err(ErrorType::kConnection, "not an IP address: " + ip);
  }
  std::string what = Endpoint(ip, port);
  Fd fd(socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Err(ErrorType::kConnection, what + ": " + strerror(errno));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    if (errno != EINPROGRESS) return Err(ErrorType::kConnection, what + ": " + strerror(errno));
    FLINT_TRY(WaitFd(fd.get(), POLLOUT, deadline, "connecting to " + what));
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) return Err(ErrorType::kConnection, what + ": " + strerror(so_error));
  }
  return fd;
}

std::unique_ptr<Stream> MakePlainStream(Fd fd) {
  return std::make_unique<PlainStream>(std::move(fd));
}

TlsStream::TlsStream(Fd fd, SSL_CTX* ctx, SSL* ssl, BIO* net_in, BIO* net_out)
    : fd_(std::move(fd)), ctx_(ctx), ssl_(ssl), net_in_(net_in), net_out_(net_out) {}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

Result<std::unique_ptr<TlsStream>> TlsStream::Handshake(Fd fd, const TlsClientOptions& opts,
                                                       const Deadline& deadline) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Err(ErrorType::kInternal, "SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // Servers often close without close_notify; framing (Content-Length, chunked) catches truncation.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL* ssl = SSL_new(ctx);
  BIO* net_in = BIO_new(BIO_s_mem());
  BIO* net_out = BIO_new(BIO_s_mem());
  if (ssl == nullptr || net_in == nullptr || net_out == nullptr) {
    SSL_free(ssl);
    BIO_free(net_in);
    BIO_free(net_out);
    SSL_CTX_free(ctx);
    return Err(ErrorType::kInternal, "SSL_new failed");
  }
  BIO_set_mem_eof_return(net_in, -1);  // empty: "retry", not EOF, until the socket says so
  SSL_set_bio(ssl, net_in, net_out);
  std::unique_ptr<TlsStream> stream(new TlsStream(std::move(fd), ctx, ssl, net_in, net_out));
  SSL_set_connect_state(ssl);
  if (!opts.sni.empty() && SSL_set_tlsext_host_name(ssl, opts.sni.c_str()) != 1) {
    return Err(ErrorType::kTls, "cannot send server name " + opts.sni);
  }
  if (!opts.alpn_wire.empty() &&
      SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(opts.alpn_wire.data()),
                          static_cast<unsigned>(opts.alpn_wire.size())) != 0) {
    return Err(ErrorType::kInternal, "SSL_set_alpn_protos failed");
  }
  FLINT_ASSIGN_OR_RETURN(int r, stream->Drive([ssl] { return SSL_do_handshake(ssl); }, deadline,
                                              "TLS handshake"));
  if (r <= 0) return Err(ErrorType::kTls, "TLS handshake: connection closed by peer");
  return stream;
}

Result<void> TlsStream::Flush(const Deadline& deadline) {
  char buf[16384];
  for (;;) {
    int pending = BIO_read(net_out_, buf, sizeof(buf));
    if (pending <= 0) return core::Ok();
    std::string_view data(buf, static_cast<size_t>(pending));
    while (!data.empty()) {
      FLINT_TRY(WaitFd(fd_.get(), POLLOUT, deadline, "TLS write"));
      ssize_t n = send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) return Err(ErrorType::kConnection, std::string("TLS write: ") + strerror(errno));
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
}

template <typename Op>
Result<int> TlsStream::Drive(Op op, const Deadline& deadline, std::string_view what) {
  for (;;) {
    ERR_clear_error();
    int r = op();
    int err = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
    // Send whatever SSL produced (including a fatal alert) before judging the result.
    FLINT_TRY(Flush(deadline));
    if (err == SSL_ERROR_NONE) return r;
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    if (err == SSL_ERROR_WANT_WRITE) continue;
    if (err != SSL_ERROR_WANT_READ) {
      if (peer_closed_ && ERR_peek_error() == 0) return 0;
      std::string detail = OpenSslErrors();
      return Err(ErrorType::kTls, std::string(what) + ": " + detail);
    }
    if (peer_closed_) return 0;
    FLINT_TRY(WaitFd(fd_.get(), POLLIN, deadline, std::string(what)));
    char buf[16384];
    ssize_t n = recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return Err(ErrorType::kConnection, std::string(what) + ": " + strerror(errno));
    if (n == 0) {
      peer_closed_ = true;
      BIO_set_mem_eof_return(net_in_, 0);
      continue;
    }
    BIO_write(net_in_, buf, static_cast<int>(n));
  }
}

Result<void> TlsStream::WriteAll(std::string_view data, const Deadline& deadline) {
  while (!data.empty()) {
    FLINT_ASSIGN_OR_RETURN(int n, Drive([&] {
      return SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    }, deadline, "TLS write"));
    if (n <= 0) return Err(ErrorType::kConnection, "TLS write: connection closed by peer");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return core::Ok();
}

Result<std::string> TlsStream::ReadSome(size_t max, const Deadline& deadline) {
  std::string buf(max, '\0');
  FLINT_ASSIGN_OR_RETURN(int n, Drive([&] {
    return SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
  }, deadline, "TLS read"));
  buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return buf;
}

}  // namespace flint::va::internal
