#include "perspective/wire.h"

#include <boost/json.hpp>
#include <optional>

#include "core/json.h"

namespace flint::perspective {

namespace json = boost::json;
using core::Err;
using core::ErrorType;
using core::Result;

namespace {

constexpr size_t kMaxName = 253;
constexpr size_t kMaxToken = 512;
constexpr size_t kMaxUri = 2048;
constexpr size_t kMaxIdentities = 32;
constexpr size_t kMaxDetail = 4096;
constexpr size_t kMaxListItems = 64;
constexpr size_t kMaxListItem = 1024;

// The validation error types an agent may report (va/validator.h), by RFC 8555 name. Anything
// else in a report is refused, so an agent cannot make the CA emit an internal error kind.
constexpr ErrorType kReportableErrors[] = {
    ErrorType::kDns,          ErrorType::kConnection,        ErrorType::kTls,
    ErrorType::kUnauthorized, ErrorType::kIncorrectResponse, ErrorType::kCaa,
    ErrorType::kMalformed,    ErrorType::kRateLimited,       ErrorType::kServerInternal};

std::optional<ErrorType> ReportableErrorFrom(std::string_view name) {
  for (ErrorType t : kReportableErrors) {
    if (core::ErrorTypeName(t) == name) return t;
  }
  return std::nullopt;
}

Result<const json::object*> Object(const json::value& v, std::string_view what) {
  if (!v.is_object()) return Err(ErrorType::kMalformed, std::string(what) + " must be an object");
  return &v.get_object();
}

Result<std::string> String(const json::object& o, std::string_view key, size_t max,
                           bool required = true) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (!required) return std::string();
    return Err(ErrorType::kMalformed, "missing \"" + std::string(key) + "\"");
  }
  if (!v->is_string()) {
    return Err(ErrorType::kMalformed, "\"" + std::string(key) + "\" must be a string");
  }
  const json::string& s = v->get_string();
  if (s.size() > max) {
    return Err(ErrorType::kMalformed, "\"" + std::string(key) + "\" is longer than " +
                                          std::to_string(max) + " bytes");
  }
  return std::string(s);
}

Result<bool> Bool(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_bool()) {
    return Err(ErrorType::kMalformed, "\"" + std::string(key) + "\" must be true or false");
  }
  return v->get_bool();
}

Result<std::vector<std::string>> Strings(const json::object& o, std::string_view key,
                                         size_t max_items, size_t max_item) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return out;
  if (!v->is_array() || v->get_array().size() > max_items) {
    return Err(ErrorType::kMalformed, "\"" + std::string(key) + "\" must be an array of at most " +
                                          std::to_string(max_items) + " strings");
  }
  for (const json::value& e : v->get_array()) {
    if (!e.is_string() || e.get_string().size() > max_item) {
      return Err(ErrorType::kMalformed, "\"" + std::string(key) + "\" holds a non-string or " +
                                            "one longer than " + std::to_string(max_item) +
                                            " bytes");
    }
    out.emplace_back(e.get_string());
  }
  return out;
}

json::array StringsJson(const std::vector<std::string>& v) {
  json::array a;
  for (const std::string& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

std::string_view AgentPath(AgentOp op) { return op == AgentOp::kCaa ? "/caa" : "/validate"; }

std::string EncodeRequest(const AgentRequest& r) {
  const ra::ValidationRequest& q = r.request;
  json::object o;
  o["identifier"] = {{"type", core::ToString(q.identifier.type)}, {"value", q.identifier.value}};
  o["wildcard"] = q.wildcard;
  o["challenge_type"] = core::ToString(q.type);
  o["token"] = q.token;
  o["key_authorization"] = q.key_authorization;
  o["account_uri"] = q.account_uri;
  o["check_caa"] = q.check_caa;
  o["caa_identities"] = StringsJson(r.caa_identities);
  return json::serialize(o);
}

Result<AgentRequest> DecodeRequest(std::string_view body) {
  if (body.size() > kMaxRequestBody) return Err(ErrorType::kMalformed, "request too large");
  FLINT_ASSIGN_OR_RETURN(json::value doc, core::ParseStrictJson(body));
  FLINT_ASSIGN_OR_RETURN(const json::object* o, Object(doc, "the request"));
  AgentRequest out;
  ra::ValidationRequest& q = out.request;
  const json::value* id = o->if_contains("identifier");
  if (id == nullptr) return Err(ErrorType::kMalformed, "missing \"identifier\"");
  FLINT_ASSIGN_OR_RETURN(const json::object* ido, Object(*id, "\"identifier\""));
  FLINT_ASSIGN_OR_RETURN(std::string id_type, String(*ido, "type", 8));
  if (id_type == "dns") {
    q.identifier.type = core::IdentifierType::kDns;
  } else if (id_type == "ip") {
    q.identifier.type = core::IdentifierType::kIp;
  } else {
    return Err(ErrorType::kMalformed, "identifier type must be \"dns\" or \"ip\"");
  }
  FLINT_ASSIGN_OR_RETURN(q.identifier.value, String(*ido, "value", kMaxName));
  if (q.identifier.value.empty()) return Err(ErrorType::kMalformed, "empty identifier");
  FLINT_ASSIGN_OR_RETURN(q.wildcard, Bool(*o, "wildcard"));
  FLINT_ASSIGN_OR_RETURN(std::string type, String(*o, "challenge_type", 32));
  auto t = core::ChallengeTypeFromString(type);
  if (!t) return Err(ErrorType::kMalformed, "unknown challenge_type");
  q.type = *t;
  FLINT_ASSIGN_OR_RETURN(q.token, String(*o, "token", kMaxToken, false));
  FLINT_ASSIGN_OR_RETURN(q.key_authorization, String(*o, "key_authorization", kMaxToken, false));
  FLINT_ASSIGN_OR_RETURN(q.account_uri, String(*o, "account_uri", kMaxUri, false));
  FLINT_ASSIGN_OR_RETURN(q.check_caa, Bool(*o, "check_caa"));
  FLINT_ASSIGN_OR_RETURN(out.caa_identities,
                         Strings(*o, "caa_identities", kMaxIdentities, kMaxName));
  return out;
}

std::string EncodeReport(const ra::PerspectiveReport& r) {
  json::object o;
  o["name"] = r.name;
  o["result"] = r.error ? "invalid" : "valid";
  if (r.error) {
    o["error"] = {{"type", core::ErrorTypeName(r.error->type)}, {"detail", r.error->detail}};
  }
  o["addresses"] = StringsJson(r.addresses);
  o["records"] = StringsJson(r.records);
  o["elapsed_ms"] = r.elapsed.count();
  return json::serialize(o);
}

Result<ra::PerspectiveReport> DecodeReport(std::string_view body) {
  if (body.size() > kMaxReportBody) return Err(ErrorType::kMalformed, "report too large");
  FLINT_ASSIGN_OR_RETURN(json::value doc, core::ParseStrictJson(body));
  FLINT_ASSIGN_OR_RETURN(const json::object* o, Object(doc, "the report"));
  ra::PerspectiveReport r;
  FLINT_ASSIGN_OR_RETURN(r.name, String(*o, "name", 64));
  FLINT_ASSIGN_OR_RETURN(std::string result, String(*o, "result", 16));
  if (result == "invalid") {
    const json::value* e = o->if_contains("error");
    if (e == nullptr) return Err(ErrorType::kMalformed, "an invalid report needs \"error\"");
    FLINT_ASSIGN_OR_RETURN(const json::object* eo, Object(*e, "\"error\""));
    FLINT_ASSIGN_OR_RETURN(std::string type, String(*eo, "type", 64));
    auto et = ReportableErrorFrom(type);
    if (!et) return Err(ErrorType::kMalformed, "unknown error type in report");
    FLINT_ASSIGN_OR_RETURN(std::string detail, String(*eo, "detail", kMaxDetail));
    r.error = Err(*et, std::move(detail));
  } else if (result != "valid") {
    return Err(ErrorType::kMalformed, "\"result\" must be \"valid\" or \"invalid\"");
  }
  FLINT_ASSIGN_OR_RETURN(r.addresses, Strings(*o, "addresses", kMaxListItems, kMaxListItem));
  FLINT_ASSIGN_OR_RETURN(r.records, Strings(*o, "records", kMaxListItems, kMaxListItem));
  const json::value* ms = o->if_contains("elapsed_ms");
  if (ms != nullptr && ms->is_int64() && ms->get_int64() >= 0) {
    r.elapsed = std::chrono::milliseconds(ms->get_int64());
  }
  return r;
}

std::string EncodeProblem(core::ErrorType type, std::string_view detail) {
  json::object o;
  o["type"] = core::ErrorTypeName(type);
  o["detail"] = detail;
  return json::serialize(o);
}

}  // namespace flint::perspective
