#pragma once
// Private to the config module: the `[rate-limits]` table of the TOML file
// (docs/OPERATIONS.md "Rate limits").

#include <toml++/toml.h>

#include <string>

#include "config/config.h"

namespace flint::config {

// Parses the value of the top-level `rate-limits` key: a table with any of the rate keys
// (kRateLimitNames, each "COUNT/DURATION", e.g. "300/3h"), `pending-authorizations-per-account`
// (a positive integer), and `override`, an array of tables {limit = NAME, key = KEY,
// rate = "COUNT/DURATION"}, each naming a rate key. kMalformed, naming the key, for anything
// else.
core::Result<RateLimitsConfig> ParseRateLimits(const std::string& path, const toml::node& node);

// "COUNT/DURATION": COUNT 0..10^9, DURATION as ParseDuration and not zero.
core::Result<RateConfig> ParseRateText(std::string_view text);

}  // namespace flint::config
