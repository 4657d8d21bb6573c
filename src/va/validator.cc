#include "va/validator.h"

#include "va/caa.h"
#include "va/challenges.h"

namespace flint::va {

using core::Err;
using core::ErrorType;
using core::Result;

std::string DnsAccountLabel(std::string_view account_uri) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  const std::string digest = internal::Sha256(account_uri);
  // 10 bytes = 80 bits = 16 base32 characters exactly: no padding to strip.
  std::string label = "_";
  uint64_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < 10; ++i) {
    buffer = (buffer << 8) | static_cast<unsigned char>(digest[i]);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      label.push_back(kAlphabet[(buffer >> bits) & 31]);
    }
  }
  return label;
}

ValidationAuthority::ValidationAuthority(VaOptions options, Resolver& resolver)
    : options_(std::move(options)), resolver_(resolver) {}

Result<void> ValidationAuthority::Validate(const core::Identifier& id, core::ChallengeType type,
                                           const std::string& token,
                                           const std::string& key_authorization,
                                           const std::string& account_uri) const {
  switch (type) {
    case core::ChallengeType::kHttp01:
      return internal::ValidateHttp01(options_, resolver_, id, token, key_authorization);
    case core::ChallengeType::kTlsAlpn01:
      return internal::ValidateTlsAlpn01(options_, resolver_, id, key_authorization);
    case core::ChallengeType::kDns01: {
      // RFC 8738 §7: dns-01 is not defined for IP identifiers.
      if (id.type != core::IdentifierType::kDns) {
        return Err(ErrorType::kMalformed, "dns-01 cannot validate an IP address identifier");
      }
      FLINT_ASSIGN_OR_RETURN(std::string name, internal::NormalizeDnsName(id.value));
      return internal::ValidateDns01(resolver_, "_acme-challenge." + name, key_authorization);
    }
    case core::ChallengeType::kDnsAccount01: {
      if (id.type != core::IdentifierType::kDns) {
        return Err(ErrorType::kMalformed,
                   "dns-account-01 cannot validate an IP address identifier");
      }
      if (account_uri.empty()) {
        return Err(ErrorType::kServerInternal, "dns-account-01 needs the account's URL");
      }
      FLINT_ASSIGN_OR_RETURN(std::string name, internal::NormalizeDnsName(id.value));
      return internal::ValidateDns01(
          resolver_, DnsAccountLabel(account_uri) + "._acme-challenge." + name,
          key_authorization);
    }
  }
  return Err(ErrorType::kMalformed, "unknown challenge type");
}

Result<void> ValidationAuthority::CheckCaa(const core::Identifier& id, bool wildcard,
                                           const std::string& account_uri,
                                           core::ChallengeType method) const {
  // CAA applies to domain names only (RFC 8659 §3; RFC 8738 defines nothing for IPs).
  if (id.type != core::IdentifierType::kDns) return core::Ok();
  FLINT_ASSIGN_OR_RETURN(std::string name, internal::NormalizeDnsName(id.value));
  CaaRequest request;
  request.wildcard = wildcard || id.value.rfind("*.", 0) == 0;
  request.identities = options_.caa_identities;
  request.account_uri = account_uri;
  request.method = std::string(core::ToString(method));
  // RFC 8659 §3: the relevant record set is the first non-empty one found climbing from the name
  // toward the root, stopping before the root itself.
  std::string_view current = name;
  for (;;) {
    Result<CaaAnswer> answer = resolver_.LookupCaa(std::string(current));
    if (!answer.ok()) {
      // RFC 8659 §3: a failed lookup must not be taken as permission.
      core::Error error = std::move(answer).error();
      error.type = ErrorType::kDns;
      error.detail = "CAA check for " + name + " failed: " + error.detail;
      return error;
    }
    if (!answer->records.empty()) {
      return EvaluateCaaSet(answer->records, request, std::string(current));
    }
    size_t dot = current.find('.');
    if (dot == std::string_view::npos) return core::Ok();
    current.remove_prefix(dot + 1);
  }
}

}  // namespace flint::va
