#pragma once
// flint's one internal error type. Every module reports failure as an Error; only the web front
// end (wfe) renders it as an RFC 7807 problem document, through one table of type -> URN + status.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flint::core {

// The RFC 8555 §6.7 error types, the extensions flint implements, and a few internal kinds that
// never reach a client under their own name (they map to 404/409/500 at the edge).
enum class ErrorType {
  // RFC 8555 §6.7
  kAccountDoesNotExist,
  kAlreadyRevoked,
  kBadCsr,
  kBadNonce,
  kBadPublicKey,
  kBadRevocationReason,
  kBadSignatureAlgorithm,
  kCaa,
  kCompound,
  kConnection,
  kDns,
  kExternalAccountRequired,
  kIncorrectResponse,
  kInvalidContact,
  kMalformed,
  kOrderNotReady,
  kRateLimited,
  kRejectedIdentifier,
  kServerInternal,
  kTls,
  kUnauthorized,
  kUnsupportedContact,
  kUnsupportedIdentifier,
  kUserActionRequired,
  // RFC 9773 (ARI) and draft-aaron-acme-profiles.
  kAlreadyReplaced,
  kInvalidProfile,
  // HTTP-level refusals rendered as `malformed` with their own status.
  kMethodNotAllowed,      // 405
  kUnsupportedMediaType,  // 415
  kPayloadTooLarge,       // 413
  // Internal kinds.
  kNotFound,  // 404, rendered as malformed "not found"
  kConflict,  // 409 (e.g. keyChange to a key in use), rendered as malformed/conflict
  kInternal,  // 500 serverInternal; detail is logged, never sent
  // 503 serverInternal with Retry-After: a dependency (the database) cannot be reached for the
  // moment; nothing was written, and the same request may succeed once it is back. Detail is
  // logged, never sent.
  kUnavailable,
};

struct Identifier;

struct Subproblem {
  ErrorType type = ErrorType::kMalformed;
  std::string detail;
  // The identifier the subproblem is about (RFC 8555 §6.7.1), as type and value.
  std::string identifier_type;
  std::string identifier_value;
};

struct Error {
  ErrorType type = ErrorType::kInternal;
  std::string detail;
  std::vector<Subproblem> subproblems;
  std::optional<std::chrono::seconds> retry_after;
  // Extra response data some errors carry: `algorithms` for badSignatureAlgorithm (RFC 8555
  // §6.2); for keyChange 409 (§7.3.5) the id of the account that holds the key (set by the RA)
  // and its URL (set by the web front end from that id, sent as Location).
  std::vector<std::string> algorithms;
  int64_t conflicting_account_id = 0;  // 0: none
  std::string location;
};

// Short constructor: Err(ErrorType::kMalformed, "detail").
inline Error Err(ErrorType type, std::string detail) {
  Error e;
  e.type = type;
  e.detail = std::move(detail);
  return e;
}

// "urn:ietf:params:acme:error:<name>" suffix for the type, e.g. "badNonce".
std::string_view ErrorTypeName(ErrorType type);

}  // namespace flint::core
