#pragma once
// Plain value types for ACME resources (RFC 8555 §7.1) and strong ids. No behaviour beyond the
// pure state rules in status.h; modules pass these by value.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace flint::core {

// A distinct integer id type per resource kind, so an OrderId never passes as an AccountId.
template <typename Tag>
struct StrongId {
  int64_t value = 0;
  constexpr StrongId() = default;
  constexpr explicit StrongId(int64_t v) : value(v) {}
  friend constexpr bool operator==(StrongId a, StrongId b) { return a.value == b.value; }
  friend constexpr auto operator<=>(StrongId a, StrongId b) { return a.value <=> b.value; }
};

using AccountId = StrongId<struct AccountTag>;
using OrderId = StrongId<struct OrderTag>;
using AuthzId = StrongId<struct AuthzTag>;
using ChallengeId = StrongId<struct ChallengeTag>;
using CertificateId = StrongId<struct CertificateTag>;

// RFC 8555 §7.1.2
enum class AccountStatus { kValid, kDeactivated, kRevoked };

struct Account {
  AccountId id;
  AccountStatus status = AccountStatus::kValid;
  std::vector<std::string> contacts;  // "mailto:..." URIs
  std::string jwk_json;               // canonical public JWK (RFC 7638 member order)
  std::string jwk_thumbprint;         // base64url SHA-256 RFC 7638 thumbprint, unique per account
  bool terms_of_service_agreed = false;
  std::string eab_key_id;  // empty when no external account binding
  TimePoint created_at;
};

// RFC 8555 §9.7.7 identifier types (dns) and RFC 8738 (ip).
enum class IdentifierType { kDns, kIp };

struct Identifier {
  IdentifierType type = IdentifierType::kDns;
  std::string value;
  friend bool operator==(const Identifier&, const Identifier&) = default;
};

// RFC 8555 §7.1.6
enum class OrderStatus { kPending, kReady, kProcessing, kValid, kInvalid };
enum class AuthzStatus { kPending, kValid, kInvalid, kDeactivated, kExpired, kRevoked };
enum class ChallengeStatus { kPending, kProcessing, kValid, kInvalid };
// kDnsAccount01: draft-ietf-acme-dns-account-label-01 (dns-account-01).
enum class ChallengeType { kHttp01, kDns01, kTlsAlpn01, kDnsAccount01 };
// Every ChallengeType, in the order above: the one list of them (metrics, storage, the
// perspective wire format and configuration iterate it).
inline constexpr ChallengeType kAllChallengeTypes[] = {
    ChallengeType::kHttp01, ChallengeType::kDns01, ChallengeType::kTlsAlpn01,
    ChallengeType::kDnsAccount01};

// RFC 5280 §4.2.1.3 KeyUsage bits an end-entity certificate may carry; the value is the bit
// number. keyCertSign (5) and cRLSign (6) are absent on purpose: a leaf never signs certificates
// or CRLs. So are encipherOnly and decipherOnly (7, 8), which only qualify keyAgreement for
// Diffie-Hellman keys, never used in TLS server certificates.
enum class KeyUsage {
  kDigitalSignature = 0,
  kNonRepudiation = 1,  // X.509 (2008) renamed it contentCommitment
  kKeyEncipherment = 2,
  kDataEncipherment = 3,
  kKeyAgreement = 4,
};

struct Challenge {
  ChallengeId id;
  AuthzId authz_id;
  ChallengeType type = ChallengeType::kHttp01;
  ChallengeStatus status = ChallengeStatus::kPending;
  std::string token;  // base64url, 128+ bits of entropy (RFC 8555 §8.1)
  std::optional<TimePoint> validated_at;
  std::optional<Error> error;
};

struct Authorization {
  AuthzId id;
  AccountId account_id;
  Identifier identifier;  // for a wildcard: the base name, with wildcard = true (§7.1.4)
  bool wildcard = false;
  AuthzStatus status = AuthzStatus::kPending;
  TimePoint expires;
  std::vector<Challenge> challenges;
};

struct Order {
  OrderId id;
  AccountId account_id;
  OrderStatus status = OrderStatus::kPending;
  TimePoint expires;
  std::vector<Identifier> identifiers;
  std::optional<TimePoint> not_before;
  std::optional<TimePoint> not_after;
  std::vector<AuthzId> authz_ids;
  std::optional<Error> error;
  std::optional<CertificateId> certificate_id;
  std::string profile;
  std::string replaces;  // RFC 9773 ARI CertID of the certificate this order replaces
  TimePoint created_at;
};

struct Certificate {
  CertificateId id;
  AccountId account_id;
  OrderId order_id;
  std::string serial_hex;  // lowercase hex, no leading zeros stripped beyond DER encoding
  std::string der;         // leaf certificate, DER
  std::string chain_pem;   // leaf then issuer chain, PEM
  TimePoint not_before;
  TimePoint not_after;
  bool revoked = false;
  int revocation_reason = 0;
  std::optional<TimePoint> revoked_at;
};

std::string_view ToString(AccountStatus s);
std::string_view ToString(OrderStatus s);
std::string_view ToString(AuthzStatus s);
std::string_view ToString(ChallengeStatus s);
std::string_view ToString(ChallengeType t);
std::string_view ToString(IdentifierType t);
// The RFC 5280 ASN.1 name, as OpenSSL also spells it ("digitalSignature", "keyEncipherment").
std::string_view ToString(KeyUsage u);
// The inverse of ToString(KeyUsage), also accepting "contentCommitment" for kNonRepudiation;
// std::nullopt for any other name (keyCertSign, cRLSign, encipherOnly, decipherOnly included).
std::optional<KeyUsage> KeyUsageFromString(std::string_view name);

// The inverse of ToString(ChallengeType) ("http-01", ...); std::nullopt for any other name.
std::optional<ChallengeType> ChallengeTypeFromString(std::string_view name);

}  // namespace flint::core

template <typename Tag>
struct std::hash<flint::core::StrongId<Tag>> {
  size_t operator()(flint::core::StrongId<Tag> id) const noexcept {
    return std::hash<int64_t>()(id.value);
  }
};
