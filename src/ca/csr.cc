#include "ca/csr.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "ca/openssl_util.h"
#include "ca/raw_asn1.h"
#include "ca/san.h"
#include "core/ascii.h"

namespace flint::ca {
namespace {

void FreeExtensions(STACK_OF(X509_EXTENSION) * exts) {
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}
using UniqueExtensions = std::unique_ptr<STACK_OF(X509_EXTENSION), OsslDeleter<FreeExtensions>>;

// The detail goes to the client (RFC 8555 §7.4 badCSR), so it is ours, never OpenSSL's text.
core::Error BadCsr(std::string detail) {
  ERR_clear_error();
  return core::Err(core::ErrorType::kBadCsr, "CSR " + std::move(detail));
}

void AppendUnique(std::vector<std::string>& out, std::string value) {
  if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
}

core::Result<void> CheckSignature(const RawCsr& req, EVP_PKEY* key) {
  const X509_ALGOR* alg = req.signature_algorithm;
  int md_nid = NID_undef;
  int pk_nid = NID_undef;
  if (alg == nullptr || !OBJ_find_sigid_algs(OBJ_obj2nid(alg->algorithm), &md_nid, &pk_nid)) {
    return BadCsr("signature algorithm is not recognised");
  }
  // Collision-prone digests let a CSR signature be forged for another request.
  if (md_nid == NID_md5 || md_nid == NID_sha1 || md_nid == NID_md4 || md_nid == NID_md2) {
    return BadCsr("signature uses a weak digest (MD5/SHA-1)");
  }
  // Over the CertificationRequestInfo exactly as received (RawCsrInfo keeps its encoding).
  if (ASN1_item_verify(ASN1_ITEM_rptr(RawCsrInfo), req.signature_algorithm, req.signature,
                       req.info, key) != 1) {
    return BadCsr("signature does not verify");
  }
  return core::Ok();
}

// The requested extensions (RFC 2986 §4.1 attribute, RFC 2985 §5.4.2 extensionRequest), or an
// empty stack when the CSR asks for none.
core::Result<UniqueExtensions> RequestedExtensions(const STACK_OF(X509_ATTRIBUTE) * attrs) {
  const X509_ATTRIBUTE* request = nullptr;
  for (int nid : {NID_ext_req, NID_ms_ext_req}) {
    int idx = X509at_get_attr_by_NID(attrs, nid, -1);
    if (idx < 0) continue;
    if (X509at_get_attr_by_NID(attrs, nid, idx) >= 0 || request != nullptr) {
      return BadCsr("has more than one extensionRequest attribute");
    }
    request = X509at_get_attr(attrs, idx);
    if (X509_ATTRIBUTE_count(request) != 1) {
      return BadCsr("extensionRequest attribute must hold exactly one value");
    }
  }
  if (request == nullptr) return UniqueExtensions(sk_X509_EXTENSION_new_null());
  // RFC 2985 §5.4.2: the value is Extensions, a SEQUENCE OF Extension.
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(const_cast<X509_ATTRIBUTE*>(request), 0);
  if (value == nullptr || value->type != V_ASN1_SEQUENCE) {
    return BadCsr("extensionRequest is malformed");
  }
  const unsigned char* p = value->value.sequence->data;
  const long len = value->value.sequence->length;
  UniqueExtensions exts(static_cast<STACK_OF(X509_EXTENSION)*>(
      static_cast<void*>(ASN1_item_d2i(nullptr, &p, len, ASN1_ITEM_rptr(X509_EXTENSIONS)))));
  if (!exts || p != value->value.sequence->data + len) {
    return BadCsr("extensionRequest is malformed");
  }
  return exts;
}

core::Result<void> AddSanName(const GENERAL_NAME* gn, ParsedCsr& out) {
  SanName name = ReadSanName(gn);
  switch (name.kind) {
    case SanName::Kind::kDns:
      if (!IsPrintableDnsName(name.value)) {
        return BadCsr("subjectAltName has an empty or non-printable dNSName");
      }
      AppendUnique(out.dns_names, std::move(name.value));
      return core::Ok();
    case SanName::Kind::kIp:
      if (name.value.empty()) {
        return BadCsr("subjectAltName has an iPAddress that is not 4 or 16 bytes");
      }
      AppendUnique(out.ip_addresses, std::move(name.value));
      return core::Ok();
    case SanName::Kind::kOther:
      break;
  }
  return BadCsr("subjectAltName has an entry that is neither a dNSName nor an iPAddress");
}

core::Result<void> ReadSubjectAltNames(const RawCsr& req, ParsedCsr& out) {
  FLINT_ASSIGN_OR_RETURN(UniqueExtensions exts, RequestedExtensions(req.info->attributes));
  int idx = X509v3_get_ext_by_NID(exts.get(), NID_subject_alt_name, -1);
  if (idx < 0) return core::Ok();
  if (X509v3_get_ext_by_NID(exts.get(), NID_subject_alt_name, idx) >= 0) {
    return BadCsr("has more than one subjectAltName extension");
  }
  UniqueGeneralNames names(
      static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(X509v3_get_ext(exts.get(), idx))));
  if (!names) return BadCsr("subjectAltName is malformed");
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    FLINT_TRY(AddSanName(sk_GENERAL_NAME_value(names.get(), i), out));
  }
  return core::Ok();
}

core::Result<void> ReadCommonName(const RawCsr& req, ParsedCsr& out) {
  const X509_NAME* subject = req.info->subject;
  int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx < 0) return core::Ok();
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, idx) >= 0) {
    return BadCsr("subject has more than one commonName");
  }
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx)));
  if (len < 0) return BadCsr("subject commonName is not a valid string");
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  if (cn.find('\0') != std::string::npos) return BadCsr("subject commonName contains NUL");
  core::AsciiLowerInPlace(cn);
  out.common_name = std::move(cn);
  return core::Ok();
}

}  // namespace

core::Result<ParsedCsr> ParseCsr(std::string_view der) {
  if (der.empty()) return BadCsr("is empty");
  if (der.size() > kMaxCsrBytes) return BadCsr("is larger than 64 KiB");
  // One DER CertificationRequest and nothing after it; the key stays undecoded (raw_asn1.h).
  UniqueRawCsr req = DecodeRawCsr(der);
  if (!req) return BadCsr("is not a DER-encoded PKCS#10 request, or has trailing data");
  if (ASN1_INTEGER_get(req->info->version) != X509_REQ_VERSION_1) {
    return BadCsr("version is not v1");
  }

  ParsedCsr out;
  auto spki_der = EncodeRawSpki(*req->info->spki);
  if (!spki_der.ok()) return BadCsr("public key cannot be encoded");
  out.spki_der = std::move(*spki_der);
  auto key = PublicKeyFromSpki(*req->info->spki, out.spki_der);
  if (!key.ok()) return BadCsr("public key is malformed or of an unsupported type");
  out.public_key = SharePkey(UniquePkey(*key));
  FLINT_TRY(CheckSignature(*req, out.public_key.get()));
  FLINT_TRY(ReadSubjectAltNames(*req, out));
  FLINT_TRY(ReadCommonName(*req, out));
  ERR_clear_error();
  return out;
}

}  // namespace flint::ca
