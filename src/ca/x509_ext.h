#pragma once
// X.509 v3 extension builders (RFC 5280 §4.2). Each builds the ASN.1 structure directly and adds
// it with X509_add1_ext_i2d, so no value ever passes through OpenSSL's config-string parser
// (where a client-chosen name such as "a,DNS:b" could inject extra entries).
// All return kInternal on an OpenSSL failure.

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace flint::ca {

// RFC 5280 §4.2.1.9, always critical. `path_len` < 0 omits pathLenConstraint.
core::Result<void> AddBasicConstraints(X509* cert, bool is_ca, int path_len = -1);

// RFC 5280 §4.2.1.3, always critical. `bits` are KU_* flags from <openssl/x509v3.h>
// (KU_DIGITAL_SIGNATURE, KU_NON_REPUDIATION, KU_KEY_ENCIPHERMENT, KU_DATA_ENCIPHERMENT,
// KU_KEY_AGREEMENT, KU_KEY_CERT_SIGN, KU_CRL_SIGN); others are ignored.
core::Result<void> AddKeyUsage(X509* cert, int bits);

// RFC 5280 §4.2.1.12, non-critical; `nids` such as NID_server_auth, NID_client_auth.
core::Result<void> AddExtendedKeyUsage(X509* cert, const std::vector<int>& nids);

// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING. The public key must be
// set first.
core::Result<void> AddSubjectKeyId(X509* cert);

// RFC 5280 §4.2.1.1: keyIdentifier = the issuer's subject key identifier.
core::Result<void> AddAuthorityKeyId(X509* cert, X509* issuer);

// RFC 5280 §4.2.1.6. Takes ownership of nothing; `names` is encoded as is.
core::Result<void> AddSubjectAltNames(X509* cert, GENERAL_NAMES* names, bool critical);

// RFC 5280 §4.2.2.1 authorityInfoAccess: id-ad-ocsp then id-ad-caIssuers, each only if non-empty.
// Adds nothing when both are empty.
core::Result<void> AddAuthorityInfoAccess(X509* cert, std::string_view ocsp_url,
                                          std::string_view ca_issuers_url);

// RFC 5280 §4.2.1.13: one distribution point with one fullName URI.
core::Result<void> AddCrlDistributionPoint(X509* cert, std::string_view url);

// GENERAL_NAME builders; nullptr on allocation failure.
GENERAL_NAME* NewDnsName(std::string_view name);
GENERAL_NAME* NewIpName(std::string_view bytes);  // 4 or 16 network-order bytes
GENERAL_NAME* NewUriName(std::string_view uri);

}  // namespace flint::ca
