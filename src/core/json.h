#pragma once
// Strict JSON for network input (RFC 8259 with ACME's extra demands): duplicate object keys,
// non-integral or out-of-range numbers, invalid UTF-8, comments, trailing data and nesting deeper
// than `max_depth` are all rejected as kMalformed. Boost.JSON alone accepts duplicate keys and
// turns 1e400 into infinity, hence this wrapper.

#include <boost/json/value.hpp>
#include <string_view>

#include "core/result.h"

namespace flint::core {

inline constexpr int kDefaultJsonMaxDepth = 16;

Result<boost::json::value> ParseStrictJson(std::string_view text,
                                           int max_depth = kDefaultJsonMaxDepth);

// Serializes `v` compactly.
std::string SerializeJson(const boost::json::value& v);

}  // namespace flint::core
