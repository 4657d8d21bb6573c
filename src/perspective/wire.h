#pragma once
// The JSON spoken between the CA and its remote perspectives (`flint va-agent`), over mutual
// TLS (perspective/credentials.h). One HTTP/1.1 request per check:
//
//   POST /validate   body: a request (below); answer 200 with a report, or a problem
//   POST /caa        the same, for a CAA check alone (the finalize recheck)
//
// Request: {"identifier":{"type":"dns"|"ip","value":...},"wildcard":bool,
//           "challenge_type":"http-01"|"dns-01"|"tls-alpn-01"|"dns-account-01","token":...,
//           "key_authorization":...,"account_uri":...,"check_caa":bool,
//           "caa_identities":[...]}
//   caa_identities are the CA's CAA issuer domain names (RFC 8659 §4.2): the CA, not the agent,
//   knows who it is, so an agent serves any CA configuration that minted it.
// Report:  {"name":...,"result":"valid"|"invalid","error":{"type":"dns","detail":...},
//           "addresses":[...],"records":[...],"elapsed_ms":N}
//   `type` is the RFC 8555 §6.7 name (core::ErrorTypeName).
// Problem (any refusal): {"type":"malformed"|"methodNotAllowed"|...,"detail":...}.
//
// Decoding is strict (core::ParseStrictJson: duplicate keys, bad UTF-8 and non-integral numbers
// refused) and bounded: every string and list has a size limit, and anything out of shape is
// kMalformed with a detail saying what.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ra/validator.h"

namespace flint::perspective {

inline constexpr size_t kMaxRequestBody = 16 * 1024;
inline constexpr size_t kMaxReportBody = 64 * 1024;

enum class AgentOp { kValidate, kCaa };

struct AgentRequest {
  ra::ValidationRequest request;
  std::vector<std::string> caa_identities;
};

// The request target of `op`: "/validate" or "/caa".
std::string_view AgentPath(AgentOp op);

std::string EncodeRequest(const AgentRequest& request);
core::Result<AgentRequest> DecodeRequest(std::string_view body);

std::string EncodeReport(const ra::PerspectiveReport& report);
core::Result<ra::PerspectiveReport> DecodeReport(std::string_view body);

// {"type":...,"detail":...}
std::string EncodeProblem(core::ErrorType type, std::string_view detail);

}  // namespace flint::perspective
