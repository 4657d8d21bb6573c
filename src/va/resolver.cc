#include "va/resolver.h"

#include <poll.h>
#include <unbound.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "policy/address_policy.h"

namespace flint::va {
namespace {

using core::Err;
using core::ErrorType;
using core::Result;

constexpr int kTypeA = 1;
constexpr int kTypeTxt = 16;
constexpr int kTypeAaaa = 28;
constexpr int kTypeCaa = 257;
constexpr int kClassIn = 1;

std::string_view TypeName(int rrtype) {
  switch (rrtype) {
    case kTypeA: return "A";
    case kTypeTxt: return "TXT";
    case kTypeAaaa: return "AAAA";
    case kTypeCaa: return "CAA";
  }
  return "?";
}

std::string RcodeName(int rcode) {
  switch (rcode) {
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
  }
  return "rcode " + std::to_string(rcode);
}

core::Error DnsError(std::string_view what, int rrtype, const std::string& name) {
  return Err(ErrorType::kDns, "DNS problem: " + std::string(what) + " looking up " +
                                  std::string(TypeName(rrtype)) + " for " + name);
}

// "HOST:PORT", "HOST", "[V6]:PORT" or "V6" -> libunbound's "ADDR@PORT" syntax.
Result<std::string> ForwarderSpec(const std::string& forwarder) {
  std::string host = forwarder;
  std::string port;
  if (!forwarder.empty() && forwarder.front() == '[') {
    size_t close = forwarder.find(']');
    if (close == std::string::npos) return Err(ErrorType::kInternal, "bad DNS forwarder");
    host = forwarder.substr(1, close - 1);
    if (close + 1 < forwarder.size()) {
      if (forwarder[close + 1] != ':') return Err(ErrorType::kInternal, "bad DNS forwarder");
      port = forwarder.substr(close + 2);
    }
  } else if (std::count(forwarder.begin(), forwarder.end(), ':') == 1) {
    size_t colon = forwarder.find(':');
    host = forwarder.substr(0, colon);
    port = forwarder.substr(colon + 1);
  }
  if (!policy::CanonicalIp(host)) {
    return Err(ErrorType::kInternal, "DNS forwarder must be an IP address: " + forwarder);
  }
  if (port.empty()) return host;
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) == 0 || std::stoi(port) > 65535) {
    return Err(ErrorType::kInternal, "bad DNS forwarder port: " + forwarder);
  }
  return host + "@" + port;
}

// One answer, copied out of the ub_result so the latter can be freed at once.
struct RawAnswer {
  std::vector<std::string> rdata;
};


// Turns libunbound's answer into RawAnswer under the resolver's error contract.
Result<RawAnswer> Convert(int err, const ub_result* result, const std::string& name, int rrtype) {
  if (err != 0) return DnsError(ub_strerror(err), rrtype, name);
  if (result == nullptr) return DnsError("no result", rrtype, name);
  if (result->bogus) return DnsError("DNSSEC validation failure", rrtype, name);
  if (result->rcode != 0 && result->rcode != 3) {
    return DnsError(RcodeName(result->rcode), rrtype, name);
  }
  RawAnswer answer;
  if (result->havedata) {
    for (int i = 0; result->data[i] != nullptr; ++i) {
      answer.rdata.emplace_back(result->data[i], static_cast<size_t>(result->len[i]));
    }
  }
  return answer;
}

}  // namespace

// Queries are registered in `pending` (and their deadline in `deadlines`) before
// ub_resolve_async is called. The dispatcher thread runs ub_process(), which calls Callback for
// each answer, and answers "query timed out" for every query past its deadline; such a query
// stays registered, marked timed out, until libunbound's late answer frees it. `done` runs on the
// dispatcher thread, never under `mu`; `mu` is never held while calling into libunbound.
struct UnboundResolver::Impl {
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(Result<RawAnswer>)>;
  struct Query {
    std::string name;
    int rrtype = 0;
    Done done;
    bool timed_out = false;
    std::multimap<Clock::time_point, Query*>::iterator deadline;
    Impl* owner = nullptr;
  };

  ub_ctx* ctx = nullptr;
  std::chrono::milliseconds timeout{10000};
  int stop_pipe[2] = {-1, -1};
  std::thread dispatcher;
  std::mutex mu;
  std::unordered_map<Query*, std::unique_ptr<Query>> pending;  // guarded by mu
  std::multimap<Clock::time_point, Query*> deadlines;          // guarded by mu; not timed out

  ~Impl() {
    if (dispatcher.joinable()) {
      char c = 's';
      (void)!write(stop_pipe[1], &c, 1);
      dispatcher.join();
    }
    if (ctx != nullptr) ub_ctx_delete(ctx);
    // Queries still out are dropped unanswered: their callers (the VA's attempts) are gone
    // first, and calling into them now would reach a stopped io_context.
    for (int fd : stop_pipe) {
      if (fd >= 0) close(fd);
    }
  }

  static void Callback(void* arg, int err, ub_result* result) {
    auto* q = static_cast<Query*>(arg);
    Impl* self = q->owner;
    std::unique_ptr<ub_result, void (*)(ub_result*)> owned_result(result, &ub_resolve_free);
    std::unique_ptr<Query> owned;
    {
      std::lock_guard<std::mutex> lock(self->mu);
      auto it = self->pending.find(q);
      if (it == self->pending.end()) return;
      owned = std::move(it->second);
      self->pending.erase(it);
      if (!owned->timed_out) self->deadlines.erase(owned->deadline);
    }
    if (owned->timed_out) return;
    owned->done(Convert(err, owned_result.get(), owned->name, owned->rrtype));
  }

  // Answers every query past its deadline; returns the poll() timeout until the next one.
  int ExpireQueries() {
    std::vector<std::pair<Done, Query*>> expired;
    int wait_ms = -1;
    {
      std::lock_guard<std::mutex> lock(mu);
      const Clock::time_point now = Clock::now();
      while (!deadlines.empty() && deadlines.begin()->first <= now) {
        Query* q = deadlines.begin()->second;
        deadlines.erase(deadlines.begin());
        q->timed_out = true;
        expired.emplace_back(std::move(q->done), q);
      }
      if (!deadlines.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadlines.begin()->first - now).count() + 1;
        wait_ms = static_cast<int>(std::min<int64_t>(left, 60'000));
      }
    }
    for (auto& [done, q] : expired) {
      // q->name and q->rrtype are immutable once registered; q lives until its late answer.
      done(DnsError("query timed out", q->rrtype, q->name));
    }
    return wait_ms;
  }

  void Dispatch() {
    for (;;) {
      int wait_ms = ExpireQueries();
      pollfd fds[2] = {{ub_fd(ctx), POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
      int n = poll(fds, 2, wait_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;
      if ((fds[1].revents & POLLIN) != 0) {
        // 'w': a query arrived while no deadline was pending; 's': stop.
        char buf[64];
        ssize_t got = read(stop_pipe[0], buf, sizeof(buf));
        if (got <= 0 || std::memchr(buf, 's', static_cast<size_t>(got)) != nullptr) return;
      }
      if ((fds[0].revents & POLLIN) != 0) ub_process(ctx);
    }
  }

  // Starts a query; `done` is called exactly once (inline if libunbound refuses it).
  void Start(const std::string& name, int rrtype, Done done) {
    auto owned = std::make_unique<Query>();
    Query* q = owned.get();
    q->owner = this;
    q->name = name;
    q->rrtype = rrtype;
    q->done = std::move(done);
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      // Every query has the same timeout, so only a query into an empty set moves the
      // dispatcher's next deadline earlier (it may be sleeping without one).
      wake = deadlines.empty();
      q->deadline = deadlines.emplace(Clock::now() + timeout, q);
      pending.emplace(q, std::move(owned));
    }
    if (wake) {
      char c = 'w';
      (void)!write(stop_pipe[1], &c, 1);
    }
    int r = ub_resolve_async(ctx, name.c_str(), rrtype, kClassIn, q, &Impl::Callback, nullptr);
    if (r != 0) {
      Done failed;
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = pending.find(q);
        if (it == pending.end()) return;  // cannot happen: only ub_process answers
        owned = std::move(it->second);
        pending.erase(it);
        if (owned->timed_out) return;
        deadlines.erase(owned->deadline);
        failed = std::move(owned->done);
      }
      failed(DnsError(ub_strerror(r), rrtype, name));
    }
  }

  Result<RawAnswer> Resolve(const std::string& name, int rrtype) {
    std::promise<Result<RawAnswer>> promise;
    std::future<Result<RawAnswer>> answer = promise.get_future();
    Start(name, rrtype, [&promise](Result<RawAnswer> r) { promise.set_value(std::move(r)); });
    return answer.get();
  }
};

Result<std::unique_ptr<UnboundResolver>> UnboundResolver::Create(
    std::string forwarder, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->timeout = timeout;
  impl->ctx = ub_ctx_create();
  if (impl->ctx == nullptr) return Err(ErrorType::kInternal, "ub_ctx_create failed");
  auto fail = [](std::string_view what, int r) {
    return Err(ErrorType::kInternal, std::string(what) + ": " + ub_strerror(r));
  };
  // Threads rather than a forked process for the async worker (STACK.md pitfall 8).
  if (int r = ub_ctx_async(impl->ctx, 1); r != 0) return fail("ub_ctx_async", r);
  // Forwarders and test servers often listen on loopback.
  if (int r = ub_ctx_set_option(impl->ctx, "do-not-query-localhost:", "no"); r != 0) {
    return fail("do-not-query-localhost", r);
  }
  // RFC 6761 names are answered NXDOMAIN by libunbound itself unless made transparent; "nodefault"
  // is silently ignored by libunbound 1.17 (STACK.md pitfall 8).
  if (int r = ub_ctx_set_option(impl->ctx, "local-zone:", "test. transparent"); r != 0) {
    return fail("local-zone test.", r);
  }
  // A client that fixes its DNS after a failed attempt should not wait out a long negative TTL.
  if (int r = ub_ctx_set_option(impl->ctx, "cache-max-negative-ttl:", "5"); r != 0) {
    return fail("cache-max-negative-ttl", r);
  }
  if (forwarder.empty()) {
    if (int r = ub_ctx_resolvconf(impl->ctx, nullptr); r != 0) return fail("resolv.conf", r);
  } else {
    FLINT_ASSIGN_OR_RETURN(std::string spec, ForwarderSpec(forwarder));
    if (int r = ub_ctx_set_fwd(impl->ctx, spec.c_str()); r != 0) return fail("forwarder", r);
  }
  if (pipe(impl->stop_pipe) != 0) return Err(ErrorType::kInternal, "pipe failed");
  Impl* raw = impl.get();
  impl->dispatcher = std::thread([raw] { raw->Dispatch(); });
  // libunbound starts its worker (a thread with an event base, which needs descriptors) at the
  // first query. Make that query now, for a name libunbound answers itself from its default
  // local zone (no packet leaves), so that the worker exists before any client can use up the
  // descriptors: later exhaustion then fails lookups, never the worker's start.
  auto started = raw->Resolve("localhost.", kTypeA);
  if (!started.ok()) {
    return Err(ErrorType::kInternal, "resolver did not start: " + started.error().detail);
  }
  return std::unique_ptr<UnboundResolver>(new UnboundResolver(std::move(impl)));
}

UnboundResolver::UnboundResolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UnboundResolver::~UnboundResolver() = default;

namespace {

std::vector<std::string> Addresses(const Result<RawAnswer>& a, const Result<RawAnswer>& aaaa) {
  std::vector<std::string> out;
  char text[INET6_ADDRSTRLEN];
  if (a.ok()) {
    for (const std::string& rd : a->rdata) {
      if (rd.size() == 4 && inet_ntop(AF_INET, rd.data(), text, sizeof(text))) out.push_back(text);
    }
  }
  if (aaaa.ok()) {
    for (const std::string& rd : aaaa->rdata) {
      if (rd.size() == 16 && inet_ntop(AF_INET6, rd.data(), text, sizeof(text))) {
        out.push_back(text);
      }
    }
  }
  return out;
}

// One family failing is tolerated when the other yields addresses.
Result<std::vector<std::string>> JoinIp(Result<RawAnswer> a, Result<RawAnswer> aaaa) {
  std::vector<std::string> out = Addresses(a, aaaa);
  if (out.empty() && !a.ok()) return std::move(a).error();
  if (out.empty() && !aaaa.ok()) return std::move(aaaa).error();
  return out;
}

Result<std::vector<std::string>> ToTxt(Result<RawAnswer> answer) {
  FLINT_TRY(answer);
  std::vector<std::string> out;
  for (const std::string& rd : answer->rdata) {
    FLINT_ASSIGN_OR_RETURN(std::string txt, ParseTxtRdata(rd));
    out.push_back(std::move(txt));
  }
  return out;
}

Result<CaaAnswer> ToCaa(Result<RawAnswer> answer) {
  FLINT_TRY(answer);
  CaaAnswer out;
  for (const std::string& rd : answer->rdata) {
    FLINT_ASSIGN_OR_RETURN(CaaRecord record, ParseCaaRdata(rd));
    out.records.push_back(std::move(record));
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> UnboundResolver::LookupIp(const std::string& name) {
  std::promise<Result<std::vector<std::string>>> promise;
  auto answer = promise.get_future();
  LookupIpAsync(name, [&promise](Result<std::vector<std::string>> r) {
    promise.set_value(std::move(r));
  });
  return answer.get();
}

Result<std::vector<std::string>> UnboundResolver::LookupTxt(const std::string& name) {
  return ToTxt(impl_->Resolve(name, kTypeTxt));
}

Result<CaaAnswer> UnboundResolver::LookupCaa(const std::string& name) {
  return ToCaa(impl_->Resolve(name, kTypeCaa));
}

void UnboundResolver::LookupIpAsync(const std::string& name,
                                    Callback<std::vector<std::string>> done) {
  // A and AAAA in parallel, each under the resolver's timeout; `done` once both are in.
  struct Join {
    std::mutex mu;
    std::optional<Result<RawAnswer>> a, aaaa;
    Callback<std::vector<std::string>> done;
  };
  auto join = std::make_shared<Join>();
  join->done = std::move(done);
  auto arrive = [join](bool v4, Result<RawAnswer> r) {
    std::unique_lock<std::mutex> lock(join->mu);
    (v4 ? join->a : join->aaaa).emplace(std::move(r));
    if (!join->a || !join->aaaa) return;
    lock.unlock();
    join->done(JoinIp(std::move(*join->a), std::move(*join->aaaa)));
  };
  impl_->Start(name, kTypeA, [arrive](Result<RawAnswer> r) { arrive(true, std::move(r)); });
  impl_->Start(name, kTypeAaaa, [arrive](Result<RawAnswer> r) { arrive(false, std::move(r)); });
}

void UnboundResolver::LookupTxtAsync(const std::string& name,
                                     Callback<std::vector<std::string>> done) {
  impl_->Start(name, kTypeTxt,
               [done = std::move(done)](Result<RawAnswer> r) { done(ToTxt(std::move(r))); });
}

void UnboundResolver::LookupCaaAsync(const std::string& name, Callback<CaaAnswer> done) {
  impl_->Start(name, kTypeCaa,
               [done = std::move(done)](Result<RawAnswer> r) { done(ToCaa(std::move(r))); });
}

}  // namespace flint::va
