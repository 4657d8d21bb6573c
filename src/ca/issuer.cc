#include "ca/issuer.h"

#include <openssl/bn.h>
#include <openssl/err.h>

#include <algorithm>
#include <chrono>

#include "ca/openssl_util.h"
#include "ca/raw_asn1.h"
#include "ca/x509_ext.h"

namespace flint::ca {
namespace {

constexpr size_t kSerialBytes = 16;    // 128 bits, BR §7.1 asks for at least 64 random bits
constexpr size_t kMaxCommonName = 64;  // RFC 5280 Appendix A ub-common-name
constexpr int kSerialAttempts = 8;

bool IsLdhLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

core::TimePoint FloorSeconds(core::TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

// SAN entries in request order, and the subject CN (empty for none).
struct Names {
  UniqueGeneralNames san;
  std::string common_name;
};

core::Result<Names> BuildNames(const IssueRequest& request) {
  Names names{UniqueGeneralNames(GENERAL_NAMES_new()), ""};
  if (!names.san) return OpenSslError("GENERAL_NAMES_new");
  bool first_dns = true;
  for (size_t i = 0; i < request.identifiers.size(); ++i) {
    const core::Identifier& id = request.identifiers[i];
    for (size_t j = 0; j < i; ++j) {
      if (request.identifiers[j] == id) {
        return core::Err(core::ErrorType::kInternal, "duplicate identifier " + id.value);
      }
    }
    GENERAL_NAME* gn = nullptr;
    if (id.type == core::IdentifierType::kDns) {
      if (!IsIssuableDnsName(id.value)) {
        return core::Err(core::ErrorType::kRejectedIdentifier,
                         "not an issuable DNS name: \"" + id.value + "\"");
      }
      if (first_dns && request.include_cn && id.value.size() <= kMaxCommonName) {
        names.common_name = id.value;
      }
      first_dns = false;
      gn = NewDnsName(id.value);
    } else {
      std::string bytes = IpTextToBytes(id.value);
      if (bytes.empty()) {
        return core::Err(core::ErrorType::kRejectedIdentifier,
                         "not an IP address literal: \"" + id.value + "\"");
      }
      gn = NewIpName(bytes);
    }
    if (gn == nullptr || sk_GENERAL_NAME_push(names.san.get(), gn) <= 0) {
      GENERAL_NAME_free(gn);
      return OpenSslError("subjectAltName entry");
    }
  }
  return names;
}

// KU_* flags for the usages in `wanted` that `key`'s algorithm can do (IssueRequest::key_usages).
core::Result<int> KeyUsageBits(const std::vector<core::KeyUsage>& wanted, EVP_PKEY* key) {
  using core::KeyUsage;
  const bool rsa = EVP_PKEY_is_a(key, "RSA");
  const bool ec = EVP_PKEY_is_a(key, "EC");
  int bits = 0;
  for (KeyUsage u : wanted) {
    switch (u) {
      case KeyUsage::kDigitalSignature: bits |= KU_DIGITAL_SIGNATURE; break;
      case KeyUsage::kNonRepudiation: bits |= KU_NON_REPUDIATION; break;
      // Key transport: RSA only (BR §7.1.2.7.11; RFC 8813 §3 forbids both for EC keys).
      case KeyUsage::kKeyEncipherment: bits |= rsa ? KU_KEY_ENCIPHERMENT : 0; break;
      case KeyUsage::kDataEncipherment: bits |= rsa ? KU_DATA_ENCIPHERMENT : 0; break;
      // ECDH: EC only (RFC 3279 §2.3.1 leaves it out for RSA, RFC 8410 §5 for EdDSA).
      case KeyUsage::kKeyAgreement: bits |= ec ? KU_KEY_AGREEMENT : 0; break;
    }
  }
  // RFC 5280 §4.2.1.3: at least one bit must be set.
  if (bits == 0) return core::Err(core::ErrorType::kInternal, "no key usage fits the key");
  return bits;
}

}  // namespace

bool IsIssuableDnsName(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253) return false;
  while (true) {
    size_t dot = name.find('.');
    if (!IsLdhLabel(name.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

Issuer::Issuer(std::shared_ptr<const Signer> signer, std::shared_ptr<X509> issuer_cert,
               std::string issuer_chain_pem, core::Random& random)
    : signer_(std::move(signer)),
      issuer_cert_(std::move(issuer_cert)),
      issuer_chain_pem_(std::move(issuer_chain_pem)),
      random_(random),
      issuer_not_after_(core::TimePoint::min()) {
  // Fill OpenSSL's cached extension data (SKI etc.) once, before any concurrent reader.
  X509_check_purpose(issuer_cert_.get(), -1, 0);
  auto not_after = FromAsn1Time(X509_get0_notAfter(issuer_cert_.get()));
  if (not_after.ok()) issuer_not_after_ = *not_after;
  ERR_clear_error();
}

core::Result<std::string> Issuer::NewSerial(ASN1_INTEGER* serial) const {
  for (int attempt = 0; attempt < kSerialAttempts; ++attempt) {
    std::string bytes = random_.Bytes(kSerialBytes);
    if (bytes.size() != kSerialBytes) break;
    // RFC 5280 §4.1.2.2: positive and non-zero. Clearing the top bit keeps the DER INTEGER
    // within 16 octets.
    bytes[0] = static_cast<char>(static_cast<unsigned char>(bytes[0]) & 0x7f);
    UniqueBignum bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                              static_cast<int>(bytes.size()), nullptr));
    if (!bn) return OpenSslError("BN_bin2bn");
    if (BN_is_zero(bn.get())) continue;
    if (BN_to_ASN1_INTEGER(bn.get(), serial) == nullptr) return OpenSslError("serial");
    return SerialToHex(serial);
  }
  return core::Err(core::ErrorType::kInternal, "random source gave no usable serial");
}

core::Result<void> Issuer::SetNamesAndExtensions(X509* cert, const IssueRequest& request) const {
  FLINT_ASSIGN_OR_RETURN(Names names, BuildNames(request));
  if (!names.common_name.empty()) {
    X509_NAME* subject = X509_get_subject_name(cert);
    if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(names.common_name.data()),
                                   static_cast<int>(names.common_name.size()), -1, 0) != 1) {
      return OpenSslError("subject commonName");
    }
  }
  // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical.
  FLINT_TRY(AddSubjectAltNames(cert, names.san.get(), names.common_name.empty()));
  FLINT_ASSIGN_OR_RETURN(int key_usage, KeyUsageBits(request.key_usages, request.public_key));
  FLINT_TRY(AddKeyUsage(cert, key_usage));
  FLINT_TRY(AddBasicConstraints(cert, /*is_ca=*/false));
  std::vector<int> eku = {NID_server_auth};
  if (request.include_client_auth) eku.push_back(NID_client_auth);
  FLINT_TRY(AddExtendedKeyUsage(cert, eku));
  FLINT_TRY(AddSubjectKeyId(cert));
  FLINT_TRY(AddAuthorityKeyId(cert, issuer_cert_.get()));
  FLINT_TRY(AddAuthorityInfoAccess(cert, request.ocsp_url, request.aia_issuer_url));
  if (!request.crl_url.empty()) FLINT_TRY(AddCrlDistributionPoint(cert, request.crl_url));
  return core::Ok();
}

namespace {

// Copies the algorithm, its parameters and the key bits of the DER SubjectPublicKeyInfo
// `spki_der` into `cert`: the same DER as X509_set_pubkey would produce for the same key,
// without decoding or encoding the key itself.
core::Result<void> CopySubjectPublicKeyInfo(X509* cert, std::string_view spki_der) {
  UniqueRawSpki spki = DecodeRawSpki(spki_der);
  if (!spki || spki->public_key->length <= 0) {
    return core::Err(core::ErrorType::kInternal, "the request's public key is malformed");
  }
  const ASN1_OBJECT* algorithm = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param_value = nullptr;
  X509_ALGOR_get0(&algorithm, &param_type, &param_value, spki->algorithm);
  const unsigned char* bits = spki->public_key->data;
  const int bits_len = spki->public_key->length;
  void* param = nullptr;
  switch (param_type) {
    case V_ASN1_UNDEF:
    case V_ASN1_NULL:
      break;
    case V_ASN1_OBJECT:  // an EC named curve
      param = OBJ_dup(static_cast<const ASN1_OBJECT*>(param_value));
      if (param == nullptr) return OpenSslError("copying key parameters");
      break;
    case V_ASN1_SEQUENCE:  // explicit parameters (RSA-PSS, explicit curves)
      param = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(param_value));
      if (param == nullptr) return OpenSslError("copying key parameters");
      break;
    default:
      return core::Err(core::ErrorType::kInternal, "the request's key parameters are unsupported");
  }
  ASN1_OBJECT* oid = OBJ_dup(algorithm);
  auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(bits, static_cast<size_t>(bits_len)));
  if (oid == nullptr || copy == nullptr ||
      X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), oid, param_type, param, copy, bits_len) !=
          1) {
    ASN1_OBJECT_free(oid);
    OPENSSL_free(copy);
    if (param_type == V_ASN1_OBJECT) ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(param));
    if (param_type == V_ASN1_SEQUENCE) ASN1_STRING_free(static_cast<ASN1_STRING*>(param));
    return OpenSslError("setting the certificate's public key");
  }
  return core::Ok();
}

}  // namespace

core::Result<IssuedCertificate> Issuer::Issue(const IssueRequest& request) const {
  // Step 1: refuse malformed requests; policy has already been applied by the RA.
  if (request.identifiers.empty()) {
    return core::Err(core::ErrorType::kInternal, "issue request has no identifiers");
  }
  if (request.public_key == nullptr) {
    return core::Err(core::ErrorType::kInternal, "issue request has no public key");
  }
  IssuedCertificate out;
  out.not_before = FloorSeconds(request.not_before);
  out.not_after = FloorSeconds(request.not_after);
  if (out.not_after <= out.not_before) {
    return core::Err(core::ErrorType::kInternal, "notAfter is not after notBefore");
  }
  if (out.not_after > issuer_not_after_) {
    return core::Err(core::ErrorType::kInternal,
                     "notAfter is beyond the issuer certificate's notAfter");
  }

  // Step 2: the to-be-signed certificate.
  UniqueX509 cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("X509_new");
  FLINT_ASSIGN_OR_RETURN(out.serial_hex, NewSerial(X509_get_serialNumber(cert.get())));
  FLINT_ASSIGN_OR_RETURN(UniqueAsn1Time not_before, ToAsn1Time(out.not_before));
  FLINT_ASSIGN_OR_RETURN(UniqueAsn1Time not_after, ToAsn1Time(out.not_after));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert_.get())) != 1 ||
      X509_set1_notBefore(cert.get(), not_before.get()) != 1 ||
      X509_set1_notAfter(cert.get(), not_after.get()) != 1) {
    return OpenSslError("building certificate");
  }
  if (!request.spki_der.empty()) {
    FLINT_TRY(CopySubjectPublicKeyInfo(cert.get(), request.spki_der));
  } else if (X509_set_pubkey(cert.get(), request.public_key) != 1) {
    return OpenSslError("setting the certificate's public key");
  }
  FLINT_TRY(SetNamesAndExtensions(cert.get(), request));

  // Step 3: sign, then encode.
  FLINT_TRY(signer_->SignCertificate(cert.get()));
  FLINT_ASSIGN_OR_RETURN(out.der, CertToDer(cert.get()));
  FLINT_ASSIGN_OR_RETURN(std::string leaf_pem, CertToPem(cert.get()));
  out.chain_pem = leaf_pem + issuer_chain_pem_;
  return out;
}

}  // namespace flint::ca
