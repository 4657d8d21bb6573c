#include "ca/crl.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <chrono>

#include "ca/openssl_util.h"

namespace flint::ca {
namespace {

using UniqueCrl = std::unique_ptr<X509_CRL, OsslDeleter<X509_CRL_free>>;
using UniqueRevoked = std::unique_ptr<X509_REVOKED, OsslDeleter<X509_REVOKED_free>>;
using UniqueInteger = std::unique_ptr<ASN1_INTEGER, OsslDeleter<ASN1_INTEGER_free>>;
using UniqueEnumerated = std::unique_ptr<ASN1_ENUMERATED, OsslDeleter<ASN1_ENUMERATED_free>>;
using UniqueAkid = std::unique_ptr<AUTHORITY_KEYID, OsslDeleter<AUTHORITY_KEYID_free>>;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsCrlReason(int reason) { return reason >= 0 && reason <= 10 && reason != 7; }

core::Result<void> AddEntry(X509_CRL* crl, const CrlEntry& e) {
  if (!IsCrlReason(e.reason))
    return core::Err(core::ErrorType::kInternal, "CRL reason " + std::to_string(e.reason));
  UniqueInteger serial(SerialFromHex(e.serial_hex));
  if (!serial) return core::Err(core::ErrorType::kInternal, "bad serial " + e.serial_hex);
  FLINT_ASSIGN_OR_RETURN(UniqueAsn1Time date,
                         ToAsn1Time(std::chrono::floor<std::chrono::seconds>(e.revocation_date)));
  UniqueRevoked revoked(X509_REVOKED_new());
  if (!revoked || X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(revoked.get(), date.get()) != 1) {
    return OpenSslError("CRL entry");
  }
  if (e.reason != 0) {  // RFC 5280 §5.3.1: unspecified SHOULD be absent
    UniqueEnumerated reason(ASN1_ENUMERATED_new());
    if (!reason || ASN1_ENUMERATED_set(reason.get(), e.reason) != 1 ||
        X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, reason.get(), 0, 0) != 1) {
      return OpenSslError("CRL entry reasonCode");
    }
  }
  if (X509_CRL_add0_revoked(crl, revoked.get()) != 1) return OpenSslError("CRL entry");
  revoked.release();  // owned by the CRL now
  return core::Ok();
}

core::Result<void> AddCrlExtensions(X509_CRL* crl, X509* issuer, int64_t number) {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(issuer);
  if (ski == nullptr)
    return core::Err(core::ErrorType::kInternal, "issuer certificate has no subjectKeyIdentifier");
  UniqueAkid akid(AUTHORITY_KEYID_new());
  if (!akid) return OpenSslError("AUTHORITY_KEYID_new");
  akid->keyid = ASN1_OCTET_STRING_dup(ski);
  if (akid->keyid == nullptr ||
      X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid.get(), 0, 0) != 1) {
    return OpenSslError("CRL authorityKeyIdentifier");
  }
  UniqueInteger n(ASN1_INTEGER_new());
  if (!n || ASN1_INTEGER_set_int64(n.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl, NID_crl_number, n.get(), 0, 0) != 1) {
    return OpenSslError("CRL cRLNumber");
  }
  return core::Ok();
}

}  // namespace

ASN1_INTEGER* SerialFromHex(std::string_view serial_hex) {
  if (serial_hex.empty() || serial_hex.size() % 2 != 0 || serial_hex.size() > 2 * 21) {
    return nullptr;
  }
  // Rebuild the DER INTEGER (tag, short length, content octets) and decode it.
  std::string der = {0x02, static_cast<char>(serial_hex.size() / 2)};
  for (size_t i = 0; i < serial_hex.size(); i += 2) {
    int hi = HexValue(serial_hex[i]), lo = HexValue(serial_hex[i + 1]);
    if (hi < 0 || lo < 0) return nullptr;
    der.push_back(static_cast<char>(hi * 16 + lo));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ASN1_INTEGER* out = d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(der.size()));
  if (out == nullptr) ERR_clear_error();
  return out;
}

CrlIssuer::CrlIssuer(std::shared_ptr<const Signer> signer, std::shared_ptr<X509> issuer_cert)
    : signer_(std::move(signer)), issuer_cert_(std::move(issuer_cert)) {
  X509_check_purpose(issuer_cert_.get(), -1, 0);  // cache SKI before concurrent readers
  ERR_clear_error();
}

core::Result<std::string> CrlIssuer::Issue(const CrlContents& contents) const {
  // Step 1: refuse what would make an invalid CRL.
  if (contents.number <= 0) return core::Err(core::ErrorType::kInternal, "CRL number must be > 0");
  auto this_update = std::chrono::floor<std::chrono::seconds>(contents.this_update);
  auto next_update = std::chrono::floor<std::chrono::seconds>(contents.next_update);
  if (next_update <= this_update)
    return core::Err(core::ErrorType::kInternal, "CRL nextUpdate must be after thisUpdate");

  // Step 2: the TBSCertList.
  UniqueCrl crl(X509_CRL_new());
  FLINT_ASSIGN_OR_RETURN(UniqueAsn1Time last, ToAsn1Time(this_update));
  FLINT_ASSIGN_OR_RETURN(UniqueAsn1Time next, ToAsn1Time(next_update));
  if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer_cert_.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return OpenSslError("building CRL");
  }
  for (const CrlEntry& e : contents.entries) FLINT_TRY(AddEntry(crl.get(), e));
  if (X509_CRL_sort(crl.get()) != 1) return OpenSslError("sorting CRL");
  FLINT_TRY(AddCrlExtensions(crl.get(), issuer_cert_.get(), contents.number));

  // Step 3: sign and encode.
  FLINT_TRY(signer_->SignCrl(crl.get()));
  unsigned char* der = nullptr;
  int len = i2d_X509_CRL(crl.get(), &der);
  if (len <= 0) return OpenSslError("encoding CRL");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace flint::ca
