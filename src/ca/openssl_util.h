#pragma once
// Small OpenSSL 3.0 helpers shared by the ca module: RAII owners, error-queue draining, PEM/DER
// conversion, key generation, IP address text <-> bytes, and ASN1_TIME <-> TimePoint.
// None of these log; none put key material into an error detail.

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/openssl.h"
#include "core/result.h"

namespace flint::ca {

using core::OsslDeleter;
using core::UniqueAsn1Time;
using core::UniqueBio;
using core::UniqueGeneralNames;
using core::UniquePkey;
using core::UniquePkeyCtx;
using core::UniqueX509;
using core::UniqueX509Name;
using core::UniqueX509Req;
using UniqueBignum = core::UniqueBignum;

// Shared owners for objects handed to several holders (Issuer, Signer, TLS context).
std::shared_ptr<X509> ShareX509(UniqueX509 cert);
std::shared_ptr<EVP_PKEY> SharePkey(UniquePkey key);

// Drains the thread's OpenSSL error queue into "what: reason; reason". Always clears the queue,
// so an expected failure leaves nothing behind for the next call.
std::string DrainOpenSslErrors(std::string_view what);

// kInternal carrying DrainOpenSslErrors(what).
core::Error OpenSslError(std::string_view what);

// Fresh EC key on the named curve ("P-256", "P-384").
core::Result<UniquePkey> GenerateEcKey(const char* curve);

// Serialization. Private keys are written as unencrypted PKCS#8 PEM; the caller wipes the string.
core::Result<std::string> CertToPem(X509* cert);
core::Result<std::string> CertToDer(X509* cert);
core::Result<std::string> PrivateKeyToPem(EVP_PKEY* key);

// Every certificate in a PEM bundle, in order. kInternal if there is none or one is malformed.
core::Result<std::vector<UniqueX509>> ParsePemCertificates(std::string_view pem);
// One private key from PEM; encrypted keys are refused (never prompts for a password).
core::Result<UniquePkey> ParsePemPrivateKey(std::string_view pem);

// Lowercase hex of raw bytes.
std::string HexEncode(std::string_view bytes);
// SHA-256 of the DER certificate, lowercase hex.
std::string CertFingerprintSha256(X509* cert);

// A certificate serial as flint stores it (core::Certificate::serial_hex): lowercase hex of the
// DER INTEGER content octets, so a positive serial whose top bit is set keeps its 00 byte.
// Use this for serials read back from OCSP requests and CRLs too, so lookups match.
core::Result<std::string> SerialToHex(const ASN1_INTEGER* serial);

// IPv4 dotted quad or IPv6 text -> 4 or 16 network-order bytes; empty on failure.
std::string IpTextToBytes(std::string_view text);
// 4 or 16 bytes -> canonical text (dotted quad, or RFC 5952 IPv6); empty on a bad length.
std::string IpBytesToText(std::string_view bytes);

// Time conversion at one-second precision (the precision of X.509 validity).
core::Result<UniqueAsn1Time> ToAsn1Time(core::TimePoint t);
core::Result<core::TimePoint> FromAsn1Time(const ASN1_TIME* t);

// Wipes a string that held key material before it is released.
void Cleanse(std::string& s);

}  // namespace flint::ca
