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
  // The Public Suffix List (flint serve loads Debian's /usr/share/publicsuffix file). When set,
  // a DNS name that is itself an ICANN public suffix ("com", "co.uk", "foo.ck" under the "*.ck"
  // rule) is refused; for a wildcard the base name is checked ("*.co.uk"). Names under a TLD
  // the list does not know ("host.internal", "a.test") pass: private CAs issue for them.
  // Null: no public-suffix check.
  std::shared_ptr<const PublicSuffixList> psl;
  // For public CAs: also refuse a DNS name whose TLD is not in the list's ICANN section
  // ("host.internal"). Needs `psl`; without one, CheckOrder answers kInternal.
  bool require_known_tld = false;
  // Exact names and suffixes, case-insensitive, trailing dot ignored. "example.com" blocks
  // example.com, every name under it, every wildcard under it (*.example.com,
  // *.www.example.com), and the wildcard one level up that would cover it (*.com). A leading
  // "*." on an entry is dropped ("*.x.com" acts as "x.com"). An IP literal entry blocks that
  // address. BlockedNameProblem() says whether an entry is well-formed.
  std::vector<std::string> blocked_names;
  bool allow_ip = true;
  // Accept "ip" identifiers for addresses that are not public (IsPublicAddress() in
  // address_policy.h: loopback, RFC 1918, CGNAT, link-local, ULA, documentation, multicast,
  // ...). flint serve sets it from --allow-private-targets, as the VA could not validate them
  // otherwise. IPv4-mapped IPv6 addresses are refused either way.
  bool allow_private_ips = false;
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
  //                           a public suffix, under an unlisted TLD (require_known_tld), or
  //                           a wildcard where wildcards are off; an IP address that is not
  //                           public (unless allow_private_ips) or is IPv4-mapped IPv6
  //                           ("::ffff:1.2.3.4": ask for "1.2.3.4"; IANA marks ::ffff:0:0/96
  //                           not globally reachable, and it would dodge IPv4 blocklists);
  //   kUnsupportedIdentifier  an unknown identifier type, or "ip" when allow_ip is false;
  //   kInternal               require_known_tld is set without a psl.
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
  std::unordered_set<std::string> blocked_;          // normalized DNS entries
  std::unordered_set<std::string> blocked_parents_;  // entries minus their first label
  std::unordered_set<std::string> blocked_ips_;      // canonical IP text
};

// Why `entry` cannot be a blocked_names entry, or nullopt when it can: an IP literal, or a DNS
// name or single label ("internal" blocks a whole TLD), any case, with an optional "*." prefix
// and trailing dot. For refusing a misspelt entry at start-up rather than never matching it.
std::optional<std::string> BlockedNameProblem(std::string_view entry);

// The challenge types offered for an authorization (RFC 8555 §8, RFC 8738 §7): dns ->
// http-01, dns-01, tls-alpn-01, dns-account-01; a wildcard dns authorization -> dns-01 and
// dns-account-01 only (§7.1.3); ip ->
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
