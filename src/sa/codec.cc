#include "sa/codec.h"

#include <boost/json.hpp>
#include <chrono>
#include <utility>

namespace flint::sa {
namespace {

namespace json = boost::json;
using core::ErrorType;
using core::Result;

struct TypeKey {
  ErrorType type;
  std::string_view key;
};

// Append-only in spirit: keys are persisted, so never rename one.
constexpr TypeKey kTypeKeys[] = {
    {ErrorType::kAccountDoesNotExist, "accountDoesNotExist"},
    {ErrorType::kAlreadyRevoked, "alreadyRevoked"},
    {ErrorType::kBadCsr, "badCSR"},
    {ErrorType::kBadNonce, "badNonce"},
    {ErrorType::kBadPublicKey, "badPublicKey"},
    {ErrorType::kBadRevocationReason, "badRevocationReason"},
    {ErrorType::kBadSignatureAlgorithm, "badSignatureAlgorithm"},
    {ErrorType::kCaa, "caa"},
    {ErrorType::kCompound, "compound"},
    {ErrorType::kConnection, "connection"},
    {ErrorType::kDns, "dns"},
    {ErrorType::kExternalAccountRequired, "externalAccountRequired"},
    {ErrorType::kIncorrectResponse, "incorrectResponse"},
    {ErrorType::kInvalidContact, "invalidContact"},
    {ErrorType::kMalformed, "malformed"},
    {ErrorType::kOrderNotReady, "orderNotReady"},
    {ErrorType::kRateLimited, "rateLimited"},
    {ErrorType::kRejectedIdentifier, "rejectedIdentifier"},
    {ErrorType::kServerInternal, "serverInternal"},
    {ErrorType::kTls, "tls"},
    {ErrorType::kUnauthorized, "unauthorized"},
    {ErrorType::kUnsupportedContact, "unsupportedContact"},
    {ErrorType::kUnsupportedIdentifier, "unsupportedIdentifier"},
    {ErrorType::kUserActionRequired, "userActionRequired"},
    {ErrorType::kAlreadyReplaced, "alreadyReplaced"},
    {ErrorType::kInvalidProfile, "invalidProfile"},
    {ErrorType::kMethodNotAllowed, "methodNotAllowed"},
    {ErrorType::kUnsupportedMediaType, "unsupportedMediaType"},
    {ErrorType::kPayloadTooLarge, "payloadTooLarge"},
    {ErrorType::kNotFound, "notFound"},
    {ErrorType::kConflict, "conflict"},
    {ErrorType::kInternal, "internal"},
};

core::Error Corrupt(std::string_view what) {
  return core::Err(ErrorType::kInternal, "stored " + std::string(what) + " is malformed");
}

Result<json::value> Parse(std::string_view text, std::string_view what) {
  json::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return Corrupt(what);
  return v;
}

std::string StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  const json::string* s = v != nullptr ? v->if_string() : nullptr;
  return s != nullptr ? std::string(*s) : std::string();
}

ErrorType TypeOf(const json::object& o) {
  if (auto t = ErrorTypeFromKey(StringMember(o, "kind"))) return *t;
  // Fallback: the RFC 8555 name, for a kind this version does not know.
  std::string name = StringMember(o, "type");
  for (const TypeKey& tk : kTypeKeys) {
    if (core::ErrorTypeName(tk.type) == name && ErrorTypeKey(tk.type) == name) return tk.type;
  }
  return ErrorType::kServerInternal;
}

json::object EncodeSubproblem(const core::Subproblem& sp) {
  json::object o;
  o["type"] = core::ErrorTypeName(sp.type);
  o["kind"] = ErrorTypeKey(sp.type);
  if (!sp.detail.empty()) o["detail"] = sp.detail;
  if (!sp.identifier_type.empty() || !sp.identifier_value.empty()) {
    o["identifier"] = {{"type", sp.identifier_type}, {"value", sp.identifier_value}};
  }
  return o;
}

Result<core::Subproblem> DecodeSubproblem(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Corrupt("subproblem");
  core::Subproblem sp;
  sp.type = TypeOf(*o);
  sp.detail = StringMember(*o, "detail");
  if (const json::value* id = o->if_contains("identifier")) {
    const json::object* io = id->if_object();
    if (io == nullptr) return Corrupt("subproblem identifier");
    sp.identifier_type = StringMember(*io, "type");
    sp.identifier_value = StringMember(*io, "value");
  }
  return sp;
}

json::array ToArray(const std::vector<std::string>& strings) {
  json::array a;
  for (const std::string& s : strings) a.emplace_back(s);
  return a;
}

Result<std::vector<std::string>> FromArray(const json::value& v, std::string_view what) {
  const json::array* a = v.if_array();
  if (a == nullptr) return Corrupt(what);
  std::vector<std::string> out;
  for (const json::value& e : *a) {
    const json::string* s = e.if_string();
    if (s == nullptr) return Corrupt(what);
    out.emplace_back(*s);
  }
  return out;
}

template <typename E, size_t N>
Result<E> ParseEnum(std::string_view s, const E (&all)[N], std::string_view what) {
  for (E e : all) {
    if (core::ToString(e) == s) return e;
  }
  return core::Err(ErrorType::kInternal,
                   "stored " + std::string(what) + " '" + std::string(s) + "' is unknown");
}

}  // namespace

std::string_view ErrorTypeKey(ErrorType type) {
  for (const TypeKey& tk : kTypeKeys) {
    if (tk.type == type) return tk.key;
  }
  return "internal";
}

std::optional<ErrorType> ErrorTypeFromKey(std::string_view key) {
  for (const TypeKey& tk : kTypeKeys) {
    if (tk.key == key) return tk.type;
  }
  return std::nullopt;
}

std::string EncodeError(const core::Error& error) {
  json::object o;
  o["type"] = core::ErrorTypeName(error.type);
  o["kind"] = ErrorTypeKey(error.type);
  o["detail"] = error.detail;
  if (!error.subproblems.empty()) {
    json::array subs;
    for (const core::Subproblem& sp : error.subproblems) subs.emplace_back(EncodeSubproblem(sp));
    o["subproblems"] = std::move(subs);
  }
  if (error.retry_after) o["retryAfter"] = error.retry_after->count();
  if (!error.algorithms.empty()) o["algorithms"] = ToArray(error.algorithms);
  if (!error.location.empty()) o["location"] = error.location;
  return json::serialize(o);
}

Result<void> DecodeError(std::string_view text, core::Error& out) {
  FLINT_ASSIGN_OR_RETURN(json::value v, Parse(text, "error"));
  const json::object* o = v.if_object();
  if (o == nullptr) return Corrupt("error");
  core::Error e;
  e.type = TypeOf(*o);
  e.detail = StringMember(*o, "detail");
  if (const json::value* subs = o->if_contains("subproblems")) {
    const json::array* a = subs->if_array();
    if (a == nullptr) return Corrupt("error subproblems");
    for (const json::value& sv : *a) {
      FLINT_ASSIGN_OR_RETURN(core::Subproblem sp, DecodeSubproblem(sv));
      e.subproblems.push_back(std::move(sp));
    }
  }
  if (const json::value* ra = o->if_contains("retryAfter")) {
    const int64_t* seconds = ra->if_int64();
    if (seconds == nullptr) return Corrupt("error retryAfter");
    e.retry_after = std::chrono::seconds(*seconds);
  }
  if (const json::value* algs = o->if_contains("algorithms")) {
    FLINT_ASSIGN_OR_RETURN(e.algorithms, FromArray(*algs, "error algorithms"));
  }
  e.location = StringMember(*o, "location");
  out = std::move(e);
  return core::Ok();
}

std::string EncodeIdentifiers(const std::vector<core::Identifier>& identifiers) {
  json::array a;
  for (const core::Identifier& id : identifiers) {
    a.emplace_back(json::object{{"type", core::ToString(id.type)}, {"value", id.value}});
  }
  return json::serialize(a);
}

Result<std::vector<core::Identifier>> DecodeIdentifiers(std::string_view text) {
  FLINT_ASSIGN_OR_RETURN(json::value v, Parse(text, "identifiers"));
  const json::array* a = v.if_array();
  if (a == nullptr) return Corrupt("identifiers");
  std::vector<core::Identifier> out;
  for (const json::value& e : *a) {
    const json::object* o = e.if_object();
    if (o == nullptr) return Corrupt("identifier");
    core::Identifier id;
    FLINT_ASSIGN_OR_RETURN(id.type, ParseIdentifierType(StringMember(*o, "type")));
    id.value = StringMember(*o, "value");
    out.push_back(std::move(id));
  }
  return out;
}

std::string EncodeStrings(const std::vector<std::string>& strings) {
  return json::serialize(ToArray(strings));
}

Result<std::vector<std::string>> DecodeStrings(std::string_view text) {
  FLINT_ASSIGN_OR_RETURN(json::value v, Parse(text, "string list"));
  return FromArray(v, "string list");
}

Result<core::AccountStatus> ParseAccountStatus(std::string_view s) {
  using S = core::AccountStatus;
  static constexpr S kAll[] = {S::kValid, S::kDeactivated, S::kRevoked};
  return ParseEnum(s, kAll, "account status");
}

Result<core::OrderStatus> ParseOrderStatus(std::string_view s) {
  using S = core::OrderStatus;
  static constexpr S kAll[] = {S::kPending, S::kReady, S::kProcessing, S::kValid, S::kInvalid};
  return ParseEnum(s, kAll, "order status");
}

Result<core::AuthzStatus> ParseAuthzStatus(std::string_view s) {
  using S = core::AuthzStatus;
  static constexpr S kAll[] = {S::kPending,     S::kValid,   S::kInvalid,
                               S::kDeactivated, S::kExpired, S::kRevoked};
  return ParseEnum(s, kAll, "authorization status");
}

Result<core::ChallengeStatus> ParseChallengeStatus(std::string_view s) {
  using S = core::ChallengeStatus;
  static constexpr S kAll[] = {S::kPending, S::kProcessing, S::kValid, S::kInvalid};
  return ParseEnum(s, kAll, "challenge status");
}

Result<core::ChallengeType> ParseChallengeType(std::string_view s) {
  return ParseEnum(s, core::kAllChallengeTypes, "challenge type");
}

Result<core::IdentifierType> ParseIdentifierType(std::string_view s) {
  using T = core::IdentifierType;
  static constexpr T kAll[] = {T::kDns, T::kIp};
  return ParseEnum(s, kAll, "identifier type");
}

std::optional<std::string> OptionalErrorJson(const std::optional<core::Error>& error) {
  if (!error) return std::nullopt;
  return EncodeError(*error);
}

std::optional<int64_t> OptionalSeconds(const std::optional<core::TimePoint>& t) {
  if (!t) return std::nullopt;
  return core::ToUnixSeconds(*t);
}

}  // namespace flint::sa
