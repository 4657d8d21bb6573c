#include "core/types.h"

namespace flint::core {

std::string_view ToString(AccountStatus s) {
  switch (s) {
    case AccountStatus::kValid: return "valid";
    case AccountStatus::kDeactivated: return "deactivated";
    case AccountStatus::kRevoked: return "revoked";
  }
  return "invalid";
}

std::string_view ToString(OrderStatus s) {
  switch (s) {
    case OrderStatus::kPending: return "pending";
    case OrderStatus::kReady: return "ready";
    case OrderStatus::kProcessing: return "processing";
    case OrderStatus::kValid: return "valid";
    case OrderStatus::kInvalid: return "invalid";
  }
  return "invalid";
}

std::string_view ToString(AuthzStatus s) {
  switch (s) {
    case AuthzStatus::kPending: return "pending";
    case AuthzStatus::kValid: return "valid";
    case AuthzStatus::kInvalid: return "invalid";
    case AuthzStatus::kDeactivated: return "deactivated";
    case AuthzStatus::kExpired: return "expired";
    case AuthzStatus::kRevoked: return "revoked";
  }
  return "invalid";
}

std::string_view ToString(ChallengeStatus s) {
  switch (s) {
    case ChallengeStatus::kPending: return "pending";
    case ChallengeStatus::kProcessing: return "processing";
    case ChallengeStatus::kValid: return "valid";
    case ChallengeStatus::kInvalid: return "invalid";
  }
  return "invalid";
}

std::string_view ToString(ChallengeType t) {
  switch (t) {
    case ChallengeType::kHttp01: return "http-01";
    case ChallengeType::kDns01: return "dns-01";
    case ChallengeType::kTlsAlpn01: return "tls-alpn-01";
    case ChallengeType::kDnsAccount01: return "dns-account-01";
  }
  return "";
}

std::string_view ToString(IdentifierType t) {
  return t == IdentifierType::kDns ? "dns" : "ip";
}

std::string_view ToString(KeyUsage u) {
  switch (u) {
    case KeyUsage::kDigitalSignature: return "digitalSignature";
    case KeyUsage::kNonRepudiation: return "nonRepudiation";
    case KeyUsage::kKeyEncipherment: return "keyEncipherment";
    case KeyUsage::kDataEncipherment: return "dataEncipherment";
    case KeyUsage::kKeyAgreement: return "keyAgreement";
  }
  return "";
}

std::optional<ChallengeType> ChallengeTypeFromString(std::string_view name) {
  for (ChallengeType t : kAllChallengeTypes)
    if (name == ToString(t)) return t;
  return std::nullopt;
}

std::optional<KeyUsage> KeyUsageFromString(std::string_view name) {
  for (KeyUsage u : {KeyUsage::kDigitalSignature, KeyUsage::kNonRepudiation,
                     KeyUsage::kKeyEncipherment, KeyUsage::kDataEncipherment,
                     KeyUsage::kKeyAgreement}) {
    if (name == ToString(u)) return u;
  }
  if (name == "contentCommitment") return KeyUsage::kNonRepudiation;
  return std::nullopt;
}

}  // namespace flint::core
