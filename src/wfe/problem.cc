#include "wfe/problem.h"

#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace flint::wfe {

using core::ErrorType;

namespace {

// RFC 8555 §6.7: every ACME error type is this prefix and core::ErrorTypeName.
constexpr std::string_view kAcmeErrorNamespace = "urn:ietf:params:acme:error:";

std::string TypeUrn(ErrorType type) {
  return std::string(kAcmeErrorNamespace) + std::string(core::ErrorTypeName(type));
}

}  // namespace

int HttpStatusFor(ErrorType type) {
  switch (type) {
    // The client did authenticate (its JWS verified, or it was refused before that for a
    // rule it broke), so a refusal is 403, as Boulder and Pebble answer; 401 would promise a
    // WWW-Authenticate challenge (RFC 9110 §15.5.2) that ACME does not have.
    case ErrorType::kUnauthorized:
    case ErrorType::kExternalAccountRequired:
    case ErrorType::kOrderNotReady:
    case ErrorType::kCaa:
    case ErrorType::kUserActionRequired: return 403;
    case ErrorType::kNotFound: return 404;
    case ErrorType::kMethodNotAllowed: return 405;
    case ErrorType::kConflict:
    case ErrorType::kAlreadyReplaced: return 409;
    case ErrorType::kPayloadTooLarge: return 413;
    case ErrorType::kUnsupportedMediaType: return 415;
    case ErrorType::kRateLimited: return 429;
    case ErrorType::kInternal:
    case ErrorType::kServerInternal: return 500;
    case ErrorType::kUnavailable: return 503;
    default: return 400;
  }
}

boost::json::value ProblemValue(const core::Error& error, int status) {
  boost::json::object o;
  o["type"] = TypeUrn(error.type);
  if (error.type == ErrorType::kUnavailable) {
    o["detail"] = "the service is briefly unavailable; retry after the time given";
  } else if (error.type == ErrorType::kInternal || error.type == ErrorType::kServerInternal) {
    o["detail"] = "internal server error";
  } else {
    o["detail"] = error.detail;
  }
  if (status != 0) o["status"] = status;
  if (!error.subproblems.empty()) {
    boost::json::array subs;
    for (const core::Subproblem& sp : error.subproblems) {
      boost::json::object s;
      s["type"] = TypeUrn(sp.type);
      s["detail"] = sp.detail;
      if (!sp.identifier_value.empty()) {
        s["identifier"] = {{"type", sp.identifier_type}, {"value", sp.identifier_value}};
      }
      subs.push_back(std::move(s));
    }
    o["subproblems"] = std::move(subs);
  }
  if (!error.algorithms.empty()) {
    boost::json::array algs;
    for (const std::string& a : error.algorithms) algs.push_back(boost::json::string(a));
    o["algorithms"] = std::move(algs);
  }
  return o;
}

std::string ProblemJson(const core::Error& error, int status) {
  return boost::json::serialize(ProblemValue(error, status));
}

}  // namespace flint::wfe
