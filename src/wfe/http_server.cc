// HTTP/1.1 over TLS on Boost.Beast/Asio with C++20 coroutines. The only translation unit of flint
// that includes Beast (STACK.md pitfall 3).
//
// Threads: `io_threads` single-threaded io_contexts; the acceptor lives on the first and hands each
// accepted socket to the next io_context in turn, so a session's executor is its strand. Handlers
// run on a thread_pool and their result is dispatched back to the session's io_context.

#include "wfe/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <exception>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ascii.h"
#include "core/error.h"
#include "wfe/http_framing.h"
#include "wfe/http_util.h"
#include "wfe/problem.h"
#include "wfe/proxy_protocol.h"

namespace flint::wfe {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using PlainStream = beast::tcp_stream;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kIdleReadBytes = 4096;
// After an error response: how long, and how much, to read and discard before closing, so that the
// client's unread request bytes do not make the kernel reset the connection before it reads our
// answer (RFC 9112 §9.6), as nginx's lingering close does. A client that uploads a refused 10 MB
// body before reading still gets its 413; the time bound (not the bytes) is what limits the cost.
constexpr std::chrono::seconds kLingerTime{5};
constexpr size_t kMaxLingerBytes = 64 * 1024 * 1024;
constexpr std::chrono::milliseconds kAcceptBackoff{50};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Mozilla "intermediate" TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 uses OpenSSL's.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// ---------------------------------------------------------------------------------------------
// Problem documents and the peer address (the pure helpers are in http_util.h).

// An error the transport answers itself, as a problem document written by the one writer
// (wfe/problem.h), with the headers `error_headers` adds (the ACME layer's nonce and index link).
HttpResponse TransportProblem(const ErrorHeaders& error_headers, int status, core::ErrorType type,
                              std::string detail) {
  HttpResponse res;
  res.status = status;
  res.headers.emplace_back("Content-Type", std::string(kProblemContentType));
  res.body = ProblemJson(core::Err(type, std::move(detail)), status);
  res.log_problem = std::string(core::ErrorTypeName(type));
  if (error_headers) {
    try {
      error_headers(res);
    } catch (const std::exception& e) {
      spdlog::error("http error-headers hook threw: {}", e.what());
    }
  }
  return res;
}

HttpResponse InternalProblem(const ErrorHeaders& error_headers) {
  return TransportProblem(error_headers, 500, core::ErrorType::kServerInternal, "internal error");
}

std::string RemoteAddress(const tcp::socket& socket) {
  beast::error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "-";
  const asio::ip::address addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
  }
  return addr.to_string();
}

// ---------------------------------------------------------------------------------------------
// TLS.

// ALPN (RFC 7301): select "http/1.1" when offered; otherwise carry on without ALPN.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void*) {
  static constexpr unsigned char kProtos[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  unsigned char selected_len = 0;
  if (SSL_select_next_proto(&selected, &selected_len, kProtos, sizeof(kProtos), in, in_len) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    *out_len = selected_len;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

core::Error TlsError(std::string_view what, const beast::error_code& ec) {
  ERR_clear_error();
  return core::Err(core::ErrorType::kInternal, fmt::format("TLS {}: {}", what, ec.message()));
}

// TLS 1.2+ only, server cipher preference, no compression, no renegotiation (DESIGN.md).
core::Result<std::unique_ptr<ssl::context>> BuildTlsContext(const HttpServerOptions& options) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
                                  SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    ERR_clear_error();
    return core::Err(core::ErrorType::kInternal, "TLS: cannot configure protocol versions");
  }
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  beast::error_code ec;
  ctx->use_certificate_chain(asio::buffer(options.tls_cert_chain_pem), ec);
  if (ec) return TlsError("certificate chain", ec);
  ctx->use_private_key(asio::buffer(options.tls_key_pem), ssl::context::pem, ec);
  if (ec) return TlsError("private key", ec);
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return core::Err(core::ErrorType::kInternal, "TLS: private key does not match certificate");
  }
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// Request framing and conversion.

bool WantsContinue(const http::request<http::string_body>& req) {
  return req.version() == 11 && beast::iequals(req[http::field::expect], "100-continue");
}

// Copies the handler's headers (dropping framing ones), adds Date, Connection and Content-Length,
// and moves the body. Clears `keep_alive` if the handler asked for `Connection: close`.
http::response<http::string_body> ToBeastResponse(HttpResponse& res, unsigned version,
                                                  bool* keep_alive) {
  http::response<http::string_body> msg;
  msg.version(version);
  msg.result(res.status >= 100 && res.status <= 599 ? static_cast<unsigned>(res.status) : 500U);
  bool has_date = false;
  for (const auto& [name, value] : res.headers) {
    if (!IsSafeHeader(name, value)) {
      spdlog::error("http handler set a header with an invalid name or value; dropped");
      continue;
    }
    if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding")) {
      continue;
    }
    if (beast::iequals(name, "connection")) {
      if (beast::iequals(value, "close")) *keep_alive = false;
      continue;
    }
    has_date = has_date || beast::iequals(name, "date");
    msg.insert(name, value);
  }
  if (!has_date) msg.set(http::field::date, HttpDate(std::chrono::system_clock::now()));
  msg.keep_alive(*keep_alive);
  const unsigned status = msg.result_int();
  if (status >= 200 && status != 204 && status != 304) msg.content_length(res.body.size());
  msg.body() = std::move(res.body);
  return msg;
}

HttpResponse InvokeHandler(const Handler& handler, const ErrorHeaders& error_headers,
                           HttpRequest& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    spdlog::error("http handler threw: {}", e.what());
  } catch (...) {
    spdlog::error("http handler threw a non-standard exception");
  }
  return InternalProblem(error_headers);
}

std::optional<HttpResponse> InvokeInline(const InlineHandler& handler,
                                         const ErrorHeaders& error_headers, HttpRequest& request) {
  if (!handler) return std::nullopt;
  try {
    return handler(request);
  } catch (const std::exception& e) {
    spdlog::error("http inline handler threw: {}", e.what());
  } catch (...) {
    spdlog::error("http inline handler threw a non-standard exception");
  }
  return InternalProblem(error_headers);
}

// Responses waiting for the durability barrier. Each holds work on its session's io_context,
// and the barrier may call back from its own thread at any time, so the server must not destroy
// its io_contexts while any is outstanding.
class DurabilityWaits {
 public:
  void Begin() {
    std::lock_guard lock(mu_);
    ++outstanding_;
  }
  void End() {
    std::lock_guard lock(mu_);
    if (--outstanding_ == 0) done_.notify_all();
  }
  // Blocks until every wait has been answered (within one sync of the store, unless its disk
  // hangs, in which case the store could not close either).
  void Drain() {
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return outstanding_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  int outstanding_ = 0;
};

// Runs the blocking handler on `pool` and completes on the awaiting coroutine's own executor (its
// io_context), so the coroutine never blocks an I/O thread and never resumes on a worker.
// With a durability barrier, the response completes only once every write the handler could
// have seen is on stable storage (core/durability.h); the worker does not wait for that.
template <typename CompletionToken>
auto AsyncRunOnPool(asio::thread_pool& pool, const Handler& handler,
                    const ErrorHeaders& error_headers, core::DurabilityBarrier* durability,
                    DurabilityWaits& waits, HttpRequest request, CompletionToken&& token) {
  auto initiate = [&pool, &handler, &error_headers, durability, &waits](auto completion,
                                                                        HttpRequest req) {
    auto work = asio::make_work_guard(asio::get_associated_executor(completion));
    asio::post(pool, [&handler, &error_headers, durability, &waits, req = std::move(req),
                      completion = std::move(completion), work = std::move(work)]() mutable {
      HttpResponse res = InvokeHandler(handler, error_headers, req);
      auto complete = [completion = std::move(completion), res = std::move(res), &error_headers,
                       work = std::move(work)](bool durable) mutable {
        if (!durable) res = InternalProblem(error_headers);
        asio::dispatch(work.get_executor(),
                       [completion = std::move(completion), res = std::move(res)]() mutable {
                         std::move(completion)(std::move(res));
                       });
        work.reset();
      };
      if (durability == nullptr) {
        complete(true);
        return;
      }
      // std::function needs a copyable target; the completion handler is move-only.
      auto shared = std::make_shared<decltype(complete)>(std::move(complete));
      waits.Begin();
      durability->WhenDurable(durability->Mark(), [shared, &waits](bool durable) {
        (*shared)(durable);
        waits.End();
      });
    });
  };
  return asio::async_initiate<CompletionToken, void(HttpResponse)>(
      std::move(initiate), token, std::move(request));
}

// The one log line per request, and the observer's record of it.
void LogRequest(std::string_view method, std::string_view path, unsigned status,
                const HttpResponse& res, Clock::time_point start, std::string_view remote,
                const RequestObserver& observer) {
  const Clock::duration elapsed = Clock::now() - start;
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  spdlog::info("request method={} path={} status={} account={} problem={} dur_ms={:.1f} remote={}",
               method, path, status, res.log_account, res.log_problem, ms, remote);
  if (!observer) return;
  try {
    observer(RequestRecord{method, path, status, elapsed});
  } catch (const std::exception& e) {
    spdlog::error("http request observer threw: {}", e.what());
  }
}

// Logs an exception that escaped a coroutine instead of swallowing it (asio::detached would).
auto LogFailure(std::string_view what) {
  return [what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("http {} failed: {}", what, ex.what());
    } catch (...) {
      spdlog::error("http {} failed", what);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Server state shared with sessions.

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Runs on the session's executor: closes the connection if it is not in the middle of a request.
  virtual void CloseIfIdle() = 0;
  virtual asio::any_io_executor executor() = 0;
  // Any thread: whether the connection is between requests (or handshaking, or closing).
  bool idle() const { return idle_.load(std::memory_order_relaxed); }
  // Any thread: marks the session as chosen to make room; false if it was chosen before.
  bool ChooseForEviction() { return !evicted_.exchange(true, std::memory_order_relaxed); }

 protected:
  std::atomic<bool> idle_{true};  // written on the session's executor only
  std::atomic<bool> evicted_{false};
};

class ServerCore {
 public:
  using SessionList = std::list<std::weak_ptr<SessionBase>>;

  ServerCore(HttpServerOptions options, Handler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}
  ~ServerCore() { Stop(); }

  core::Result<void> Start();
  void Stop();
  uint16_t port() const { return port_; }

  // For sessions.
  const HttpServerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  const InlineHandler& inline_handler() const { return inline_handler_; }
  void set_inline_handler(InlineHandler h) { inline_handler_ = std::move(h); }
  const ErrorHeaders& error_headers() const { return error_headers_; }
  void set_error_headers(ErrorHeaders h) { error_headers_ = std::move(h); }
  const RequestObserver& request_observer() const { return request_observer_; }
  void set_request_observer(RequestObserver o) { request_observer_ = std::move(o); }
  asio::thread_pool& pool() { return *pool_; }
  DurabilityWaits& durability_waits() { return durability_waits_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // Called when a session object dies: frees its connection slot.
  void Release(SessionList::iterator registration);
  // Counts a connection from `address` against max_connections_per_ip; false (nothing counted)
  // when that address already has as many. Each true is matched by one ReleaseAddress.
  bool AdmitAddress(const std::string& address);
  void ReleaseAddress(const std::string& address);

 private:
  core::Result<void> Listen();
  core::Result<void> ListenOn(const tcp::endpoint& endpoint);
  asio::awaitable<void> AcceptLoop();
  bool TryAdmit();
  bool EvictIdleLocked();
  void Spawn(tcp::socket socket);
  template <class S>
  void Launch(std::shared_ptr<S> session);
  void CloseIdleSessions();
  void Teardown();

  const HttpServerOptions options_;
  const Handler handler_;
  InlineHandler inline_handler_;  // set before Start(), read-only afterwards
  ErrorHeaders error_headers_;    // likewise
  RequestObserver request_observer_;  // likewise

  // Declared before the io_contexts: sessions destroyed with them still call Release().
  std::mutex mu_;
  std::condition_variable drained_;
  int active_ = 0;         // guarded by mu_: admitted connections not yet released
  SessionList sessions_;   // guarded by mu_; newest first
  std::unordered_map<std::string, int> per_address_;  // guarded by mu_: AdmitAddress counts
  std::atomic<bool> stopping_{false};

  std::unique_ptr<ssl::context> tls_;
  std::vector<std::unique_ptr<asio::io_context>> io_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> io_work_;
  std::vector<std::thread> io_threads_;
  std::unique_ptr<tcp::acceptor> acceptor_;  // on io_[0]
  std::unique_ptr<asio::thread_pool> pool_;
  DurabilityWaits durability_waits_;
  size_t next_io_ = 0;  // accept loop only
  uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

// ---------------------------------------------------------------------------------------------
// One connection: a coroutine serving requests in order until close.

template <class Stream>
class Session final : public SessionBase {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... StreamArgs>
  Session(ServerCore& server, std::string remote, StreamArgs&&... stream_args)
      : server_(server),
        stream_(std::forward<StreamArgs>(stream_args)...),
        remote_(std::move(remote)) {}
  ~Session() override {
    if (address_admitted_) server_.ReleaseAddress(remote_);
    if (registration_) server_.Release(*registration_);
  }

  void Attach(ServerCore::SessionList::iterator registration) { registration_ = registration; }
  void CloseIfIdle() override {
    if (idle_) Lowest().close();
  }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

  // Serves the connection until it closes. The caller keeps the session alive meanwhile.
  asio::awaitable<void> Run() {
    // g++ 12 miscompiles `if (!co_await f())` / `while (co_await f())` here (the coroutine
    // crashes on resume): await into locals first.
    if (options().proxy_protocol) {
      const bool proxied = co_await ReadProxyHeader();
      if (!proxied) co_return;
    }
    if (!server_.AdmitAddress(remote_)) {
      spdlog::debug("http connection refused: {} already has {} connections", remote_,
                    options().max_connections_per_ip);
      co_return;
    }
    address_admitted_ = true;
    const bool secured = co_await Handshake();
    if (!secured) co_return;
    for (;;) {
      const bool more = co_await ServeOne();
      if (!more) break;
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  const HttpServerOptions& options() const { return server_.options(); }

  asio::awaitable<bool> ReadProxyHeader();
  asio::awaitable<bool> Handshake();
  asio::awaitable<bool> AwaitRequestBytes();
  asio::awaitable<bool> ServeOne();
  asio::awaitable<ReadOutcome> ReadRequest(Parser& parser, Rejection& rejection);
  asio::awaitable<bool> Write(HttpResponse& res, unsigned version, bool head, bool& keep_alive,
                              unsigned& status);
  asio::awaitable<void> Reject(const Parser& parser, const Rejection& rejection,
                               Clock::time_point start);
  asio::awaitable<void> CloseGracefully();
  asio::awaitable<void> Linger();

  ServerCore& server_;
  Stream stream_;
  beast::flat_buffer buffer_;  // persists across requests: holds pipelined bytes
  std::string remote_;  // the peer's address, or the PROXY header's source
  bool address_admitted_ = false;
  int requests_ = 0;
  const Clock::time_point born_ = Clock::now();
  std::optional<ServerCore::SessionList::iterator> registration_;
};

// Reads exactly the PROXY v2 header (nothing of the TLS handshake or request behind it) within
// the request deadline, and takes the client's address from it.
template <class Stream>
asio::awaitable<bool> Session<Stream>::ReadProxyHeader() {
  Lowest().expires_after(options().request_deadline);
  std::string header(kProxyV2FixedBytes, '\0');
  auto [ec, n] = co_await asio::async_read(Lowest(), asio::buffer(header), kNoThrow);
  if (ec) co_return false;
  const size_t length = ProxyV2HeaderLength(header);
  if (length == 0) {
    spdlog::debug("proxy protocol: no valid v2 header from {}", remote_);
    co_return false;
  }
  header.resize(length);
  if (length > kProxyV2FixedBytes) {
    auto [rest_ec, rest_n] = co_await asio::async_read(
        Lowest(), asio::buffer(header.data() + kProxyV2FixedBytes, length - kProxyV2FixedBytes),
        kNoThrow);
    if (rest_ec) co_return false;
  }
  ProxyHeader parsed;
  if (!ParseProxyV2(header, &parsed)) {
    spdlog::debug("proxy protocol: malformed v2 header from {}", remote_);
    co_return false;
  }
  if (!parsed.source_address.empty()) remote_ = parsed.source_address;
  co_return true;
}

template <class Stream>
asio::awaitable<bool> Session<Stream>::Handshake() {
  // Registered before this runs: either Stop() saw this session, or stopping() is already true.
  if (server_.stopping()) co_return false;
  if constexpr (!kTls) {
    co_return true;
  } else {
    Lowest().expires_after(options().request_deadline);
    auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, kNoThrow);
    if (ec) {
      spdlog::debug("tls handshake failed remote={} error={}", remote_, ec.message());
      co_return false;
    }
    co_return true;
  }
}

// Waits up to idle_timeout for the first byte of the next request; pipelined bytes already
// buffered count. False if the peer left, the timeout passed, or the server is stopping.
template <class Stream>
asio::awaitable<bool> Session<Stream>::AwaitRequestBytes() {
  idle_ = true;
  if (server_.stopping()) co_return false;
  if (buffer_.size() > 0) {
    idle_ = false;
    co_return true;
  }
  Lowest().expires_after(options().idle_timeout);
  auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kIdleReadBytes), kNoThrow);
  buffer_.commit(n);
  idle_ = false;
  co_return !ec && n > 0;
}

// Serves one request. Returns whether the connection stays open for another.
template <class Stream>
asio::awaitable<bool> Session<Stream>::ServeOne() {
  const bool started = co_await AwaitRequestBytes();
  if (!started) co_return false;
  const Clock::time_point start = Clock::now();
  // One deadline for the whole request, header and body: a client trickling bytes is cut off.
  Lowest().expires_after(options().request_deadline);
  Parser parser;
  parser.header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
  parser.body_limit(options().max_body_bytes);
  Rejection rejection;
  const ReadOutcome outcome = co_await ReadRequest(parser, rejection);
  if (outcome == ReadOutcome::kGone) co_return false;
  if (outcome == ReadOutcome::kRejected) {
    co_await Reject(parser, rejection, start);
    co_return false;
  }
  http::request<http::string_body> msg = parser.release();
  const unsigned version = msg.version();
  const bool head = msg.method() == http::verb::head;
  const std::string method(msg.method_string());
  const std::string path = PathOf(msg.target());
  bool keep_alive = msg.keep_alive();
  HttpRequest request = ToHttpRequest(std::move(msg), remote_);
  std::optional<HttpResponse> quick =
      InvokeInline(server_.inline_handler(), server_.error_headers(), request);
  HttpResponse res;
  if (quick) {
    res = std::move(*quick);
  } else {
    res = co_await AsyncRunOnPool(server_.pool(), server_.handler(), server_.error_headers(),
                                  options().durability,
                                  server_.durability_waits(), std::move(request),
                                  asio::use_awaitable);
  }
  // No connection is held forever: after its request budget or age it ends with this response.
  ++requests_;
  keep_alive = keep_alive && !server_.stopping() &&
               requests_ < options().max_requests_per_connection &&
               Clock::now() - born_ < options().max_connection_age;
  unsigned status = 0;
  const bool written = co_await Write(res, version, head, keep_alive, status);
  LogRequest(method, path, status, res, start, remote_, server_.request_observer());
  if (!written) co_return false;
  if (!keep_alive) co_await CloseGracefully();
  co_return keep_alive;
}

template <class Stream>
asio::awaitable<ReadOutcome> Session<Stream>::ReadRequest(Parser& parser, Rejection& rejection) {
  auto [header_ec, header_n] = co_await http::async_read_header(stream_, buffer_, parser, kNoThrow);
  if (header_ec) co_return Classify(header_ec, &rejection);
  if (std::optional<Rejection> bad = CheckFraming(parser)) {
    rejection = std::move(*bad);
    co_return ReadOutcome::kRejected;
  }
  if (parser.is_done()) co_return ReadOutcome::kOk;
  if (WantsContinue(parser.get())) {  // RFC 9110 §10.1.1
    auto [write_ec, write_n] =
        co_await asio::async_write(stream_, asio::buffer(kContinue), kNoThrow);
    if (write_ec) co_return ReadOutcome::kGone;
  }
  auto [body_ec, body_n] = co_await http::async_read(stream_, buffer_, parser, kNoThrow);
  if (body_ec) co_return Classify(body_ec, &rejection);
  co_return ReadOutcome::kOk;
}

template <class Stream>
asio::awaitable<bool> Session<Stream>::Write(HttpResponse& res, unsigned version, bool head,
                                             bool& keep_alive, unsigned& status) {
  http::response<http::string_body> msg = ToBeastResponse(res, version, &keep_alive);
  status = msg.result_int();
  // RFC 9110 §9.3.2, §15: HEAD, 1xx, 204 and 304 responses carry headers only.
  const bool header_only = head || status < 200 || status == 204 || status == 304;
  http::response_serializer<http::string_body> serializer(msg);
  Lowest().expires_after(options().request_deadline);
  beast::error_code ec;
  if (header_only) {
    std::tie(ec, std::ignore) = co_await http::async_write_header(stream_, serializer, kNoThrow);
  } else {
    std::tie(ec, std::ignore) = co_await http::async_write(stream_, serializer, kNoThrow);
  }
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> Session<Stream>::Reject(const Parser& parser, const Rejection& rejection,
                                              Clock::time_point start) {
  std::string method = "-";
  std::string path = "-";
  if (parser.is_header_done()) {
    method = std::string(parser.get().method_string());
    path = PathOf(parser.get().target());
  }
  HttpResponse res = TransportProblem(server_.error_headers(), rejection.status,
                                      core::ErrorType::kMalformed, rejection.detail);
  bool keep_alive = false;
  unsigned status = 0;
  co_await Write(res, 11, /*head=*/false, keep_alive, status);
  LogRequest(method, path, status, res, start, remote_, server_.request_observer());
  co_await Linger();
}

// Closes after a response that said `Connection: close`: TLS close_notify when TLS is used.
template <class Stream>
asio::awaitable<void> Session<Stream>::CloseGracefully() {
  if constexpr (kTls) {
    idle_ = true;
    Lowest().expires_after(std::min<Clock::duration>(options().request_deadline, kLingerTime));
    [[maybe_unused]] auto [ec] = co_await stream_.async_shutdown(kNoThrow);
    Lowest().close();
  } else {
    co_await Linger();
  }
}

// Half-closes, then discards what the client still sends for a short while before closing, so an
// error response is not lost to a TCP reset.
template <class Stream>
asio::awaitable<void> Session<Stream>::Linger() {
  idle_ = true;
  beast::error_code ignored;
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
  Lowest().expires_after(std::min<Clock::duration>(options().request_deadline, kLingerTime));
  std::array<char, 4096> sink;
  for (size_t drained = 0; drained < kMaxLingerBytes;) {
    auto [ec, n] = co_await Lowest().async_read_some(asio::buffer(sink), kNoThrow);
    if (ec) break;
    drained += n;
  }
  Lowest().close();
}

// Owns the session for as long as its coroutine runs.
template <class S>
asio::awaitable<void> RunSession(std::shared_ptr<S> session) {
  co_await session->Run();
}

// ---------------------------------------------------------------------------------------------
// ServerCore.

void RunIo(asio::io_context& io) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("http io thread: {}", e.what());
    }
  }
}

core::Result<void> ServerCore::Start() {
  if (started_ || stopped_) {
    return core::Err(core::ErrorType::kInternal, "HTTP server already started");
  }
  std::signal(SIGPIPE, SIG_IGN);
  if (options_.tls) {
    FLINT_ASSIGN_OR_RETURN(tls_, BuildTlsContext(options_));
  }
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int io_threads = options_.io_threads > 0 ? options_.io_threads : cores;
  const int workers = options_.worker_threads > 0 ? options_.worker_threads : 2 * cores;
  for (int i = 0; i < io_threads; ++i) io_.push_back(std::make_unique<asio::io_context>(1));
  FLINT_TRY(Listen());
  pool_ = std::make_unique<asio::thread_pool>(workers);
  started_ = true;
  asio::co_spawn(*io_[0], AcceptLoop(), LogFailure("accept loop"));
  for (auto& io : io_) {
    io_work_.push_back(asio::make_work_guard(*io));
    io_threads_.emplace_back([ctx = io.get()] { RunIo(*ctx); });
  }
  spdlog::info("http listening host={} port={} tls={} io_threads={} workers={}",
               options_.listen_host, port_, options_.tls, io_threads, workers);
  return core::Ok();
}

core::Result<void> ServerCore::Listen() {
  const std::string& host = options_.listen_host;
  if (host.empty()) {
    // All interfaces: dual-stack if IPv6 exists, else IPv4.
    if (ListenOn(tcp::endpoint(asio::ip::address_v6::any(), options_.listen_port)).ok()) {
      return core::Ok();
    }
    return ListenOn(tcp::endpoint(asio::ip::address_v4::any(), options_.listen_port));
  }
  beast::error_code ec;
  const asio::ip::address addr = asio::ip::make_address(host, ec);
  if (!ec) return ListenOn(tcp::endpoint(addr, options_.listen_port));
  tcp::resolver resolver(*io_[0]);
  const auto results = resolver.resolve(host, std::to_string(options_.listen_port), ec);
  if (ec || results.empty()) {
    return core::Err(core::ErrorType::kInternal,
                     fmt::format("cannot resolve listen host {}: {}", host, ec.message()));
  }
  return ListenOn(results.begin()->endpoint());
}

core::Result<void> ServerCore::ListenOn(const tcp::endpoint& endpoint) {
  auto acceptor = std::make_unique<tcp::acceptor>(*io_[0]);
  beast::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6() && endpoint.address().is_unspecified()) {
    acceptor->set_option(asio::ip::v6_only(false), ec);
  }
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  tcp::endpoint local;
  if (!ec) local = acceptor->local_endpoint(ec);
  if (ec) {
    return core::Err(core::ErrorType::kInternal,
                     fmt::format("cannot listen on {}:{}: {}", endpoint.address().to_string(),
                                 endpoint.port(), ec.message()));
  }
  port_ = local.port();
  acceptor_ = std::move(acceptor);
  return core::Ok();
}

asio::awaitable<void> ServerCore::AcceptLoop() {
  while (!stopping()) {
    asio::any_io_executor target = io_[next_io_++ % io_.size()]->get_executor();
    auto [ec, socket] = co_await acceptor_->async_accept(target, kNoThrow);
    if (ec) {
      if (stopping() || ec == asio::error::operation_aborted) break;
      // E.g. EMFILE: back off instead of spinning.
      spdlog::warn("http accept failed: {}", ec.message());
      asio::steady_timer backoff(co_await asio::this_coro::executor, kAcceptBackoff);
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    if (!TryAdmit()) {
      spdlog::debug("http connection refused: limit of {} reached", options_.max_connections);
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    Spawn(std::move(socket));
  }
}

bool ServerCore::TryAdmit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping()) return false;
  if (active_ >= options_.max_connections && !EvictIdleLocked()) return false;
  ++active_;
  return true;
}

// Full: asks the oldest idle connection to close, so that the new one can have its slot. The
// slot is freed once the evicted session ends, so the count may briefly exceed the cap by the
// evictions in flight, bounded by kMaxEvictionOvershoot.
bool ServerCore::EvictIdleLocked() {
  constexpr int kMaxEvictionOvershoot = 64;
  constexpr int kMaxScanned = 256;  // bounds the work per accept when nothing is idle
  if (active_ >= options_.max_connections + kMaxEvictionOvershoot) return false;
  int scanned = 0;
  for (auto it = sessions_.rbegin(); it != sessions_.rend() && scanned < kMaxScanned;
       ++it, ++scanned) {
    std::shared_ptr<SessionBase> session = it->lock();
    if (!session || !session->idle() || !session->ChooseForEviction()) continue;
    asio::post(session->executor(), [session] { session->CloseIfIdle(); });
    return true;
  }
  return false;
}

bool ServerCore::AdmitAddress(const std::string& address) {
  if (options_.max_connections_per_ip <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  int& count = per_address_[address];
  if (count >= options_.max_connections_per_ip) {
    if (count == 0) per_address_.erase(address);
    return false;
  }
  ++count;
  return true;
}

void ServerCore::ReleaseAddress(const std::string& address) {
  if (options_.max_connections_per_ip <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
}

void ServerCore::Release(SessionList::iterator registration) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(registration);
  --active_;
  drained_.notify_all();
}

void ServerCore::Spawn(tcp::socket socket) {
  std::string remote = RemoteAddress(socket);
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (tls_) {
    Launch(std::make_shared<Session<TlsStream>>(*this, std::move(remote), std::move(socket),
                                                *tls_));
  } else {
    Launch(std::make_shared<Session<PlainStream>>(*this, std::move(remote), std::move(socket)));
  }
}

template <class S>
void ServerCore::Launch(std::shared_ptr<S> session) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.push_front(session);
    session->Attach(sessions_.begin());
  }
  asio::any_io_executor executor = session->executor();
  asio::co_spawn(executor, RunSession(std::move(session)), LogFailure("session"));
}

void ServerCore::CloseIdleSessions() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::weak_ptr<SessionBase>& weak : sessions_) {
    if (std::shared_ptr<SessionBase> session = weak.lock()) {
      asio::any_io_executor executor = session->executor();
      asio::post(executor, [session = std::move(session)] { session->CloseIfIdle(); });
    }
  }
}

void ServerCore::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (started_) {
    // Step 1: refuse new connections, close idle ones; later idle points see stopping().
    stopping_.store(true, std::memory_order_release);
    asio::post(*io_[0], [this] {
      beast::error_code ignored;
      acceptor_->close(ignored);
    });
    CloseIdleSessions();
    // Step 2: let requests in flight finish, for a bounded time.
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!drained_.wait_for(lock, options_.shutdown_grace, [this] { return active_ == 0; })) {
        spdlog::warn("http stop: {} connections still open after the grace period", active_);
      }
    }
    // Step 3: stop the I/O threads.
    for (auto& io : io_) io->stop();
    for (auto& thread : io_threads_) thread.join();
  }
  Teardown();
}

// Order matters: pool tasks and the acceptor refer to the io_contexts, and sessions destroyed
// with an io_context call Release().
void ServerCore::Teardown() {
  if (pool_) {
    pool_->stop();
    pool_->join();  // waits for a handler still running
    pool_.reset();
  }
  durability_waits_.Drain();  // responses the barrier has yet to release refer to io_
  acceptor_.reset();
  io_work_.clear();
  io_.clear();
  io_threads_.clear();
}

}  // namespace

class HttpServer::Impl : public ServerCore {
 public:
  using ServerCore::ServerCore;
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() = default;

core::Result<void> HttpServer::Start() { return impl_->Start(); }

uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

void HttpServer::SetInlineHandler(InlineHandler inline_handler) {
  impl_->set_inline_handler(std::move(inline_handler));
}

void HttpServer::SetErrorHeaders(ErrorHeaders error_headers) {
  impl_->set_error_headers(std::move(error_headers));
}

void HttpServer::SetRequestObserver(RequestObserver observer) {
  impl_->set_request_observer(std::move(observer));
}

}  // namespace flint::wfe
