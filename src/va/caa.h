#pragma once
// CAA processing (RFC 8659 §3-4) with the RFC 8657 accounturi and validationmethods parameters.
// Pure functions over record sets; ValidationAuthority::CheckCaa does the DNS tree climbing.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "va/resolver.h"

namespace flint::va {

// RFC 8659 §4.2: the value of an issue or issuewild property.
struct CaaIssueValue {
  std::string issuer_domain;  // empty: no CA is authorized (e.g. the value ";")
  std::vector<std::pair<std::string, std::string>> parameters;  // in order, tags as written
};

// Parses `value` by the RFC 8659 §4.2 grammar (whitespace tolerant where it allows):
//   issue-value = *WSP [issuer-domain-name *WSP] [";" *WSP [parameters *WSP]]
// nullopt if the value does not follow it; such a record authorizes no one.
std::optional<CaaIssueValue> ParseCaaIssueValue(std::string_view value);

struct CaaRequest {
  bool wildcard = false;                  // issuewild applies (RFC 8659 §4.3)
  std::vector<std::string> identities;    // this CA's issuer domain names
  std::string account_uri;                // RFC 8657 §3 accounturi
  std::string method;                     // RFC 8657 §4 validationmethods label, e.g. "dns-01"
};

// Decides issuance against `records`, the relevant record set found at `domain` (non-empty).
// Ok if issuance is permitted; kCaa naming `domain` and the reason otherwise:
//  - any record with the Issuer Critical flag (128) and a tag other than issue, issuewild, iodef;
//  - issue (or, for a wildcard with any issuewild present, issuewild) records exist and none
//    names one of `identities` with a well-formed value whose accounturi (if present) equals
//    `account_uri` and whose validationmethods (if present) list `method`.
// A parameter given twice, or a malformed validationmethods list, voids that record.
core::Result<void> EvaluateCaaSet(const std::vector<CaaRecord>& records, const CaaRequest& request,
                                  const std::string& domain);

}  // namespace flint::va
