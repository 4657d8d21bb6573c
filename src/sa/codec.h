#pragma once
// Encodings shared by the SQL backends: status enums as text, and the JSON columns (contacts,
// identifiers, errors). Decoders validate what they read and return kInternal for a row they
// cannot understand (a corrupt or foreign database), never crash.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/result.h"
#include "core/types.h"

namespace flint::sa {

// A stable, unique name for every ErrorType, including the internal kinds that share an RFC
// 8555 name with others (notFound, conflict and methodNotAllowed all render as "malformed").
std::string_view ErrorTypeKey(core::ErrorType type);
std::optional<core::ErrorType> ErrorTypeFromKey(std::string_view key);

// core::Error as JSON: {"type": <ErrorTypeName>, "kind": <ErrorTypeKey>, "detail": ...,
// "subproblems": [{"type", "kind", "detail", "identifier": {"type", "value"}}],
// "retryAfter": seconds, "algorithms": [...], "location": ...}; empty members are omitted.
// Decoding restores the exact ErrorType from "kind"; an unknown kind (written by a newer flint)
// falls back to the RFC name in "type", then to kServerInternal.
// (Result<core::Error> cannot exist, hence the out parameter.)
std::string EncodeError(const core::Error& error);
core::Result<void> DecodeError(std::string_view json, core::Error& out);
// A nullable error column: EncodeError, or std::nullopt (SQL NULL) for no error.
std::optional<std::string> OptionalErrorJson(const std::optional<core::Error>& error);
// A nullable time column: Unix seconds, or std::nullopt (SQL NULL).
std::optional<int64_t> OptionalSeconds(const std::optional<core::TimePoint>& t);

// [{"type":"dns","value":"example.com"}, ...]
std::string EncodeIdentifiers(const std::vector<core::Identifier>& identifiers);
core::Result<std::vector<core::Identifier>> DecodeIdentifiers(std::string_view json);

// ["mailto:a@example.com", ...]
std::string EncodeStrings(const std::vector<std::string>& strings);
core::Result<std::vector<std::string>> DecodeStrings(std::string_view json);

// Inverses of core::ToString for the stored enums.
core::Result<core::AccountStatus> ParseAccountStatus(std::string_view s);
core::Result<core::OrderStatus> ParseOrderStatus(std::string_view s);
core::Result<core::AuthzStatus> ParseAuthzStatus(std::string_view s);
core::Result<core::ChallengeStatus> ParseChallengeStatus(std::string_view s);
core::Result<core::ChallengeType> ParseChallengeType(std::string_view s);
core::Result<core::IdentifierType> ParseIdentifierType(std::string_view s);

}  // namespace flint::sa
