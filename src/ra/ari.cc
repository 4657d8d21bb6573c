// RFC 9773 ACME Renewal Information: CertIDs, suggested windows, and newOrder's `replaces`.
#include "ra/ari.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/openssl_util.h"
#include "jose/base64url.h"
#include "ra/ra.h"

namespace flint::ra {

using core::Err;
using core::ErrorType;

namespace {

std::string HexDecode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  if (hex.size() % 2 != 0) return out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string OctetString(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

}  // namespace

core::Result<CertId> ParseCertId(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.find('.', dot + 1) != std::string_view::npos)
    return Err(ErrorType::kMalformed, "an ARI CertID is keyIdentifier \".\" serial (RFC 9773)");
  auto aki = jose::Base64UrlDecode(text.substr(0, dot));
  auto serial = jose::Base64UrlDecode(text.substr(dot + 1));
  if (!aki.ok() || !serial.ok() || aki->empty() || serial->empty())
    return Err(ErrorType::kMalformed, "ARI CertID parts must be non-empty unpadded base64url");
  const auto first = static_cast<unsigned char>((*serial)[0]);
  if ((first & 0x80) != 0)
    return Err(ErrorType::kMalformed, "ARI CertID serial is not a positive INTEGER");
  if (first == 0 && (serial->size() == 1 || (static_cast<unsigned char>((*serial)[1]) & 0x80) == 0))
    return Err(ErrorType::kMalformed, "ARI CertID serial is not minimally encoded");
  return CertId{std::move(aki).value(), std::move(serial).value()};
}

std::string FormatCertId(const CertId& id) {
  return jose::Base64UrlEncode(id.key_identifier) + "." + jose::Base64UrlEncode(id.serial);
}

core::Result<CertId> CertIdOf(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ca::UniqueX509 cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return Err(ErrorType::kMalformed, "not a DER certificate");
  CertId id;
  id.key_identifier = OctetString(X509_get0_authority_key_id(cert.get()));
  if (id.key_identifier.empty())
    return Err(ErrorType::kMalformed, "certificate has no authority key identifier");
  FLINT_ASSIGN_OR_RETURN(std::string serial_hex,
                         ca::SerialToHex(X509_get0_serialNumber(cert.get())));
  id.serial = HexDecode(serial_hex);
  return id;
}

RenewalWindow SuggestedWindow(const core::Certificate& cert, core::TimePoint now) {
  if (cert.revoked) return {now - std::chrono::hours(2), now - std::chrono::hours(1)};
  const auto validity = cert.not_after - cert.not_before;
  return {cert.not_before + validity * 2 / 3, cert.not_before + validity * 3 / 4};
}

Result<RenewalInfo> RegistrationAuthority::GetRenewalInfo(std::string_view cert_id) {
  FLINT_ASSIGN_OR_RETURN(CertId id, ParseCertId(cert_id));
  if (id.key_identifier != ca_.IssuerKeyIdentifier())
    return Err(ErrorType::kNotFound, "no certificate with this CertID was issued here");
  auto cert = store_.GetCertificateBySerial(ca::HexEncode(id.serial));
  if (!cert.ok()) {
    if (cert.error().type == ErrorType::kNotFound)
      return Err(ErrorType::kNotFound, "no certificate with this CertID was issued here");
    return std::move(cert).error();
  }
  return RenewalInfo{SuggestedWindow(*cert, clock_.Now()), options_.renewal_info_retry_after};
}

Result<std::string> RegistrationAuthority::CheckReplaces(
    const core::Account& account, const std::vector<core::Identifier>& identifiers,
    const std::string& replaces) {
  FLINT_ASSIGN_OR_RETURN(CertId id, ParseCertId(replaces));
  core::Error unknown =
      Err(ErrorType::kMalformed, "\"replaces\" names no certificate issued by this CA");
  if (id.key_identifier != ca_.IssuerKeyIdentifier()) return unknown;
  auto cert = store_.GetCertificateBySerial(ca::HexEncode(id.serial));
  if (!cert.ok()) {
    if (cert.error().type == ErrorType::kNotFound) return unknown;
    return std::move(cert).error();
  }
  if (cert->account_id != account.id)
    return Err(ErrorType::kUnauthorized,
               "the certificate named by \"replaces\" belongs to another account");
  FLINT_ASSIGN_OR_RETURN(core::Order old_order, store_.GetOrder(cert->order_id));
  bool shared = false;
  for (const core::Identifier& a : identifiers)
    for (const core::Identifier& b : old_order.identifiers) shared = shared || a == b;
  if (!shared)
    return Err(ErrorType::kMalformed,
               "the order shares no identifier with the certificate it replaces (RFC 9773 §5)");
  return FormatCertId(id);
}

}  // namespace flint::ra
