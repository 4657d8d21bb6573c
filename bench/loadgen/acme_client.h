#pragma once
// The load generator's ACME client (RFC 8555): one per worker thread, over one persistent HTTPS
// connection. It signs every POST as a JWS with an ES256 account key (jose::KeyPair), keeps the
// Replay-Nonce of every response for the next request (§6.5) and retries a request rejected with
// badNonce with the fresh nonce that came with the rejection, as clients do (§6.5, §6.7). Every
// request is timed and counted by type in the current WorkerStats; every error response is counted
// by "<op>: HTTP <status> <problem type>".
//
// All URLs must share the directory's origin (so the client never leaves 127.0.0.1).
// Polling: after a challenge response or a finalize, the resource is polled after
// `poll_initial`, then with doubling intervals up to `poll_max`, for at most `poll_timeout`.
// Retry-After is not honoured: a benchmark wants to see when the server is done, not sleep for
// the second flint and Pebble both suggest (the number of polls is reported instead).

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "bench/loadgen/http_client.h"
#include "bench/loadgen/stats.h"
#include "core/result.h"
#include "jose/signer.h"

namespace flint::bench {

struct FlowOptions {
  int names = 1;                       // identifiers per order
  bool account_per_cert = false;       // newAccount inside every issuance
  std::string domain = "bench.example.test";  // names are <random>.<domain>
  std::chrono::milliseconds poll_initial{1};
  std::chrono::milliseconds poll_max{50};
  std::chrono::milliseconds poll_timeout{60000};
  int max_bad_nonce_retries = 5;
  const std::atomic<bool>* abort = nullptr;  // when set and true, polling gives up at once
  // When set, called with each downloaded certificate's URL and PEM chain (any thread).
  std::function<void(const std::string& url, const std::string& pem)> on_certificate;
};

class AcmeClient {
 public:
  AcmeClient(HttpsConnection& conn, Url directory, FlowOptions options, WorkerStats* stats,
             uint64_t seed);

  // Where the following requests are recorded (setup and the measured run use different ones).
  void set_stats(WorkerStats* stats) { stats_ = stats; }

  // GET the directory and remember its newNonce/newAccount/newOrder URLs.
  [[nodiscard]] core::Result<void> FetchDirectory();

  // A fresh ES256 key and a new account for it (termsOfServiceAgreed).
  [[nodiscard]] core::Result<void> NewAccount();

  // One whole issuance: [newAccount,] newOrder, each authorization and its http-01 challenge,
  // authorization polls, finalize with a fresh P-256 CSR, order polls, certificate download.
  // Records the issuance latency on success; on failure the error is already counted.
  [[nodiscard]] core::Result<void> IssueOne();

  // Single requests for the nonce and directory modes.
  [[nodiscard]] core::Result<void> HeadNewNonce();
  [[nodiscard]] core::Result<void> GetDirectory() { return FetchDirectory(); }

 private:
  struct Reply {
    HttpResponse http;
    boost::json::value json;  // null unless the body is JSON
  };

  // One timed request; counts error responses and transport errors under `op`.
  core::Result<Reply> Request(Op op, std::string_view method, const std::string& url,
                              std::string_view body, std::vector<int> ok_statuses);
  // A signed POST (empty payload = POST-as-GET) with badNonce retries.
  core::Result<Reply> Post(Op op, const std::string& url, std::string_view payload,
                           std::vector<int> ok_statuses = {200});
  core::Result<void> IssueSteps();
  // POST-as-GET the authorization and POST {} to its http-01 challenge (unless already valid).
  core::Result<void> Authorize(const std::string& authz_url);
  core::Result<void> PollUntil(Op op, const std::string& url, std::string_view want,
                               boost::json::value* last);
  std::vector<std::string> RandomNames();
  core::Result<std::string> TargetOf(const std::string& url) const;

  HttpsConnection& conn_;
  Url directory_;
  FlowOptions options_;
  WorkerStats* stats_;
  std::mt19937_64 rng_;
  std::string new_nonce_url_, new_account_url_, new_order_url_;
  std::optional<jose::KeyPair> key_;
  std::string kid_;
  std::string nonce_;
};

}  // namespace flint::bench
