#include "bench/loadgen/csr.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/openssl.h"

namespace flint::bench {

namespace {

using core::OsslDeleter;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "loadgen: CSR: %s failed\n", what);
  std::abort();
}

void Check(int ok, const char* what) {
  if (ok <= 0) Die(what);
}

// subjectAltName as a GENERAL_NAMES structure, so no name passes through a config parser.
void AddSubjectAltNames(X509_REQ* req, const std::vector<std::string>& dns_names) {
  std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>> names(GENERAL_NAMES_new());
  for (const std::string& n : dns_names) {
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    Check(ASN1_STRING_set(ia5, n.data(), static_cast<int>(n.size())), "ASN1_STRING_set");
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    Check(sk_GENERAL_NAME_push(names.get(), gn), "sk_GENERAL_NAME_push");
  }
  X509_EXTENSION* ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get());
  if (ext == nullptr) Die("X509V3_EXT_i2d");
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  Check(sk_X509_EXTENSION_push(exts, ext), "sk_X509_EXTENSION_push");
  Check(X509_REQ_add_extensions(req, exts), "X509_REQ_add_extensions");  // copies them
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

// The SubjectPublicKeyInfo from the key's point, set field by field: X509_REQ_set_pubkey goes
// through OpenSSL 3.0's encoder machinery, which alone cost a third of this load generator's
// CPU per certificate.
void SetP256PublicKey(X509_REQ* req, EVP_PKEY* key) {
  unsigned char point[65];
  size_t len = 0;
  Check(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &len),
        "EVP_PKEY_get_octet_string_param");
  auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(point, len));
  if (copy == nullptr) Die("OPENSSL_memdup");
  Check(X509_PUBKEY_set0_param(X509_REQ_get_X509_PUBKEY(req), OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
                               V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1), copy,
                               static_cast<int>(len)),
        "X509_PUBKEY_set0_param");
}

}  // namespace

std::string MakeP256CsrDer(const std::vector<std::string>& dns_names) {
  std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) Die("EVP_PKEY_Q_keygen");
  std::unique_ptr<X509_REQ, OsslDeleter<X509_REQ_free>> req(X509_REQ_new());
  Check(X509_REQ_set_version(req.get(), 0), "X509_REQ_set_version");
  X509_NAME* subject = X509_REQ_get_subject_name(req.get());
  const std::string& cn = dns_names.front();
  Check(X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.data()),
                                   static_cast<int>(cn.size()), -1, 0),
        "X509_NAME_add_entry_by_NID");
  AddSubjectAltNames(req.get(), dns_names);
  SetP256PublicKey(req.get(), key.get());
  Check(X509_REQ_sign(req.get(), key.get(), EVP_sha256()), "X509_REQ_sign");
  int len = i2d_X509_REQ(req.get(), nullptr);
  Check(len, "i2d_X509_REQ");
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  Check(i2d_X509_REQ(req.get(), &p), "i2d_X509_REQ");
  return der;
}

}  // namespace flint::bench
