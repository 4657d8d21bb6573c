#include "va/net.h"

#include <openssl/err.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "policy/address_policy.h"

namespace flint::va::internal {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using core::Err;
using core::ErrorType;
using core::Result;

std::string Endpoint(const std::string& ip, uint16_t port) {
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

core::Error TimedOut(std::string_view what) {
  return Err(ErrorType::kConnection, std::string(what) + ": timed out");
}

// The OpenSSL reason for a TLS failure, without the library's file/function noise.
std::string TlsReason(const error_code& ec) {
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof) {
    return "connection closed by peer";
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    return reason != nullptr ? reason : ec.message();
  }
  return ec.message();
}

}  // namespace

struct Attempt::Watch {
  bool expired = false;
  std::function<void()> abort;
  asio::steady_timer timer;
  explicit Watch(asio::any_io_executor ex) : timer(std::move(ex)) {}
};

Attempt::Attempt(asio::any_io_executor executor, Clock::time_point deadline,
                 asio::ssl::context& tls)
    : executor_(executor), tls_(tls), watch_(std::make_shared<Watch>(executor)) {
  watch_->timer.expires_at(deadline);
  // The handler owns the Watch: it may run after the Attempt is gone (then it was cancelled).
  watch_->timer.async_wait([watch = watch_](const error_code& ec) {
    if (ec) return;
    watch->expired = true;
    if (auto abort = std::move(watch->abort)) abort();
  });
}

Attempt::~Attempt() {
  if (detach_) detach_();
  watch_->abort = nullptr;
  watch_->timer.cancel();
}

bool Attempt::expired() const { return watch_->expired; }

void Attempt::SetAbort(std::function<void()> abort) { watch_->abort = std::move(abort); }

struct Conn::Impl {
  tcp::socket socket;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;
  bool peer_closed = false;
  explicit Impl(tcp::socket s) : socket(std::move(s)) {}
  // Closing the socket makes the pending operation complete with operation_aborted.
  std::function<void()> Closer() {
    return [this] {
      error_code ignored;
      socket.close(ignored);
    };
  }
};

Conn::Conn(tcp::socket socket) : impl_(std::make_unique<Impl>(std::move(socket))) {}
Conn::~Conn() = default;
Conn::Conn(Conn&&) noexcept = default;

SSL* Conn::ssl() { return impl_->tls ? impl_->tls->native_handle() : nullptr; }

Task<Result<void>> Conn::Handshake(Attempt& at, const TlsOptions& options) {
  const std::string what = "TLS handshake";
  if (at.expired()) co_return TimedOut(what);
  impl_->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(impl_->socket, at.tls());
  SSL* ssl = impl_->tls->native_handle();
  if (!options.sni.empty() && SSL_set_tlsext_host_name(ssl, options.sni.c_str()) != 1) {
    co_return Err(ErrorType::kTls, "cannot send server name " + options.sni);
  }
  if (!options.alpn_wire.empty() &&
      SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(options.alpn_wire.data()),
                          static_cast<unsigned>(options.alpn_wire.size())) != 0) {
    co_return Err(ErrorType::kInternal, "SSL_set_alpn_protos failed");
  }
  error_code ec;
  at.SetAbort(impl_->Closer());
  co_await impl_->tls->async_handshake(asio::ssl::stream_base::client,
                                       asio::redirect_error(asio::use_awaitable, ec));
  at.SetAbort(nullptr);
  if (at.expired()) co_return TimedOut(what);
  if (ec) co_return Err(ErrorType::kTls, what + ": " + TlsReason(ec));
  co_return core::Ok();
}

Task<Result<void>> Conn::WriteAll(Attempt& at, std::string_view data) {
  const std::string what = impl_->tls ? "TLS write" : "sending request";
  if (at.expired()) co_return TimedOut(what);
  error_code ec;
  at.SetAbort(impl_->Closer());
  if (impl_->tls) {
    co_await asio::async_write(*impl_->tls, asio::buffer(data.data(), data.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(impl_->socket, asio::buffer(data.data(), data.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  at.SetAbort(nullptr);
  if (at.expired()) co_return TimedOut(what);
  if (ec) co_return Err(ErrorType::kConnection, what + ": " + ec.message());
  co_return core::Ok();
}

Task<Result<std::string>> Conn::ReadSome(Attempt& at, size_t max) {
  const std::string what = impl_->tls ? "TLS read" : "reading response";
  if (impl_->peer_closed) co_return std::string();
  if (at.expired()) co_return TimedOut(what);
  std::string buf(max, '\0');
  error_code ec;
  size_t n = 0;
  at.SetAbort(impl_->Closer());
  if (impl_->tls) {
    n = co_await impl_->tls->async_read_some(asio::buffer(buf),
                                             asio::redirect_error(asio::use_awaitable, ec));
  } else {
    n = co_await impl_->socket.async_read_some(asio::buffer(buf),
                                               asio::redirect_error(asio::use_awaitable, ec));
  }
  at.SetAbort(nullptr);
  if (at.expired()) co_return TimedOut(what);
  // Servers often close TLS without close_notify; framing (Content-Length, chunked) catches
  // truncation, as it does for plain TCP.
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    impl_->peer_closed = true;
    co_return std::string();
  }
  if (ec) {
    co_return Err(impl_->tls && ec.category() == asio::error::get_ssl_category()
                      ? ErrorType::kTls : ErrorType::kConnection,
                  what + ": " + (impl_->tls ? TlsReason(ec) : ec.message()));
  }
  buf.resize(n);
  co_return buf;
}

Task<Result<Conn>> ConnectFirst(Attempt& at, const std::vector<std::string>& addresses,
                                uint16_t port) {
  std::vector<std::string> order;
  for (const std::string& a : addresses) {
    if (policy::IsIpv6(a)) {
      order.push_back(a);
      break;
    }
  }
  for (const std::string& a : addresses) {
    if (!policy::IsIpv6(a)) {
      order.push_back(a);
      break;
    }
  }
  if (order.empty()) co_return Err(ErrorType::kConnection, "no address to connect to");
  core::Error last;
  for (const std::string& address : order) {
    const std::string what = Endpoint(address, port);
    if (at.expired()) co_return TimedOut("connecting to " + what);
    error_code ec;
    asio::ip::address ip = asio::ip::make_address(address, ec);
    if (ec) {
      last = Err(ErrorType::kConnection, "not an IP address: " + address);
      continue;
    }
    tcp::socket socket(at.executor());
    at.SetAbort([&socket] {
      error_code ignored;
      socket.close(ignored);
    });
    co_await socket.async_connect(tcp::endpoint(ip, port),
                                  asio::redirect_error(asio::use_awaitable, ec));
    at.SetAbort(nullptr);
    if (at.expired()) co_return TimedOut("connecting to " + what);
    if (!ec) co_return Conn(std::move(socket));
    last = Err(ErrorType::kConnection, what + ": " + ec.message());
  }
  co_return last;
}

Task<Result<HttpResponse>> HttpGet(Attempt& at, Conn& conn, const std::string& host_header,
                                   const std::string& target, size_t max_body) {
  const std::string request = HttpGetRequest(host_header, target);
  FLINT_CO_TRY(co_await conn.WriteAll(at, request));
  const size_t max_raw = MaxRawResponse(max_body);
  std::string raw;
  for (;;) {
    FLINT_CO_ASSIGN_OR_RETURN(std::string more, co_await conn.ReadSome(at, 16 * 1024));
    const bool eof = more.empty();
    raw += more;
    FLINT_CO_ASSIGN_OR_RETURN(std::optional<HttpResponse> response,
                           ParseHttpResponse(raw, max_body, eof));
    if (response) co_return std::move(*response);
    if (raw.size() > max_raw) {
      co_return Err(ErrorType::kConnection, "malformed HTTP response: response too large");
    }
  }
}

}  // namespace flint::va::internal
