#include "ca/x509_ext.h"

#include <openssl/evp.h>

#include <memory>

#include "ca/openssl_util.h"

namespace flint::ca {
namespace {

using UniqueBasicConstraints =
    std::unique_ptr<BASIC_CONSTRAINTS, OsslDeleter<BASIC_CONSTRAINTS_free>>;
using UniqueBitString = std::unique_ptr<ASN1_BIT_STRING, OsslDeleter<ASN1_BIT_STRING_free>>;
using UniqueOctetString = std::unique_ptr<ASN1_OCTET_STRING, OsslDeleter<ASN1_OCTET_STRING_free>>;
using UniqueEku = std::unique_ptr<EXTENDED_KEY_USAGE, OsslDeleter<EXTENDED_KEY_USAGE_free>>;
using UniqueAkid = std::unique_ptr<AUTHORITY_KEYID, OsslDeleter<AUTHORITY_KEYID_free>>;
using UniqueAia = std::unique_ptr<AUTHORITY_INFO_ACCESS, OsslDeleter<AUTHORITY_INFO_ACCESS_free>>;
using UniqueDistPoints = std::unique_ptr<CRL_DIST_POINTS, OsslDeleter<CRL_DIST_POINTS_free>>;
using UniqueGeneralName = std::unique_ptr<GENERAL_NAME, OsslDeleter<GENERAL_NAME_free>>;

core::Result<void> AddExt(X509* cert, int nid, void* value, bool critical, const char* what) {
  if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_REPLACE) != 1) {
    return OpenSslError(std::string("adding ") + what);
  }
  return core::Ok();
}

GENERAL_NAME* NewIa5Name(int type, std::string_view value) {
  UniqueGeneralName name(GENERAL_NAME_new());
  ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
  if (!name || ia5 == nullptr ||
      ASN1_STRING_set(ia5, value.data(), static_cast<int>(value.size())) != 1) {
    ASN1_IA5STRING_free(ia5);
    return nullptr;
  }
  GENERAL_NAME_set0_value(name.get(), type, ia5);
  return name.release();
}

}  // namespace

GENERAL_NAME* NewDnsName(std::string_view name) { return NewIa5Name(GEN_DNS, name); }

GENERAL_NAME* NewUriName(std::string_view uri) { return NewIa5Name(GEN_URI, uri); }

GENERAL_NAME* NewIpName(std::string_view bytes) {
  UniqueGeneralName name(GENERAL_NAME_new());
  ASN1_OCTET_STRING* ip = ASN1_OCTET_STRING_new();
  if (!name || ip == nullptr ||
      ASN1_OCTET_STRING_set(ip, reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size())) != 1) {
    ASN1_OCTET_STRING_free(ip);
    return nullptr;
  }
  GENERAL_NAME_set0_value(name.get(), GEN_IPADD, ip);
  return name.release();
}

core::Result<void> AddBasicConstraints(X509* cert, bool is_ca, int path_len) {
  UniqueBasicConstraints bc(BASIC_CONSTRAINTS_new());
  if (!bc) return OpenSslError("BASIC_CONSTRAINTS_new");
  // DER (X.690 §11.5): cA FALSE is the DEFAULT and must be omitted, hence 0 rather than a value.
  bc->ca = is_ca ? 0xff : 0;
  if (is_ca && path_len >= 0) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, path_len) != 1) {
      return OpenSslError("pathLenConstraint");
    }
  }
  return AddExt(cert, NID_basic_constraints, bc.get(), true, "basicConstraints");
}

core::Result<void> AddKeyUsage(X509* cert, int bits) {
  UniqueBitString ku(ASN1_BIT_STRING_new());
  if (!ku) return OpenSslError("ASN1_BIT_STRING_new");
  // RFC 5280 §4.2.1.3 bit numbers.
  const std::pair<int, int> kBits[] = {
      {KU_DIGITAL_SIGNATURE, 0}, {KU_NON_REPUDIATION, 1}, {KU_KEY_ENCIPHERMENT, 2},
      {KU_DATA_ENCIPHERMENT, 3}, {KU_KEY_AGREEMENT, 4},   {KU_KEY_CERT_SIGN, 5},
      {KU_CRL_SIGN, 6}};
  for (const auto& [flag, bit] : kBits) {
    if ((bits & flag) != 0 && ASN1_BIT_STRING_set_bit(ku.get(), bit, 1) != 1) {
      return OpenSslError("keyUsage bit");
    }
  }
  return AddExt(cert, NID_key_usage, ku.get(), true, "keyUsage");
}

core::Result<void> AddExtendedKeyUsage(X509* cert, const std::vector<int>& nids) {
  UniqueEku eku(sk_ASN1_OBJECT_new_null());
  if (!eku) return OpenSslError("EXTENDED_KEY_USAGE");
  for (int nid : nids) {
    ASN1_OBJECT* obj = OBJ_nid2obj(nid);  // a static object; freeing it is a no-op
    if (obj == nullptr || sk_ASN1_OBJECT_push(eku.get(), obj) <= 0) {
      return OpenSslError("extendedKeyUsage");
    }
  }
  return AddExt(cert, NID_ext_key_usage, eku.get(), false, "extendedKeyUsage");
}

core::Result<void> AddSubjectKeyId(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1) return OpenSslError("key id digest");
  UniqueOctetString ski(ASN1_OCTET_STRING_new());
  if (!ski || ASN1_OCTET_STRING_set(ski.get(), md, static_cast<int>(len)) != 1) {
    return OpenSslError("subjectKeyIdentifier");
  }
  return AddExt(cert, NID_subject_key_identifier, ski.get(), false, "subjectKeyIdentifier");
}

core::Result<void> AddAuthorityKeyId(X509* cert, X509* issuer) {
  const ASN1_OCTET_STRING* issuer_ski = X509_get0_subject_key_id(issuer);
  if (issuer_ski == nullptr) {
    return core::Err(core::ErrorType::kInternal, "issuer certificate has no subjectKeyIdentifier");
  }
  UniqueAkid akid(AUTHORITY_KEYID_new());
  if (!akid) return OpenSslError("AUTHORITY_KEYID_new");
  akid->keyid = ASN1_OCTET_STRING_dup(issuer_ski);
  if (akid->keyid == nullptr) return OpenSslError("authorityKeyIdentifier");
  return AddExt(cert, NID_authority_key_identifier, akid.get(), false, "authorityKeyIdentifier");
}

core::Result<void> AddSubjectAltNames(X509* cert, GENERAL_NAMES* names, bool critical) {
  return AddExt(cert, NID_subject_alt_name, names, critical, "subjectAltName");
}

core::Result<void> AddAuthorityInfoAccess(X509* cert, std::string_view ocsp_url,
                                          std::string_view ca_issuers_url) {
  if (ocsp_url.empty() && ca_issuers_url.empty()) return core::Ok();
  UniqueAia aia(sk_ACCESS_DESCRIPTION_new_null());
  if (!aia) return OpenSslError("AUTHORITY_INFO_ACCESS");
  const std::pair<int, std::string_view> kEntries[] = {{NID_ad_OCSP, ocsp_url},
                                                       {NID_ad_ca_issuers, ca_issuers_url}};
  for (const auto& [nid, url] : kEntries) {
    if (url.empty()) continue;
    ACCESS_DESCRIPTION* ad = ACCESS_DESCRIPTION_new();
    if (ad == nullptr) return OpenSslError("ACCESS_DESCRIPTION_new");
    if (sk_ACCESS_DESCRIPTION_push(aia.get(), ad) <= 0) {
      ACCESS_DESCRIPTION_free(ad);
      return OpenSslError("authorityInfoAccess");
    }
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(nid);
    GENERAL_NAME_free(ad->location);
    ad->location = NewUriName(url);
    if (ad->method == nullptr || ad->location == nullptr) return OpenSslError("access description");
  }
  return AddExt(cert, NID_info_access, aia.get(), false, "authorityInfoAccess");
}

core::Result<void> AddCrlDistributionPoint(X509* cert, std::string_view url) {
  UniqueDistPoints points(sk_DIST_POINT_new_null());
  DIST_POINT* point = DIST_POINT_new();
  if (!points || point == nullptr || sk_DIST_POINT_push(points.get(), point) <= 0) {
    DIST_POINT_free(point);
    return OpenSslError("CRL_DIST_POINTS");
  }
  point->distpoint = DIST_POINT_NAME_new();
  if (point->distpoint == nullptr) return OpenSslError("DIST_POINT_NAME_new");
  point->distpoint->type = 0;  // fullName
  point->distpoint->name.fullname = GENERAL_NAMES_new();
  GENERAL_NAME* uri = NewUriName(url);
  if (point->distpoint->name.fullname == nullptr || uri == nullptr ||
      sk_GENERAL_NAME_push(point->distpoint->name.fullname, uri) <= 0) {
    GENERAL_NAME_free(uri);
    return OpenSslError("distribution point name");
  }
  return AddExt(cert, NID_crl_distribution_points, points.get(), false, "cRLDistributionPoints");
}

}  // namespace flint::ca
