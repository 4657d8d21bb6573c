#include "config/rate_limits.h"

#include <algorithm>

namespace flint::config {

using core::Err;
using core::ErrorType;

core::Result<RateConfig> ParseRateText(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view count = text.substr(0, slash);
  if (slash == std::string_view::npos || count.empty() || count.size() > 10 ||
      !std::all_of(count.begin(), count.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Err(ErrorType::kMalformed,
               "expected COUNT/DURATION such as \"300/3h\", not \"" +
                   std::string(text.substr(0, 64)) + "\"");
  }
  RateConfig rate;
  rate.count = std::stoll(std::string(count));
  if (rate.count > 1000000000)
    return Err(ErrorType::kMalformed, "a count of at most 1000000000 per period");
  FLINT_ASSIGN_OR_RETURN(rate.period, ParseDuration(text.substr(slash + 1)));
  if (rate.period.count() == 0) return Err(ErrorType::kMalformed, "the period must not be zero");
  return rate;
}

namespace {

bool IsRateName(const std::string& name) {
  return std::find(std::begin(kRateLimitNames), std::end(kRateLimitNames), name) !=
         std::end(kRateLimitNames);
}

core::Result<RateConfig> RateValue(const toml::node& node, const std::string& where) {
  std::optional<std::string> text = node.value_exact<std::string>();
  if (!text) return Err(ErrorType::kMalformed, where + ": expected a string \"COUNT/DURATION\"");
  auto rate = ParseRateText(*text);
  if (!rate.ok()) return Err(ErrorType::kMalformed, where + ": " + rate.error().detail);
  return rate;
}

}  // namespace

core::Result<RateLimitsConfig> ParseRateLimits(const std::string& path, const toml::node& node) {
  const std::string where = "config file " + path + ": [rate-limits]";
  const toml::table* table = node.as_table();
  if (table == nullptr) return Err(ErrorType::kMalformed, where + " must be a table");
  RateLimitsConfig out;
  for (auto&& [k, value] : *table) {
    const std::string key(k.str());
    if (IsRateName(key)) {
      FLINT_ASSIGN_OR_RETURN(out.rates[key], RateValue(value, where + " " + key));
    } else if (key == "pending-authorizations-per-account") {
      std::optional<int64_t> n = value.value_exact<int64_t>();
      if (!n || *n <= 0 || *n > 1000000000)
        return Err(ErrorType::kMalformed, where + " " + key + ": expected a positive integer");
      out.pending_authorizations_per_account = *n;
    } else if (key == "override") {
      const toml::array* arr = value.as_array();
      if (arr == nullptr)
        return Err(ErrorType::kMalformed, where + " override: expected [[rate-limits.override]]");
      for (const toml::node& el : *arr) {
        const std::string at = where + " override #" + std::to_string(out.overrides.size() + 1);
        const toml::table* o = el.as_table();
        if (o == nullptr) return Err(ErrorType::kMalformed, at + ": expected a table");
        RateOverrideConfig over;
        for (auto&& [ok, ov] : *o) {
          const std::string field(ok.str());
          if (field == "limit" || field == "key") {
            std::optional<std::string> s = ov.value_exact<std::string>();
            if (!s || s->empty() || s->size() > 1024)
              return Err(ErrorType::kMalformed, at + " " + field + ": expected a string");
            (field == "limit" ? over.limit : over.key) = *s;
          } else if (field == "rate") {
            FLINT_ASSIGN_OR_RETURN(over.rate, RateValue(ov, at + " rate"));
            over.has_rate = true;
          } else {
            return Err(ErrorType::kMalformed, at + ": unknown key '" + field + "'");
          }
        }
        if (!IsRateName(over.limit))
          return Err(ErrorType::kMalformed, at + ": limit must name one of the rate limits");
        if (over.key.empty() || !over.has_rate)
          return Err(ErrorType::kMalformed, at + ": needs limit, key and rate");
        out.overrides.push_back(std::move(over));
      }
    } else {
      return Err(ErrorType::kMalformed, where + ": unknown key '" + key + "'");
    }
  }
  return out;
}

}  // namespace flint::config
