#include "bench/loadgen/acme_client.h"

#include <algorithm>
#include <boost/json.hpp>
#include <thread>

#include "bench/loadgen/csr.h"
#include "jose/base64url.h"

namespace flint::bench {

using core::Err;
using core::ErrorType;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kJoseJson = "application/jose+json";

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string StringField(const boost::json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  const boost::json::value* f = v.as_object().if_contains(key);
  if (f == nullptr || !f->is_string()) return {};
  return std::string(f->as_string());
}

// "urn:ietf:params:acme:error:badNonce" -> "badNonce".
std::string ProblemShortType(const boost::json::value& v) {
  std::string type = StringField(v, "type");
  size_t colon = type.rfind(':');
  return colon == std::string::npos ? type : type.substr(colon + 1);
}

std::string Shorten(std::string s, size_t n = 80) {
  if (s.size() > n) s.resize(n);
  return s;
}

}  // namespace

AcmeClient::AcmeClient(HttpsConnection& conn, Url directory, FlowOptions options,
                       WorkerStats* stats, uint64_t seed)
    : conn_(conn), directory_(std::move(directory)), options_(std::move(options)),
      stats_(stats), rng_(seed) {}

core::Result<std::string> AcmeClient::TargetOf(const std::string& url) const {
  FLINT_ASSIGN_OR_RETURN(Url u, Url::Parse(url));
  if (u.host != directory_.host || u.port != directory_.port)
    return Err(ErrorType::kMalformed, "URL outside the directory's origin: " + url);
  return u.target;
}

core::Result<AcmeClient::Reply> AcmeClient::Request(Op op, std::string_view method,
                                                    const std::string& url,
                                                    std::string_view body,
                                                    std::vector<int> ok_statuses) {
  const std::string op_name(OpName(op));
  auto target = TargetOf(url);
  if (!target.ok()) {
    ++stats_->errors[op_name + ": bad URL"];
    return std::move(target).error();
  }
  const Clock::time_point start = Clock::now();
  auto resp = conn_.Send(method, *target, method == "POST" ? kJoseJson : "", body);
  stats_->op_ms[static_cast<size_t>(op)].push_back(MillisSince(start));
  if (!resp.ok()) {
    ++stats_->errors[op_name + ": " + Shorten(resp.error().detail, 48)];
    return std::move(resp).error();
  }
  Reply reply;
  reply.http = std::move(resp).value();
  if (std::string_view n = reply.http.Header("replay-nonce"); !n.empty()) nonce_ = n;
  if (reply.http.Header("content-type").find("json") != std::string_view::npos) {
    boost::system::error_code ec;
    reply.json = boost::json::parse(reply.http.body, ec);
    if (ec) reply.json = nullptr;
  }
  const int status = reply.http.status;
  if (std::find(ok_statuses.begin(), ok_statuses.end(), status) != ok_statuses.end())
    return reply;
  const std::string problem = ProblemShortType(reply.json);
  ++stats_->errors[op_name + ": HTTP " + std::to_string(status) + " " + problem];
  const ErrorType type = problem == "badNonce" ? ErrorType::kBadNonce : ErrorType::kServerInternal;
  return Err(type, op_name + ": HTTP " + std::to_string(status) + " " + problem + " " +
                       Shorten(StringField(reply.json, "detail")));
}

core::Result<AcmeClient::Reply> AcmeClient::Post(Op op, const std::string& url,
                                                 std::string_view payload,
                                                 std::vector<int> ok_statuses) {
  for (int attempt = 0;; ++attempt) {
    if (nonce_.empty()) FLINT_TRY(HeadNewNonce());
    const std::string header = key_->ProtectedHeaderJson(nonce_, url, kid_);
    nonce_.clear();  // each nonce is used once; the response brings the next
    const std::string jws = key_->SignFlattened(header, payload);
    auto reply = Request(op, "POST", url, jws, ok_statuses);
    if (reply.ok() || reply.error().type != ErrorType::kBadNonce ||
        attempt >= options_.max_bad_nonce_retries)
      return reply;
    ++stats_->bad_nonce_retries;
  }
}

core::Result<void> AcmeClient::FetchDirectory() {
  FLINT_ASSIGN_OR_RETURN(Reply r, Request(Op::kDirectory, "GET",
                                          directory_.Origin() + directory_.target, "", {200}));
  new_nonce_url_ = StringField(r.json, "newNonce");
  new_account_url_ = StringField(r.json, "newAccount");
  new_order_url_ = StringField(r.json, "newOrder");
  if (new_nonce_url_.empty() || new_account_url_.empty() || new_order_url_.empty()) {
    ++stats_->errors["directory: missing newNonce/newAccount/newOrder"];
    return Err(ErrorType::kMalformed, "directory lacks newNonce, newAccount or newOrder");
  }
  return core::Ok();
}

core::Result<void> AcmeClient::HeadNewNonce() {
  FLINT_ASSIGN_OR_RETURN(Reply r, Request(Op::kNewNonce, "HEAD", new_nonce_url_, "", {200, 204}));
  if (r.http.Header("replay-nonce").empty()) {
    ++stats_->errors["newNonce: no Replay-Nonce"];
    return Err(ErrorType::kMalformed, "newNonce answered without Replay-Nonce");
  }
  return core::Ok();
}

core::Result<void> AcmeClient::NewAccount() {
  key_ = jose::KeyPair::Generate(jose::Algorithm::kES256);
  kid_.clear();  // newAccount is signed with the jwk (RFC 8555 §6.2)
  FLINT_ASSIGN_OR_RETURN(Reply r, Post(Op::kNewAccount, new_account_url_,
                                       R"({"termsOfServiceAgreed":true})", {200, 201}));
  kid_ = std::string(r.http.Header("location"));
  if (kid_.empty()) {
    ++stats_->errors["newAccount: no Location"];
    return Err(ErrorType::kMalformed, "newAccount answered without Location");
  }
  return core::Ok();
}

std::vector<std::string> AcmeClient::RandomNames() {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<std::string> names;
  for (int i = 0; i < options_.names; ++i) {
    std::string label(12, 'a');
    for (char& c : label) c = kAlphabet[rng_() % kAlphabet.size()];
    names.push_back(label + "." + options_.domain);
  }
  return names;
}

core::Result<void> AcmeClient::PollUntil(Op op, const std::string& url, std::string_view want,
                                         boost::json::value* last) {
  const Clock::time_point deadline = Clock::now() + options_.poll_timeout;
  std::chrono::milliseconds delay = options_.poll_initial;
  const std::string op_name(OpName(op));
  for (;;) {
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, options_.poll_max);
    if (op == Op::kAuthzPoll) ++stats_->authz_polls;
    if (op == Op::kOrderPoll) ++stats_->order_polls;
    FLINT_ASSIGN_OR_RETURN(Reply r, Post(op, url, ""));
    const std::string status = StringField(r.json, "status");
    if (status == want) {
      if (last != nullptr) *last = std::move(r.json);
      return core::Ok();
    }
    if (status == "invalid" || status == "deactivated" || status == "expired" ||
        status == "revoked") {
      ++stats_->errors[op_name + ": resource " + status];
      return Err(ErrorType::kServerInternal, op_name + ": " + url + " is " + status);
    }
    if (Clock::now() > deadline ||
        (options_.abort != nullptr && options_.abort->load(std::memory_order_relaxed))) {
      ++stats_->errors[op_name + ": gave up polling (still " + status + ")"];
      return Err(ErrorType::kServerInternal, op_name + ": gave up polling " + url);
    }
  }
}

core::Result<void> AcmeClient::Authorize(const std::string& authz_url) {
  FLINT_ASSIGN_OR_RETURN(Reply authz, Post(Op::kAuthz, authz_url, ""));
  if (StringField(authz.json, "status") == "valid") return core::Ok();  // reused authorization
  std::string challenge_url;
  if (authz.json.is_object()) {
    if (const auto* chs = authz.json.as_object().if_contains("challenges"); chs && chs->is_array()) {
      for (const boost::json::value& ch : chs->as_array())
        if (StringField(ch, "type") == "http-01") challenge_url = StringField(ch, "url");
    }
  }
  if (challenge_url.empty()) {
    ++stats_->errors["authz: no http-01 challenge"];
    return Err(ErrorType::kMalformed, "authorization without an http-01 challenge");
  }
  FLINT_ASSIGN_OR_RETURN(Reply ch, Post(Op::kChallenge, challenge_url, "{}"));
  return core::Ok();
}

core::Result<void> AcmeClient::IssueSteps() {
  if (options_.account_per_cert || !key_) FLINT_TRY(NewAccount());
  // Step 1: the order.
  const std::vector<std::string> names = RandomNames();
  boost::json::array identifiers;
  for (const std::string& n : names) identifiers.push_back({{"type", "dns"}, {"value", n}});
  const std::string order_payload =
      boost::json::serialize(boost::json::object{{"identifiers", std::move(identifiers)}});
  FLINT_ASSIGN_OR_RETURN(Reply order, Post(Op::kNewOrder, new_order_url_, order_payload, {201}));
  const std::string order_url(order.http.Header("location"));
  const std::string finalize_url = StringField(order.json, "finalize");
  std::vector<std::string> authz_urls;
  if (order.json.is_object()) {
    if (const auto* a = order.json.as_object().if_contains("authorizations"); a && a->is_array())
      for (const boost::json::value& u : a->as_array())
        if (u.is_string()) authz_urls.emplace_back(u.as_string());
  }
  if (order_url.empty() || finalize_url.empty() || authz_urls.empty()) {
    ++stats_->errors["newOrder: incomplete order"];
    return Err(ErrorType::kMalformed, "order without Location, finalize or authorizations");
  }
  // Step 2: answer every challenge, then wait for every authorization.
  for (const std::string& url : authz_urls) FLINT_TRY(Authorize(url));
  for (const std::string& url : authz_urls) FLINT_TRY(PollUntil(Op::kAuthzPoll, url, "valid", nullptr));
  // Step 3: finalize with a fresh key, wait for the certificate, download it.
  const std::string csr = jose::Base64UrlEncode(MakeP256CsrDer(names));
  FLINT_ASSIGN_OR_RETURN(Reply fin, Post(Op::kFinalize, finalize_url,
                                         R"({"csr":")" + csr + R"("})"));
  boost::json::value final_order = std::move(fin.json);
  if (StringField(final_order, "status") != "valid")
    FLINT_TRY(PollUntil(Op::kOrderPoll, order_url, "valid", &final_order));
  const std::string cert_url = StringField(final_order, "certificate");
  if (cert_url.empty()) {
    ++stats_->errors["orderPoll: valid order without certificate"];
    return Err(ErrorType::kMalformed, "valid order without a certificate URL");
  }
  FLINT_ASSIGN_OR_RETURN(Reply cert, Post(Op::kCertificate, cert_url, ""));
  if (cert.http.body.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    ++stats_->errors["certificate: not a PEM chain"];
    return Err(ErrorType::kMalformed, "certificate download is not PEM");
  }
  if (options_.on_certificate) options_.on_certificate(cert_url, cert.http.body);
  return core::Ok();
}

core::Result<void> AcmeClient::IssueOne() {
  const Clock::time_point start = Clock::now();
  auto done = IssueSteps();
  if (done.ok()) {
    stats_->issuance_ms.push_back(MillisSince(start));
    ++stats_->issued;
  } else {
    ++stats_->failed;
  }
  return done;
}

}  // namespace flint::bench
