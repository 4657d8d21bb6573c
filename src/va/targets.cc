#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/ascii.h"
#include "policy/address_policy.h"
#include "va/challenges.h"

namespace flint::va::internal {

using core::Err;
using core::ErrorType;
using core::Result;

namespace {

namespace asio = boost::asio;

// Runs the lookups `starts` concurrently and completes, on the attempt's executor, once all have
// answered or the deadline passed; a lookup still out then gets `timeouts[i]`.
template <typename T>
Task<std::vector<Result<T>>> AwaitAll(
    Attempt& at, std::vector<std::function<void(Resolver::Callback<T>)>> starts,
    std::vector<core::Error> timeouts) {
  using Results = std::vector<Result<T>>;
  struct Gather {
    std::mutex mu;
    std::vector<std::optional<Result<T>>> results;
    size_t remaining = 0;
    std::function<void(Gather&)> complete;  // empty once completed
  };
  auto gather = std::make_shared<Gather>();
  gather->results.resize(starts.size());
  gather->remaining = starts.size();
  // Calls `complete` (outside the lock) if this caller is the one to end the wait.
  // Completes (posts the result) under the lock, so that once Attempt's detach has emptied
  // `complete` no late resolver callback can post to an executor being torn down.
  auto finish_if = [](Gather& g, std::unique_lock<std::mutex>&, bool end) {
    if (!end || !g.complete) return;
    auto complete = std::move(g.complete);
    g.complete = nullptr;
    complete(g);
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Results)>(
      [&](auto handler) {
        auto ex = asio::get_associated_executor(handler, at.executor());
        auto owned = std::make_shared<decltype(handler)>(std::move(handler));
        gather->complete = [owned, ex, timeouts](Gather& g) {
          Results out;
          for (size_t i = 0; i < g.results.size(); ++i) {
            out.push_back(g.results[i] ? std::move(*g.results[i]) : Result<T>(timeouts[i]));
          }
          asio::post(ex, [owned, out = std::move(out)]() mutable {
            std::move (*owned)(std::move(out));
          });
        };
        at.SetDetach([gather] {
          std::lock_guard<std::mutex> lock(gather->mu);
          gather->complete = nullptr;
        });
        at.SetAbort([gather, finish_if] {
          std::unique_lock<std::mutex> lock(gather->mu);
          finish_if(*gather, lock, true);
        });
        if (starts.empty()) {
          std::unique_lock<std::mutex> lock(gather->mu);
          finish_if(*gather, lock, true);
          return;
        }
        for (size_t i = 0; i < starts.size(); ++i) {
          starts[i]([gather, finish_if, i](Result<T> r) {
            std::unique_lock<std::mutex> lock(gather->mu);
            if (!gather->complete) return;  // too late: the deadline answered for it
            gather->results[i].emplace(std::move(r));
            finish_if(*gather, lock, --gather->remaining == 0);
          });
        }
      },
      asio::use_awaitable);
}

core::Error LookupTimedOut(std::string_view type, const std::string& name) {
  return Err(ErrorType::kDns,
             "DNS problem: query timed out looking up " + std::string(type) + " for " + name);
}

}  // namespace

Task<Result<std::vector<std::string>>> LookupIp(Attempt& at, Resolver& resolver,
                                                const std::string& name) {
  if (at.expired()) co_return LookupTimedOut("A", name);
  std::vector<std::function<void(Resolver::Callback<std::vector<std::string>>)>> starts;
  starts.push_back([&resolver, name](Resolver::Callback<std::vector<std::string>> done) {
    resolver.LookupIpAsync(name, std::move(done));
  });
  std::vector<core::Error> timeouts = {LookupTimedOut("A", name)};
  auto results = co_await AwaitAll(at, std::move(starts), std::move(timeouts));
  at.SetAbort(nullptr);
  at.SetDetach(nullptr);
  Result<std::vector<std::string>> result = std::move(results.front());
  if (result.ok()) at.addresses.insert(at.addresses.end(), result->begin(), result->end());
  co_return result;
}

Task<Result<std::vector<std::string>>> LookupTxt(Attempt& at, Resolver& resolver,
                                                 const std::string& name) {
  if (at.expired()) co_return LookupTimedOut("TXT", name);
  std::vector<std::function<void(Resolver::Callback<std::vector<std::string>>)>> starts;
  starts.push_back([&resolver, name](Resolver::Callback<std::vector<std::string>> done) {
    resolver.LookupTxtAsync(name, std::move(done));
  });
  std::vector<core::Error> timeouts = {LookupTimedOut("TXT", name)};
  auto results = co_await AwaitAll(at, std::move(starts), std::move(timeouts));
  at.SetAbort(nullptr);
  at.SetDetach(nullptr);
  Result<std::vector<std::string>> result = std::move(results.front());
  if (result.ok()) {
    for (const std::string& txt : *result) {
      at.records.push_back(name + " TXT \"" + Excerpt(txt, 255) + "\"");
    }
  }
  co_return result;
}

Task<std::vector<Result<CaaAnswer>>> LookupCaaAll(Attempt& at, Resolver& resolver,
                                                  const std::vector<std::string>& names) {
  std::vector<std::function<void(Resolver::Callback<CaaAnswer>)>> starts;
  std::vector<core::Error> timeouts;
  for (const std::string& name : names) {
    timeouts.push_back(LookupTimedOut("CAA", name));
    if (at.expired()) continue;
    starts.push_back([&resolver, name](Resolver::Callback<CaaAnswer> done) {
      resolver.LookupCaaAsync(name, std::move(done));
    });
  }
  if (at.expired()) {
    std::vector<Result<CaaAnswer>> out;
    for (core::Error& e : timeouts) out.emplace_back(std::move(e));
    co_return out;
  }
  auto results = co_await AwaitAll(at, std::move(starts), std::move(timeouts));
  at.SetAbort(nullptr);
  at.SetDetach(nullptr);
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) continue;
    for (const CaaRecord& record : results[i]->records) {
      at.records.push_back(names[i] + " CAA " + CaaRecordText(record));
    }
  }
  co_return results;
}

Result<std::vector<std::string>> FilterTargets(const VaOptions& options, const std::string& host,
                                               std::vector<std::string> addresses) {
  if (options.allow_private_targets) return addresses;
  std::vector<std::string> allowed;
  std::string refused;
  for (const std::string& address : addresses) {
    if (policy::IsPublicAddress(address)) {
      allowed.push_back(address);
    } else {
      refused += (refused.empty() ? "" : ", ") + address;
    }
  }
  if (allowed.empty()) {
    return Err(ErrorType::kConnection,
               "refusing to connect to " + host + ": not a public address: " + refused);
  }
  return allowed;
}

namespace {

Result<std::vector<std::string>> NonEmpty(Result<std::vector<std::string>> addresses,
                                          const std::string& host) {
  if (addresses.ok() && addresses->empty()) {
    return Err(ErrorType::kDns, "DNS problem: no A or AAAA records found for " + host);
  }
  return addresses;
}

}  // namespace

Task<Result<std::vector<std::string>>> ResolveTargets(Attempt& at, const VaOptions& options,
                                                      Resolver& resolver, const std::string& host,
                                                      bool host_is_ip) {
  if (host_is_ip) {
    at.addresses.push_back(host);
    co_return FilterTargets(options, host, {host});
  }
  FLINT_CO_ASSIGN_OR_RETURN(std::vector<std::string> addresses,
                            NonEmpty(co_await LookupIp(at, resolver, host), host));
  co_return FilterTargets(options, host, std::move(addresses));
}

Result<std::vector<std::string>> ResolveTargets(const VaOptions& options, Resolver& resolver,
                                                const std::string& host, bool host_is_ip) {
  if (host_is_ip) return FilterTargets(options, host, {host});
  FLINT_ASSIGN_OR_RETURN(std::vector<std::string> addresses,
                         NonEmpty(resolver.LookupIp(host), host));
  return FilterTargets(options, host, std::move(addresses));
}

std::string CaaRecordText(const CaaRecord& record) {
  return std::to_string(record.flags) + " " + Excerpt(record.tag, 64) + " \"" +
         Excerpt(record.value, 255) + "\"";
}

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

std::string Base64Url(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

Result<std::string> NormalizeDnsName(std::string_view name) {
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  auto bad = [&] { return Err(ErrorType::kMalformed, "invalid DNS identifier"); };
  if (name.empty() || name.size() > 253) return bad();
  std::string out;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return bad();
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') {
      if (++label > 63) return bad();
    } else {
      return bad();
    }
    out.push_back(core::AsciiLower(c));
  }
  if (label == 0) return bad();
  return out;
}

Result<std::string> NormalizeIp(std::string_view value) {
  std::optional<std::string> ip = policy::CanonicalIp(value);
  if (!ip) return Err(ErrorType::kMalformed, "invalid IP identifier");
  return *ip;
}

std::string Excerpt(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace flint::va::internal
