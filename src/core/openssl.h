#pragma once
// RAII owners for OpenSSL 3.0 objects, shared by every module that holds them (jose, ca, and
// their tests): std::unique_ptr with a deleter that calls the type's OpenSSL free function.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string_view>

#include "core/result.h"

namespace flint::core {

// Deleter calling an OpenSSL free function: std::unique_ptr<X509, OsslDeleter<X509_free>>.
template <auto FreeFn>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};

using UniquePkey = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using UniquePkeyCtx = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using UniqueMdCtx = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using UniqueBignum = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using UniqueParamBld = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using UniqueParams = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;
using UniqueEcdsaSig = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;
using UniqueX509 = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using UniqueX509Req = std::unique_ptr<X509_REQ, OsslDeleter<X509_REQ_free>>;
using UniqueX509Name = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME_free>>;
using UniqueGeneralNames = std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>>;
using UniqueBio = std::unique_ptr<BIO, OsslDeleter<BIO_free_all>>;
using UniqueAsn1Time = std::unique_ptr<ASN1_TIME, OsslDeleter<ASN1_TIME_free>>;

// An EC public key from its SEC 1 point (`point`, compressed or not) on the named curve
// `group_name` (OpenSSL's name, e.g. "prime256v1"). The import rejects a point off the curve and
// the quick public check (~1 µs, unlike the full check's ~100 µs) the point at infinity; both
// are kBadPublicKey ("EC point is not on the curve", "EC public key failed validation"). Leaves
// OpenSSL's error queue empty.
[[nodiscard]] Result<UniquePkey> EcPublicKeyFromPoint(const char* group_name,
                                                      std::string_view point);

}  // namespace flint::core
