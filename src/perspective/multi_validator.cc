// The remote perspectives' client (Boost.Beast over Asio SSL, C++20 coroutines) and the fan-out
// with its overall deadline. The only client-side Beast translation unit (STACK.md pitfall 3).
#include "perspective/multi_validator.h"

#include <openssl/err.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "perspective/quorum.h"
#include "perspective/tls_context.h"
#include "perspective/wire.h"

namespace flint::perspective {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using core::Err;
using core::ErrorType;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

core::Result<RemoteEndpoint> ParsePerspectiveFlag(std::string_view flag) {
  const std::string quoted = "'" + std::string(flag) + "'";
  const size_t eq = flag.find('=');
  if (eq == std::string_view::npos) {
    return Err(ErrorType::kMalformed, "--perspective " + quoted + ": expected NAME=https://HOST:PORT");
  }
  RemoteEndpoint ep;
  ep.name = std::string(flag.substr(0, eq));
  ep.url = std::string(flag.substr(eq + 1));
  if (!ValidPerspectiveName(ep.name)) {
    return Err(ErrorType::kMalformed,
               "--perspective " + quoted + ": the name must be 1 to 32 of a-z, 0-9 and '-', "
               "and not \"primary\" or \"flint-ca\"");
  }
  std::string_view rest = ep.url;
  constexpr std::string_view kScheme = "https://";
  if (rest.substr(0, kScheme.size()) != kScheme) {
    return Err(ErrorType::kMalformed, "--perspective " + quoted + ": the URL must be https://");
  }
  rest.remove_prefix(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return Err(ErrorType::kMalformed, "--perspective " + quoted + ": expected https://[V6]:PORT");
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return Err(ErrorType::kMalformed, "--perspective " + quoted + ": the URL needs a port");
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  const bool host_ok =
      !host.empty() && host.size() <= 253 &&
      host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") ==
          std::string_view::npos;
  if (!host_ok) return Err(ErrorType::kMalformed, "--perspective " + quoted + ": bad host");
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
    return Err(ErrorType::kMalformed, "--perspective " + quoted + ": bad port");
  }
  ep.host = std::string(host);
  ep.port = static_cast<uint16_t>(std::stoi(std::string(port)));
  return ep;
}

namespace {

std::chrono::milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// One request to one agent. Always calls `done` exactly once (unless the io_context stops).
asio::awaitable<void> AskAgent(ssl::context& ctx, const RemoteEndpoint& ep, AgentOp op,
                               std::string body, Clock::time_point deadline,
                               std::function<void(RemoteResult)> done) {
  const Clock::time_point start = Clock::now();
  RemoteResult result;
  result.report.name = ep.name;
  // Why the agent could not be asked: for the audit record only (quorum.h).
  auto unreachable = [&](const std::string& why) {
    ERR_clear_error();
    result.reached = false;
    result.report.error = Err(ErrorType::kConnection, "unreachable: " + ep.url + ": " + why);
    result.report.elapsed = Since(start);
    done(std::move(result));
  };
  try {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(ep.host, std::to_string(ep.port), kNoThrow);
    if (rec) co_return unreachable("resolve: " + rec.message());
    beast::ssl_stream<beast::tcp_stream> stream(executor, ctx);
    if (!ExpectPeerName(stream.native_handle(), ep.name)) co_return unreachable("TLS set-up");
    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [cec, connected] =
        co_await beast::get_lowest_layer(stream).async_connect(endpoints, kNoThrow);
    if (cec) co_return unreachable("connect: " + cec.message());
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kNoThrow);
    if (hec) co_return unreachable("TLS handshake: " + hec.message());

    http::request<http::string_body> req{http::verb::post, std::string(AgentPath(op)), 11};
    req.set(http::field::host, ep.name);
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    auto [wec, written] = co_await http::async_write(stream, req, kNoThrow);
    if (wec) co_return unreachable("write: " + wec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReportBody);
    parser.header_limit(8 * 1024);
    auto [rdec, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (rdec) co_return unreachable("read: " + rdec.message());
    const auto& res = parser.get();
    if (res.result() != http::status::ok) {
      co_return unreachable("HTTP " + std::to_string(res.result_int()) + ": " +
                            res.body().substr(0, 200));
    }
    auto report = DecodeReport(res.body());
    if (!report.ok()) co_return unreachable("bad report: " + report.error().detail);
    result.reached = true;
    result.report = std::move(report).value();
    result.report.name = ep.name;  // the name its certificate proved, not what it says
    result.report.elapsed = Since(start);
    // One request per connection: closed without waiting for a TLS close_notify exchange.
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
    done(std::move(result));
  } catch (const std::exception& e) {
    unreachable(std::string("internal: ") + e.what());
  }
}

// The reports of one request as they arrive, until all are in or the deadline passes.
struct Fanout {
  std::mutex mu;
  bool finished = false;
  size_t outstanding = 0;
  std::optional<ra::PerspectiveReport> primary;
  std::vector<std::optional<RemoteResult>> remotes;
  ra::Validator::Completion done;
  std::unique_ptr<asio::steady_timer> timer;
};

}  // namespace

struct MultiPerspectiveValidator::Impl {
  MultiPerspectiveOptions options;
  std::unique_ptr<ssl::context> tls;
  std::unique_ptr<ra::Validator> primary;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;

  void Start(AgentOp op, ra::ValidationRequest request, Completion done);
  void Arrived(const std::shared_ptr<Fanout>& f, std::optional<ra::PerspectiveReport> primary,
               std::optional<std::pair<size_t, RemoteResult>> remote);
  void Finish(const std::shared_ptr<Fanout>& f, std::unique_lock<std::mutex> lock);
};

void MultiPerspectiveValidator::Impl::Finish(const std::shared_ptr<Fanout>& f,
                                             std::unique_lock<std::mutex> lock) {
  f->finished = true;
  ra::PerspectiveReport primary_report;
  if (f->primary) {
    primary_report = std::move(*f->primary);
  } else {
    primary_report.name = "primary";
    primary_report.error = Err(ErrorType::kConnection, "validation did not finish in time");
    primary_report.elapsed = options.timeout;
  }
  std::vector<RemoteResult> remotes;
  for (size_t i = 0; i < f->remotes.size(); ++i) {
    if (f->remotes[i]) {
      remotes.push_back(std::move(*f->remotes[i]));
      continue;
    }
    RemoteResult r;
    r.report.name = options.remotes[i].name;
    r.report.error = Err(ErrorType::kConnection,
                         "unreachable: " + options.remotes[i].url + ": no answer within " +
                             std::to_string(options.timeout.count()) + " ms");
    r.report.elapsed = options.timeout;
    remotes.push_back(std::move(r));
  }
  Completion done = std::move(f->done);
  if (f->timer) {
    // Cancelled on the io thread, which owns the timer.
    asio::post(io, [f] {
      if (f->timer) f->timer->cancel();
    });
  }
  lock.unlock();
  done(Combine(std::move(primary_report), std::move(remotes)));
}

void MultiPerspectiveValidator::Impl::Arrived(
    const std::shared_ptr<Fanout>& f, std::optional<ra::PerspectiveReport> primary_report,
    std::optional<std::pair<size_t, RemoteResult>> remote) {
  std::unique_lock lock(f->mu);
  if (f->finished) return;  // after the deadline: dropped
  if (primary_report) f->primary = std::move(primary_report);
  if (remote) f->remotes[remote->first] = std::move(remote->second);
  if (--f->outstanding == 0) Finish(f, std::move(lock));
}

void MultiPerspectiveValidator::Impl::Start(AgentOp op, ra::ValidationRequest request,
                                            Completion done) {
  const Clock::time_point deadline = Clock::now() + options.timeout;
  auto f = std::make_shared<Fanout>();
  f->done = std::move(done);
  f->outstanding = 1 + options.remotes.size();
  f->remotes.resize(options.remotes.size());

  // The overall deadline, on the io thread.
  asio::post(io, [this, f, deadline] {
    std::unique_lock lock(f->mu);
    if (f->finished) return;
    f->timer = std::make_unique<asio::steady_timer>(io, deadline);
    f->timer->async_wait([this, f](boost::system::error_code ec) {
      if (ec) return;
      std::unique_lock l(f->mu);
      if (f->finished) return;
      Finish(f, std::move(l));
    });
  });

  AgentRequest wire{request, options.caa_identities};
  const std::string body = EncodeRequest(wire);
  for (size_t i = 0; i < options.remotes.size(); ++i) {
    auto arrived = [this, f, i](RemoteResult r) {
      Arrived(f, std::nullopt, std::make_pair(i, std::move(r)));
    };
    asio::co_spawn(io, AskAgent(*tls, options.remotes[i], op, body, deadline, std::move(arrived)),
                   asio::detached);
  }
  auto primary_done = [this, f](ra::ValidationOutcome outcome) {
    ra::PerspectiveReport report;
    if (!outcome.perspectives.empty()) {
      report = std::move(outcome.perspectives.front());
    } else if (!outcome.result.ok()) {
      report.error = outcome.result.error();
    }
    report.name = "primary";
    Arrived(f, std::move(report), std::nullopt);
  };
  if (op == AgentOp::kCaa) {
    primary->CheckCaa(std::move(request), std::move(primary_done));
  } else {
    primary->Validate(std::move(request), std::move(primary_done));
  }
}

core::Result<std::unique_ptr<MultiPerspectiveValidator>> MultiPerspectiveValidator::Create(
    MultiPerspectiveOptions options, const TlsIdentity& client,
    std::unique_ptr<ra::Validator> primary) {
  std::set<std::string> names;
  for (const RemoteEndpoint& ep : options.remotes) {
    if (!names.insert(ep.name).second) {
      return Err(ErrorType::kMalformed, "--perspective: the name " + ep.name + " is used twice");
    }
  }
  auto impl = std::make_unique<Impl>();
  FLINT_ASSIGN_OR_RETURN(impl->tls, CaClientTlsContext(client));
  impl->options = std::move(options);
  impl->primary = std::move(primary);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<MultiPerspectiveValidator>(new MultiPerspectiveValidator(std::move(impl)));
}

MultiPerspectiveValidator::MultiPerspectiveValidator(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

MultiPerspectiveValidator::~MultiPerspectiveValidator() {
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->primary.reset();
}

void MultiPerspectiveValidator::Validate(ra::ValidationRequest request, Completion done) const {
  impl_->Start(AgentOp::kValidate, std::move(request), std::move(done));
}

void MultiPerspectiveValidator::CheckCaa(ra::ValidationRequest request, Completion done) const {
  impl_->Start(AgentOp::kCaa, std::move(request), std::move(done));
}

}  // namespace flint::perspective
