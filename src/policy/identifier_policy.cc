#include "policy/identifier_policy.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

#include "core/ascii.h"
#include "policy/address_policy.h"
#include "policy/idna.h"

namespace flint::policy {

using core::ErrorType;
using core::Identifier;
using core::IdentifierType;

struct IdentifierPolicy::Problem {
  ErrorType type = ErrorType::kRejectedIdentifier;
  std::string detail;
};

namespace {

constexpr size_t kMaxDnsNameLength = 253;  // RFC 1035 §2.3.4, as text without the root dot
constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxQuotedLength = 255;
constexpr size_t kMaxSummarizedDetails = 3;

// Client text made safe for an error detail: quoted, non-printable bytes as \xNN, truncated.
std::string Quote(std::string_view v) {
  std::string out = "\"";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == kMaxQuotedLength) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

std::string_view TypeName(IdentifierType type) {
  switch (type) {
    case IdentifierType::kDns: return "dns";
    case IdentifierType::kIp: return "ip";
  }
  return "unknown";
}

bool IsAllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsLdhOrDot(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

std::vector<std::string_view> SplitLabels(std::string_view name) {
  std::vector<std::string_view> labels;
  for (size_t start = 0;;) {
    const size_t dot = name.find('.', start);
    labels.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return labels;
    start = dot + 1;
  }
}

// RFC 1035 §2.3.1 LDH label rules plus the IDNA rules on hyphens (RFC 5891 §4.2.3.1).
std::optional<std::string> LabelProblem(std::string_view label) {
  if (label.empty()) return "has an empty label";
  if (label.size() > kMaxLabelLength) return "has a label longer than 63 characters";
  if (label.front() == '-' || label.back() == '-') {
    return "has a label that begins or ends with a hyphen";
  }
  if (label.starts_with("xn--")) {
    if (auto reason = ALabelProblem(label)) {
      return "has the label " + Quote(label) + ", which is not a valid IDNA A-label: it " +
             *reason;
    }
    return std::nullopt;
  }
  if (label.size() >= 4 && label[2] == '-' && label[3] == '-') {
    return "has the label " + Quote(label) +
           " with hyphens in the third and fourth positions, which is reserved for IDNA "
           "A-labels (RFC 5891 §4.2.3.1)";
  }
  return std::nullopt;
}

// Syntax of a DNS name with any "*." already removed; `wildcard` only shapes the wording.
std::optional<std::string> NameSyntaxProblem(std::string_view name, bool wildcard) {
  if (name.find('*') != std::string_view::npos) {
    return "has a \"*\" that is not the entire leftmost label; a wildcard must be \"*.\" "
           "followed by a domain name (RFC 8555 §7.1.3)";
  }
  const auto bad = std::find_if_not(name.begin(), name.end(), IsLdhOrDot);
  if (bad != name.end()) {
    return "contains the invalid character " + Quote(std::string_view(&*bad, 1)) +
           "; only a-z, 0-9, \"-\" and \".\" are allowed";
  }
  const std::vector<std::string_view> labels = SplitLabels(name);
  for (std::string_view label : labels) {
    if (auto problem = LabelProblem(label)) return problem;
  }
  if (labels.size() < 2) {
    return wildcard ? "is a wildcard that must be followed by at least two labels"
                    : "must have at least two labels";
  }
  if (IsAllDigits(labels.back())) return "has an all-numeric top-level domain";
  return std::nullopt;
}

std::string NormalizeBlockedEntry(std::string entry) {
  core::AsciiLowerInPlace(entry);
  while (!entry.empty() && entry.back() == '.') entry.pop_back();
  if (entry.starts_with("*.")) entry.erase(0, 2);
  return entry;
}

std::string DetailPrefix(std::string_view value) { return "Domain name " + Quote(value) + " "; }

core::Error Combine(std::vector<core::Subproblem> subs) {
  if (subs.size() == 1) {
    core::Error e = core::Err(subs.front().type, subs.front().detail);
    e.subproblems = std::move(subs);
    return e;
  }
  const bool same = std::all_of(subs.begin(), subs.end(),
                                [&](const core::Subproblem& s) { return s.type == subs[0].type; });
  std::string detail = std::to_string(subs.size()) + " identifiers were refused: ";
  for (size_t i = 0; i < subs.size() && i < kMaxSummarizedDetails; ++i) {
    if (i > 0) detail += "; ";
    detail += subs[i].detail;
  }
  if (subs.size() > kMaxSummarizedDetails) {
    detail += "; and " + std::to_string(subs.size() - kMaxSummarizedDetails) +
              " more (see subproblems)";
  }
  core::Error e = core::Err(same ? subs[0].type : ErrorType::kCompound, std::move(detail));
  e.subproblems = std::move(subs);
  return e;
}

}  // namespace

IdentifierPolicy::IdentifierPolicy(IdentifierPolicyOptions options)
    : options_(std::move(options)) {
  for (const std::string& raw : options_.blocked_names) {
    if (auto ip = CanonicalIp(raw)) {
      blocked_ips_.insert(*ip);
      continue;
    }
    std::string entry = NormalizeBlockedEntry(raw);
    if (entry.empty()) continue;
    if (const size_t dot = entry.find('.'); dot != std::string::npos) {
      blocked_parents_.insert(entry.substr(dot + 1));
    }
    blocked_.insert(std::move(entry));
  }
}

core::Result<std::vector<Identifier>> IdentifierPolicy::CheckOrder(
    const std::vector<Identifier>& ids) const {
  if (ids.empty()) {
    return core::Err(ErrorType::kMalformed, "an order must contain at least one identifier");
  }
  if (options_.require_known_tld && !options_.psl) {
    return core::Err(ErrorType::kInternal,
                     "require_known_tld is set but no public suffix list was given");
  }
  std::vector<Identifier> accepted;
  std::vector<core::Subproblem> subs;
  std::unordered_set<std::string> seen_ok;
  std::unordered_set<std::string> seen_bad;
  for (const Identifier& id : ids) {
    std::string canonical;
    std::optional<Problem> problem = CheckOne(id, &canonical);
    const std::string type_key(TypeName(id.type));
    if (problem) {
      if (seen_bad.insert(type_key + ":" + id.value).second) {
        subs.push_back({problem->type, std::move(problem->detail), type_key, id.value});
      }
    } else if (seen_ok.insert(type_key + ":" + canonical).second) {
      accepted.push_back({id.type, std::move(canonical)});
    }
  }
  if (!subs.empty()) return Combine(std::move(subs));
  if (accepted.size() > static_cast<size_t>(std::max(options_.max_identifiers, 0))) {
    return core::Err(ErrorType::kMalformed,
                     "an order may contain at most " + std::to_string(options_.max_identifiers) +
                         " distinct identifiers; this one has " +
                         std::to_string(accepted.size()));
  }
  return accepted;
}

std::optional<IdentifierPolicy::Problem> IdentifierPolicy::CheckOne(const Identifier& id,
                                                                    std::string* canonical) const {
  switch (id.type) {
    case IdentifierType::kDns:
      *canonical = id.value;
      return CheckDns(id.value);
    case IdentifierType::kIp:
      return CheckIp(id.value, canonical);
  }
  return Problem{ErrorType::kUnsupportedIdentifier,
                 "identifier " + Quote(id.value) + " has type " +
                     std::to_string(static_cast<int>(id.type)) +
                     ", which is not supported; use \"dns\" or \"ip\""};
}

std::optional<IdentifierPolicy::Problem> IdentifierPolicy::CheckDns(std::string_view value) const {
  const auto rejected = [&](std::string why) {
    return Problem{ErrorType::kRejectedIdentifier, DetailPrefix(value) + std::move(why)};
  };
  if (value.empty()) return Problem{ErrorType::kRejectedIdentifier, "Domain name is empty"};
  if (value.size() > kMaxDnsNameLength) return rejected("is longer than 253 characters");
  if (CanonicalIp(value)) {
    return rejected("is an IP address; request it as an identifier of type \"ip\" (RFC 8738)");
  }
  if (value.back() == '.') return rejected("must not end with a dot");
  if (std::any_of(value.begin(), value.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return rejected("must be lowercase");
  }
  const bool wildcard = value.starts_with("*.");
  const std::string_view name = wildcard ? value.substr(2) : value;
  if (wildcard && !options_.allow_wildcard) {
    return rejected("is a wildcard, and this server does not issue wildcard certificates");
  }
  if (auto problem = NameSyntaxProblem(name, wildcard)) return rejected(std::move(*problem));
  if (auto problem = CheckBlocked(name, wildcard)) {
    problem->detail = DetailPrefix(value) + problem->detail;
    return problem;
  }
  if (options_.psl) {
    if (auto problem = CheckPublicSuffix(name)) {
      problem->detail = DetailPrefix(value) + problem->detail;
      return problem;
    }
  }
  return std::nullopt;
}

std::optional<IdentifierPolicy::Problem> IdentifierPolicy::CheckIp(std::string_view value,
                                                                   std::string* canonical) const {
  if (!options_.allow_ip) {
    return Problem{ErrorType::kUnsupportedIdentifier,
                   "IP address " + Quote(value) +
                       ": this server does not issue certificates for IP addresses"};
  }
  std::optional<std::string> ip = CanonicalIp(value);
  if (!ip) {
    return Problem{ErrorType::kRejectedIdentifier,
                   Quote(value) + " is not a valid IPv4 or IPv6 address (RFC 8738 §3)"};
  }
  if (IsIpv4Mapped(*ip)) {
    return Problem{ErrorType::kRejectedIdentifier,
                   "IP address " + Quote(value) +
                       " is an IPv4-mapped IPv6 address; request the IPv4 address " +
                       Quote(ip->substr(ip->rfind(':') + 1)) + " itself"};
  }
  if (blocked_ips_.contains(*ip)) {
    return Problem{ErrorType::kRejectedIdentifier,
                   "IP address " + Quote(value) + " is blocked by this server's policy"};
  }
  if (!options_.allow_private_ips && !IsPublicAddress(*ip)) {
    return Problem{ErrorType::kRejectedIdentifier,
                   "IP address " + Quote(value) +
                       " is not a public address (it is private, loopback, link-local, shared, "
                       "reserved, multicast or for documentation); this server issues only for "
                       "publicly routable addresses"};
  }
  *canonical = std::move(*ip);
  return std::nullopt;
}

std::optional<IdentifierPolicy::Problem> IdentifierPolicy::CheckBlocked(std::string_view name,
                                                                        bool wildcard) const {
  for (std::string_view suffix = name;;) {
    if (blocked_.contains(std::string(suffix))) {
      return Problem{ErrorType::kRejectedIdentifier,
                     "is blocked by this server's policy (it is or is under " + Quote(suffix) +
                         ")"};
    }
    const size_t dot = suffix.find('.');
    if (dot == std::string_view::npos) break;
    suffix.remove_prefix(dot + 1);
  }
  if (wildcard && blocked_parents_.contains(std::string(name))) {
    return Problem{ErrorType::kRejectedIdentifier,
                   "is blocked by this server's policy (the wildcard covers a blocked name)"};
  }
  return std::nullopt;
}

std::optional<IdentifierPolicy::Problem> IdentifierPolicy::CheckPublicSuffix(
    std::string_view name) const {
  const PublicSuffixList& psl = *options_.psl;
  if (options_.require_known_tld && !psl.HasListedTld(name)) {
    return Problem{ErrorType::kRejectedIdentifier,
                   "does not end with a top-level domain in the Public Suffix List"};
  }
  if (psl.IsIcannPublicSuffix(name)) {
    return Problem{ErrorType::kRejectedIdentifier,
                   "is a public suffix (" + Quote(name) +
                       "); certificates are issued only for names under one"};
  }
  return std::nullopt;
}

std::optional<std::string> BlockedNameProblem(std::string_view entry) {
  if (CanonicalIp(entry)) return std::nullopt;
  const std::string name = NormalizeBlockedEntry(std::string(entry));
  if (name.empty()) return "is empty";
  if (name.find('*') != std::string::npos) {
    return "has a \"*\" other than a leading \"*.\"";
  }
  const auto bad = std::find_if_not(name.begin(), name.end(), IsLdhOrDot);
  if (bad != name.end()) {
    return "contains the invalid character " + Quote(std::string_view(&*bad, 1)) +
           "; it must be an IP address or a DNS name";
  }
  const std::vector<std::string_view> labels = SplitLabels(name);
  for (std::string_view label : labels) {
    if (auto problem = LabelProblem(label)) return problem;
  }
  if (IsAllDigits(labels.back())) {
    return "has an all-numeric top-level domain and is not an IP address";
  }
  return std::nullopt;
}

std::vector<core::ChallengeType> ChallengesFor(const Identifier& id, bool wildcard) {
  using core::ChallengeType;
  switch (id.type) {
    case IdentifierType::kDns:
      // RFC 8555 §7.1.3, §8.4; draft-ietf-acme-dns-account-label-01 §3: dns-account-01 goes
      // wherever dns-01 does, wildcards included.
      if (wildcard) return {ChallengeType::kDns01, ChallengeType::kDnsAccount01};
      return {ChallengeType::kHttp01, ChallengeType::kDns01, ChallengeType::kTlsAlpn01,
              ChallengeType::kDnsAccount01};
    case IdentifierType::kIp:
      if (wildcard) return {};
      return {ChallengeType::kHttp01, ChallengeType::kTlsAlpn01};  // RFC 8738 §7
  }
  return {};
}

bool IsWildcard(const Identifier& id) {
  return id.type == IdentifierType::kDns && id.value.starts_with("*.");
}

Identifier AuthorizationIdentifier(const Identifier& id) {
  if (!IsWildcard(id)) return id;
  return Identifier{id.type, id.value.substr(2)};
}

core::Result<IdentifierType> ParseIdentifierType(std::string_view type) {
  if (type == "dns") return IdentifierType::kDns;
  if (type == "ip") return IdentifierType::kIp;
  return core::Err(ErrorType::kUnsupportedIdentifier,
                   "identifier type " + Quote(type) + " is not supported; use \"dns\" or \"ip\"");
}

}  // namespace flint::policy
