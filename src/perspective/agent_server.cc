// The agent's HTTPS server (Boost.Beast over Asio SSL, C++20 coroutines). The only server-side
// Beast translation unit of the perspective module (STACK.md pitfall 3).
#include "perspective/agent_server.h"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>

#include <spdlog/spdlog.h>

#include "perspective/tls_context.h"

namespace flint::perspective {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using core::ErrorType;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr uint64_t kMaxDrain = 1024 * 1024;
using Response = http::response<http::string_body>;

Response Answer(http::status status, std::string body, unsigned version, bool keep_alive) {
  Response res{status, version};
  res.set(http::field::content_type,
          status == http::status::ok ? "application/json" : "application/problem+json");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response Problem(http::status status, ErrorType type, std::string_view detail, unsigned version) {
  return Answer(status, EncodeProblem(type, detail), version, false);
}

}  // namespace

struct AgentServer::Impl {
  AgentServerOptions options;
  AgentHandler handler;
  std::unique_ptr<ssl::context> tls;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::atomic<int> connections{0};
  uint16_t port = 0;
  std::thread thread;
  bool stopped = false;

  asio::awaitable<void> Accept();
  asio::awaitable<void> Session(tcp::socket socket);
  asio::awaitable<Response> Handle(http::request<http::string_body>& req);
};

// Awaits the handler's completion on this io_context.
asio::awaitable<Response> AgentServer::Impl::Handle(http::request<http::string_body>& req) {
  const unsigned version = req.version();
  const std::string target(req.target());
  AgentOp op;
  if (target == AgentPath(AgentOp::kValidate)) {
    op = AgentOp::kValidate;
  } else if (target == AgentPath(AgentOp::kCaa)) {
    op = AgentOp::kCaa;
  } else {
    co_return Problem(http::status::not_found, ErrorType::kMalformed, "no such resource", version);
  }
  if (req.method() != http::verb::post) {
    Response res = Problem(http::status::method_not_allowed, ErrorType::kMalformed,
                           "only POST is allowed", version);
    res.set(http::field::allow, "POST");
    co_return res;
  }
  auto decoded = DecodeRequest(req.body());
  if (!decoded.ok()) {
    co_return Problem(http::status::bad_request, ErrorType::kMalformed, decoded.error().detail,
                      version);
  }
  auto executor = co_await asio::this_coro::executor;
  AgentRequest request = std::move(decoded).value();
  ra::PerspectiveReport report = co_await asio::async_initiate<
      decltype(asio::use_awaitable), void(ra::PerspectiveReport)>(
      [this, op, &request, executor](auto completion) {
        auto shared = std::make_shared<decltype(completion)>(std::move(completion));
        handler(op, std::move(request), [shared, executor](ra::PerspectiveReport r) {
          asio::post(executor, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
        });
      },
      asio::use_awaitable);
  report.name = options.identity.name;
  co_return Answer(http::status::ok, EncodeReport(report), version, req.keep_alive());
}

asio::awaitable<void> AgentServer::Impl::Session(tcp::socket socket) {
  struct Count {
    std::atomic<int>& n;
    ~Count() { --n; }
  } count{connections};
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
  beast::get_lowest_layer(stream).expires_after(options.request_timeout);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
  if (hec) {
    // A client without the CA's certificate ends here (alert sent by OpenSSL).
    ERR_clear_error();
    spdlog::info("va-agent: TLS handshake refused: {}", hec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxRequestBody);
    parser.header_limit(8 * 1024);
    beast::get_lowest_layer(stream).expires_after(options.request_timeout);
    auto [rec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    Response res;
    size_t drain = 0;  // bytes of a refused body to read before closing
    if (rec == http::error::end_of_stream || rec == asio::error::eof ||
        rec == beast::error::timeout || rec == asio::ssl::error::stream_truncated) {
      break;
    } else if (rec == http::error::body_limit) {
      res = Problem(http::status::payload_too_large, ErrorType::kMalformed,
                    "request body over " + std::to_string(kMaxRequestBody) + " bytes", 11);
      // STACK.md pitfall 12: closing with the body unread makes the client see a reset, not
      // the 413; read (a bounded amount of) the rest first.
      const uint64_t announced = parser.content_length().value_or(0);
      drain = static_cast<size_t>(std::min<uint64_t>(announced, kMaxDrain));
      drain -= std::min(drain, buffer.size());
    } else if (rec) {
      res = Problem(http::status::bad_request, ErrorType::kMalformed, "malformed HTTP request",
                    11);
    } else {
      beast::get_lowest_layer(stream).expires_never();
      res = co_await Handle(parser.get());
    }
    beast::get_lowest_layer(stream).expires_after(options.request_timeout);
    auto [wec, w] = co_await http::async_write(stream, res, kNoThrow);
    if (!wec && drain > 0) {
      std::array<char, 16 * 1024> sink;
      while (drain > 0) {
        auto [dec, got] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
        if (dec) break;
        drain -= std::min(drain, got);
      }
    }
    if (wec || !res.keep_alive()) break;
  }
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(kNoThrow);
  ERR_clear_error();
}

asio::awaitable<void> AgentServer::Impl::Accept() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue;
    }
    if (connections.load() >= options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++connections;
    asio::co_spawn(io, Session(std::move(socket)), asio::detached);
  }
}

core::Result<std::unique_ptr<AgentServer>> AgentServer::Start(AgentServerOptions options,
                                                              AgentHandler handler) {
  auto impl = std::make_unique<Impl>();
  FLINT_ASSIGN_OR_RETURN(impl->tls, AgentTlsContext(options.identity));
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options.listen_host, ec);
  if (ec) {
    return core::Err(ErrorType::kInternal,
                     "--listen host must be an IP address: " + options.listen_host);
  }
  tcp::endpoint endpoint(address, options.listen_port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return core::Err(ErrorType::kInternal, "listen: " + ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  Impl* raw = impl.get();
  asio::co_spawn(impl->io, raw->Accept(), asio::detached);
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<AgentServer>(new AgentServer(std::move(impl)));
}

AgentServer::AgentServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AgentServer::~AgentServer() { Stop(); }

uint16_t AgentServer::port() const { return impl_->port; }

void AgentServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  asio::post(impl_->io, [raw = impl_.get()] {
    boost::system::error_code ignored;
    raw->acceptor.close(ignored);
  });
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace flint::perspective
