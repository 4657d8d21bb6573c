#pragma once
// Which identifiers flint issues for: the checks a newOrder's identifiers pass before any
// authorization is created (RFC 8555 §7.4, §7.1.3-7.1.4; RFC 8738 for "ip").
//
// Thread-safe: an IdentifierPolicy is immutable after construction.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "policy/public_suffix.h"

namespace flint::policy {

struct IdentifierPolicyOptions {
  // More distinct identifiers than this in one order is refused with kMalformed (as Boulder
  // does: the order as a whole is malformed, no single identifier is at fault).
  int max_identifiers = 100;
  // Names must end in a TLD listed in the Public Suffix List's ICANN section and must not be
  // an ICANN public suffix themselves ("com", "co.uk"); for a wildcard the base name is checked.
  bool require_registrable_domain = false;
  // The list used when require_registrable_domain is set; null means PublicSuffixList::Default().
  std::shared_ptr<const PublicSuffixList> psl;
  // Exact names and suffixes, case-insensitive, trailing dot ignored. "example.com" blocks
  // example.com, every name under it, every wildcard under it (*.example.com,
  // *.www.example.com), and the wildcard one level up that would cover it (*.com). A leading
  // "*." on an entry is dropped ("*.x.com" acts as "x.com"). An IP literal entry blocks that
  // address.
  std::vector<std::string> blocked_names;
  bool allow_ip = true;
  bool allow_wildcard = true;
};

class IdentifierPolicy {
 public:
  explicit IdentifierPolicy(IdentifierPolicyOptions options);

  // Checks a newOrder's identifiers and returns them canonicalized (IP addresses in inet_ntop
  // form), duplicates folded, in first-seen order. Errors:
  //   kMalformed              empty list, or more than max_identifiers distinct identifiers
  //                           (no subproblems);
  //   kRejectedIdentifier     a DNS name or IP address that is syntactically invalid, blocked,
  //                           a public suffix, or a wildcard where wildcards are off;
  //   kUnsupportedIdentifier  an unknown identifier type, or "ip" when allow_ip is false;
  //   kInternal               require_registrable_domain is set and no list could be loaded.
  // Each offending identifier yields one core::Subproblem naming it (RFC 8555 §6.7.1). One
  // offender: its own error, with its subproblem attached. Several of one type: that type with
  // all subproblems. Several types: kCompound with all subproblems.
  //
  // DNS names (RFC 1035 §2.3.1, RFC 5890, RFC 8555 §7.1.3): lowercase LDH, no trailing dot,
  // labels of 1-63 characters with no leading or trailing hyphen, at most 253 characters, at
  // least two labels, a TLD that is not all-numeric (so no IP address in a "dns" value), "xn--"
  // labels valid A-labels (see idna.h), no other label with hyphens in positions 3-4
  // (RFC 5891 §4.2.3.1), and a wildcard only as a whole leftmost "*." label (§7.1.3).
  [[nodiscard]] core::Result<std::vector<core::Identifier>> CheckOrder(
      const std::vector<core::Identifier>& ids) const;

 private:
  struct Problem;
  std::optional<Problem> CheckOne(const core::Identifier& id, std::string* canonical) const;
  std::optional<Problem> CheckDns(std::string_view value) const;
  std::optional<Problem> CheckIp(std::string_view value, std::string* canonical) const;
  std::optional<Problem> CheckBlocked(std::string_view name, bool wildcard) const;
  std::optional<Problem> CheckPublicSuffix(std::string_view name) const;

  IdentifierPolicyOptions options_;
  std::shared_ptr<const PublicSuffixList> psl_;  // set iff require_registrable_domain and loaded
  std::unordered_set<std::string> blocked_;          // normalized DNS entries
  std::unordered_set<std::string> blocked_parents_;  // entries minus their first label
  std::unordered_set<std::string> blocked_ips_;      // canonical IP text
};

// The challenge types offered for an authorization (RFC 8555 §8, RFC 8738 §7): dns ->
// http-01, dns-01, tls-alpn-01; a wildcard dns authorization -> dns-01 only (§7.1.3); ip ->
// http-01, tls-alpn-01; anything else (an ip "wildcard", an unknown type) -> none.
std::vector<core::ChallengeType> ChallengesFor(const core::Identifier& id, bool wildcard);

// True for a "dns" identifier whose value starts with "*." (RFC 8555 §7.1.3).
bool IsWildcard(const core::Identifier& id);

// The identifier an authorization is for: a wildcard's base name ("*.example.com" ->
// "example.com", RFC 8555 §7.1.4); any other identifier unchanged.
core::Identifier AuthorizationIdentifier(const core::Identifier& id);

// Maps an ACME identifier "type" string to IdentifierType; kUnsupportedIdentifier for any
// other string (RFC 8555 §6.7), detail naming it.
[[nodiscard]] core::Result<core::IdentifierType> ParseIdentifierType(std::string_view type);

}  // namespace flint::policy
