#pragma once
// Deadline-bounded blocking TCP and TLS client connections for the validators. Internal to va.
// Sockets are non-blocking underneath; every wait is a poll() bounded by the attempt's Deadline,
// so one validation attempt can never outlive VaOptions::timeout by more than a scheduling delay.
// No call raises SIGPIPE (send with MSG_NOSIGNAL; TLS runs over memory BIOs).

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace flint::va::internal {

class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget)
      : at_(std::chrono::steady_clock::now() + budget) {}
  // Milliseconds left, at least 0, for poll().
  int RemainingMs() const;
  bool Expired() const { return RemainingMs() == 0; }

 private:
  std::chrono::steady_clock::time_point at_;
};

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept;
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// A byte stream: plain TCP or TLS over TCP.
class Stream {
 public:
  virtual ~Stream() = default;
  // kConnection (or kTls) on failure or when the deadline passes.
  virtual core::Result<void> WriteAll(std::string_view data, const Deadline& deadline) = 0;
  // Reads up to `max` bytes (at least 1 unless the peer closed: then returns an empty string).
  virtual core::Result<std::string> ReadSome(size_t max, const Deadline& deadline) = 0;
};

// Connects to `ip` (canonical IPv4/IPv6 text) on `port`. kConnection on refusal, unreachable
// network or timeout; `what` names the target in error details ("127.0.0.1:80").
core::Result<Fd> ConnectTcp(const std::string& ip, uint16_t port, const Deadline& deadline);

std::unique_ptr<Stream> MakePlainStream(Fd fd);

struct TlsClientOptions {
  std::string sni;                 // server name to send; empty: no SNI
  std::string alpn_wire;           // ALPN protocol list in wire format; empty: no ALPN
};

// A TLS 1.2+ client connection with certificate verification DISABLED: the validators never trust
// a certificate for authentication (RFC 8555 §8.3 redirects to https, RFC 8737 self-signed
// validation certificates). kTls on handshake failure, kConnection on timeout or reset.
class TlsStream : public Stream {
 public:
  static core::Result<std::unique_ptr<TlsStream>> Handshake(Fd fd, const TlsClientOptions& opts,
                                                             const Deadline& deadline);
  ~TlsStream() override;
  core::Result<void> WriteAll(std::string_view data, const Deadline& deadline) override;
  core::Result<std::string> ReadSome(size_t max, const Deadline& deadline) override;
  SSL* ssl() const { return ssl_; }

 private:
  TlsStream(Fd fd, SSL_CTX* ctx, SSL* ssl, BIO* net_in, BIO* net_out);
  // Runs one SSL operation to completion, shuttling bytes between the memory BIOs and the socket.
  // Returns the operation's positive result, or 0 when the peer closed the connection.
  template <typename Op>
  core::Result<int> Drive(Op op, const Deadline& deadline, std::string_view what);
  core::Result<void> Flush(const Deadline& deadline);

  Fd fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* net_in_;   // bytes from the network, read by SSL (owned by ssl_)
  BIO* net_out_;  // bytes from SSL, to send to the network (owned by ssl_)
  bool peer_closed_ = false;
};

}  // namespace flint::va::internal
