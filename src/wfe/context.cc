#include <boost/json.hpp>

#include "wfe/acme_context.h"

namespace flint::wfe {

using core::Err;
using core::ErrorType;

Reply JsonReply(int status, const boost::json::value& body) {
  Reply r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

namespace {
const boost::json::value* Member(const boost::json::value& payload, std::string_view key) {
  if (!payload.is_object()) return nullptr;
  return payload.as_object().if_contains(key);
}
}  // namespace

core::Result<std::optional<std::string>> OptionalString(const boost::json::value& payload,
                                                        std::string_view key) {
  const boost::json::value* v = Member(payload, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string())
    return Err(ErrorType::kMalformed, "field \"" + std::string(key) + "\" must be a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

core::Result<std::optional<bool>> OptionalBool(const boost::json::value& payload,
                                               std::string_view key) {
  const boost::json::value* v = Member(payload, key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_bool())
    return Err(ErrorType::kMalformed, "field \"" + std::string(key) + "\" must be a boolean");
  return std::optional<bool>(v->as_bool());
}

core::Result<std::optional<std::vector<std::string>>> OptionalStringArray(
    const boost::json::value& payload, std::string_view key) {
  const boost::json::value* v = Member(payload, key);
  if (v == nullptr) return std::optional<std::vector<std::string>>();
  auto bad = Err(ErrorType::kMalformed,
                 "field \"" + std::string(key) + "\" must be an array of strings");
  if (!v->is_array()) return bad;
  std::vector<std::string> out;
  for (const boost::json::value& el : v->as_array()) {
    if (!el.is_string()) return bad;
    out.emplace_back(el.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

std::optional<int64_t> ParseId(std::string_view text) {
  if (text.empty() || text.size() > 18 || text[0] == '0') return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace flint::wfe
