#include "va/resolver.h"

#include <poll.h>
#include <unbound.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <mutex>
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

}  // namespace

// Queries are registered in `pending` before ub_resolve_async is called and delivered by the
// dispatcher thread's ub_process(). A caller that gives up marks its query abandoned; the
// callback then frees it. `mu` is never held while calling into libunbound.
struct UnboundResolver::Impl {
  struct Query {
    bool done = false;
    bool abandoned = false;
    int err = 0;
    ub_result* result = nullptr;
    Impl* owner = nullptr;
  };

  ub_ctx* ctx = nullptr;
  std::chrono::milliseconds timeout{10000};
  int stop_pipe[2] = {-1, -1};
  std::thread dispatcher;
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<Query*, std::unique_ptr<Query>> pending;  // guarded by mu

  ~Impl() {
    if (dispatcher.joinable()) {
      char c = 0;
      (void)!write(stop_pipe[1], &c, 1);
      dispatcher.join();
    }
    if (ctx != nullptr) ub_ctx_delete(ctx);
    for (auto& [q, owned] : pending) {
      if (owned->result != nullptr) ub_resolve_free(owned->result);
    }
    for (int fd : stop_pipe) {
      if (fd >= 0) close(fd);
    }
  }

  static void Callback(void* arg, int err, ub_result* result) {
    auto* q = static_cast<Query*>(arg);
    Impl* self = q->owner;
    std::lock_guard<std::mutex> lock(self->mu);
    if (q->abandoned) {
      if (result != nullptr) ub_resolve_free(result);
      self->pending.erase(q);
      return;
    }
    q->done = true;
    q->err = err;
    q->result = result;
    self->cv.notify_all();
  }

  void Dispatch() {
    for (;;) {
      pollfd fds[2] = {{ub_fd(ctx), POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
      int n = poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (fds[1].revents & POLLIN) != 0) return;
      if ((fds[0].revents & POLLIN) != 0) ub_process(ctx);
    }
  }

  // Starts a query; returns nullptr (after filling `error`) if libunbound refuses it.
  Query* Start(const std::string& name, int rrtype, core::Error* error) {
    auto owned = std::make_unique<Query>();
    Query* q = owned.get();
    q->owner = this;
    {
      std::lock_guard<std::mutex> lock(mu);
      pending.emplace(q, std::move(owned));
    }
    int r = ub_resolve_async(ctx, name.c_str(), rrtype, kClassIn, q, &Impl::Callback, nullptr);
    if (r != 0) {
      std::lock_guard<std::mutex> lock(mu);
      pending.erase(q);
      *error = DnsError(ub_strerror(r), rrtype, name);
      return nullptr;
    }
    return q;
  }

  // Waits for `q` until `deadline`; consumes it either way.
  Result<RawAnswer> Finish(Query* q, std::chrono::steady_clock::time_point deadline,
                           const std::string& name, int rrtype) {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_until(lock, deadline, [q] { return q->done; })) {
      q->abandoned = true;
      return DnsError("query timed out", rrtype, name);
    }
    std::unique_ptr<Query> owned = std::move(pending[q]);
    pending.erase(q);
    lock.unlock();
    std::unique_ptr<ub_result, void (*)(ub_result*)> result(owned->result, &ub_resolve_free);
    if (owned->err != 0) return DnsError(ub_strerror(owned->err), rrtype, name);
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

  Result<RawAnswer> Resolve(const std::string& name, int rrtype) {
    core::Error error;
    Query* q = Start(name, rrtype, &error);
    if (q == nullptr) return error;
    return Finish(q, std::chrono::steady_clock::now() + timeout, name, rrtype);
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

Result<std::vector<std::string>> UnboundResolver::LookupIp(const std::string& name) {
  // A and AAAA in parallel under one deadline. One family failing is tolerated when the other
  // yields addresses.
  auto deadline = std::chrono::steady_clock::now() + impl_->timeout;
  core::Error err_a, err_aaaa;
  Impl::Query* qa = impl_->Start(name, kTypeA, &err_a);
  Impl::Query* qaaaa = impl_->Start(name, kTypeAaaa, &err_aaaa);
  Result<RawAnswer> a = qa ? impl_->Finish(qa, deadline, name, kTypeA) : Result<RawAnswer>(err_a);
  Result<RawAnswer> aaaa =
      qaaaa ? impl_->Finish(qaaaa, deadline, name, kTypeAaaa) : Result<RawAnswer>(err_aaaa);
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
  if (out.empty() && !a.ok()) return std::move(a).error();
  if (out.empty() && !aaaa.ok()) return std::move(aaaa).error();
  return out;
}

Result<std::vector<std::string>> UnboundResolver::LookupTxt(const std::string& name) {
  FLINT_ASSIGN_OR_RETURN(RawAnswer answer, impl_->Resolve(name, kTypeTxt));
  std::vector<std::string> out;
  for (const std::string& rd : answer.rdata) {
    FLINT_ASSIGN_OR_RETURN(std::string txt, ParseTxtRdata(rd));
    out.push_back(std::move(txt));
  }
  return out;
}

Result<CaaAnswer> UnboundResolver::LookupCaa(const std::string& name) {
  FLINT_ASSIGN_OR_RETURN(RawAnswer answer, impl_->Resolve(name, kTypeCaa));
  CaaAnswer out;
  for (const std::string& rd : answer.rdata) {
    FLINT_ASSIGN_OR_RETURN(CaaRecord record, ParseCaaRdata(rd));
    out.records.push_back(std::move(record));
  }
  return out;
}

Result<std::string> ParseTxtRdata(std::string_view rdata) {
  if (rdata.empty()) return Err(ErrorType::kDns, "DNS problem: empty TXT record");
  std::string out;
  size_t pos = 0;
  while (pos < rdata.size()) {
    size_t len = static_cast<uint8_t>(rdata[pos]);
    if (pos + 1 + len > rdata.size()) {
      return Err(ErrorType::kDns, "DNS problem: truncated TXT record");
    }
    out.append(rdata.substr(pos + 1, len));
    pos += 1 + len;
  }
  return out;
}

Result<CaaRecord> ParseCaaRdata(std::string_view rdata) {
  if (rdata.size() < 2) return Err(ErrorType::kDns, "DNS problem: truncated CAA record");
  size_t tag_len = static_cast<uint8_t>(rdata[1]);
  if (tag_len == 0 || 2 + tag_len > rdata.size()) {
    return Err(ErrorType::kDns, "DNS problem: malformed CAA record tag length");
  }
  CaaRecord record;
  record.flags = static_cast<uint8_t>(rdata[0]);
  record.tag = std::string(rdata.substr(2, tag_len));
  // RFC 8659 §4.1: the tag is ASCII letters and digits only.
  for (char c : record.tag) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      return Err(ErrorType::kDns, "DNS problem: malformed CAA record tag");
    }
  }
  record.value = std::string(rdata.substr(2 + tag_len));
  return record;
}

}  // namespace flint::va
