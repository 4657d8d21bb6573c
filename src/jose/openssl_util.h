#pragma once
// Internal to the jose module: RAII owners for OpenSSL objects and the error-queue discipline.

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <string>

#include "core/openssl.h"

namespace flint::jose::internal {

template <auto Free>
using Deleter = core::OsslDeleter<Free>;
using core::UniqueEcdsaSig;
using core::UniqueMdCtx;
using core::UniqueParamBld;
using core::UniqueParams;
using core::UniquePkey;
using core::UniquePkeyCtx;
using UniqueBn = core::UniqueBignum;

// OpenSSL leaves entries on its thread-local error queue after a failure; an expected failure
// (a bad signature, a bad key) must not leak them into unrelated later calls on this thread.
inline void ClearOpenSslErrors() { ERR_clear_error(); }

// Big-endian magnitude of `bn` in exactly `size` octets (left-padded with zeros).
inline std::string BnToPadded(const BIGNUM* bn, int size) {
  std::string out(static_cast<std::size_t>(size), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size) != size) return {};
  return out;
}

// Big-endian magnitude of `bn` without leading zero octets (RFC 7518 §2 Base64urlUInt).
inline std::string BnToMinimal(const BIGNUM* bn) {
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

inline UniqueBn BnFromBytes(std::string_view bytes) {
  return UniqueBn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()), nullptr));
}

}  // namespace flint::jose::internal
