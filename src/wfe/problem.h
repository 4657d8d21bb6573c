#pragma once
// The one place where core::Error becomes an RFC 7807 problem document with the RFC 8555 §6.7
// type URN and HTTP status. Internal details (kInternal) are never sent.

#include <string>

#include <boost/json/value.hpp>

#include "core/error.h"

namespace flint::wfe {

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// The HTTP status for an error type.
int HttpStatusFor(core::ErrorType type);

// The problem document body, e.g.
// {"type":"<the RFC 8555 §6.7 namespace>badNonce","detail":"...","status":400}.
// `status` is included when non-zero (problems embedded in challenges and orders leave it out).
std::string ProblemJson(const core::Error& error, int status);

// The problem object as a JSON value (for embedding in challenge and order objects).
boost::json::value ProblemValue(const core::Error& error, int status);

}  // namespace flint::wfe
