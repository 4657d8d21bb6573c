// RFC 8555 §7.4 newOrder and §7.4.1 newAuthz (dns and, per RFC 8738, ip identifiers).
#include <boost/json.hpp>

#include "wfe/handlers/handlers.h"
#include "wfe/render.h"

namespace flint::wfe::handlers {

using core::Err;
using core::ErrorType;

namespace {

// RFC 8555 §9.7.7: {"type": "dns" | "ip", "value": ...}.
core::Result<core::Identifier> ParseIdentifier(const boost::json::value& v) {
  const boost::json::object* o = v.if_object();
  const boost::json::value* type = o ? o->if_contains("type") : nullptr;
  const boost::json::value* value = o ? o->if_contains("value") : nullptr;
  if (!type || !value || !type->is_string() || !value->is_string())
    return Err(ErrorType::kMalformed, "each identifier needs string \"type\" and \"value\"");
  core::Identifier id;
  id.value = std::string(value->as_string());
  if (type->as_string() == "dns") {
    id.type = core::IdentifierType::kDns;
  } else if (type->as_string() == "ip") {
    id.type = core::IdentifierType::kIp;
  } else {
    core::Error e = Err(ErrorType::kUnsupportedIdentifier,
                        "identifier type \"" + std::string(type->as_string()).substr(0, 32) +
                            "\" is not supported");
    e.subproblems.push_back({ErrorType::kUnsupportedIdentifier, e.detail,
                             std::string(type->as_string()).substr(0, 32),
                             id.value.substr(0, 255)});
    return e;
  }
  return id;
}

core::Result<std::vector<core::Identifier>> ParseIdentifiers(const boost::json::value& payload) {
  const boost::json::value* ids = payload.as_object().if_contains("identifiers");
  if (ids == nullptr || !ids->is_array() || ids->as_array().empty())
    return Err(ErrorType::kMalformed, "newOrder needs a non-empty \"identifiers\" array");
  std::vector<core::Identifier> out;
  for (const boost::json::value& v : ids->as_array()) {
    FLINT_ASSIGN_OR_RETURN(core::Identifier id, ParseIdentifier(v));
    out.push_back(std::move(id));
  }
  return out;
}

core::Result<std::optional<core::TimePoint>> ParseTime(const boost::json::value& payload,
                                                       std::string_view key) {
  FLINT_ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalString(payload, key));
  if (!text) return std::optional<core::TimePoint>();
  std::optional<core::TimePoint> t = ParseRfc3339(*text);
  if (!t) return Err(ErrorType::kMalformed, std::string(key) + " is not an RFC 3339 date-time");
  return t;
}

}  // namespace

core::Result<Reply> NewOrder(Services& s, const AuthedPost& post) {
  if (post.post_as_get()) return Err(ErrorType::kMalformed, "newOrder needs a JSON payload");
  ra::NewOrderRequest req;
  FLINT_ASSIGN_OR_RETURN(req.identifiers, ParseIdentifiers(post.payload));
  FLINT_ASSIGN_OR_RETURN(req.not_before, ParseTime(post.payload, "notBefore"));
  FLINT_ASSIGN_OR_RETURN(req.not_after, ParseTime(post.payload, "notAfter"));
  // draft-aaron-acme-profiles and RFC 9773 §5.
  FLINT_ASSIGN_OR_RETURN(std::optional<std::string> profile,
                         OptionalString(post.payload, "profile"));
  FLINT_ASSIGN_OR_RETURN(std::optional<std::string> replaces,
                         OptionalString(post.payload, "replaces"));
  if ((profile && profile->empty()) || (replaces && replaces->empty()))
    return Err(ErrorType::kMalformed, "\"profile\" and \"replaces\" must not be empty");
  req.profile = profile.value_or("");
  req.replaces = replaces.value_or("");
  FLINT_ASSIGN_OR_RETURN(core::Order order, s.ra.NewOrder(*post.account, req));
  Reply reply = JsonReply(201, RenderOrder(s, order));
  reply.location = s.urls.Order(order.id);
  return reply;
}

// RFC 8555 §7.4.1: {"identifier": {...}} -> 201 with the new authorization at Location.
core::Result<Reply> NewAuthz(Services& s, const AuthedPost& post) {
  if (post.post_as_get()) return Err(ErrorType::kMalformed, "newAuthz needs a JSON payload");
  const boost::json::value* id = post.payload.as_object().if_contains("identifier");
  if (id == nullptr) return Err(ErrorType::kMalformed, "newAuthz needs an \"identifier\" object");
  FLINT_ASSIGN_OR_RETURN(core::Identifier identifier, ParseIdentifier(*id));
  FLINT_ASSIGN_OR_RETURN(core::Authorization authz,
                         s.ra.NewPreAuthorization(*post.account, identifier));
  Reply reply = JsonReply(201, RenderAuthorization(s, authz));
  reply.location = s.urls.Authz(authz.id);
  return reply;
}

}  // namespace flint::wfe::handlers
