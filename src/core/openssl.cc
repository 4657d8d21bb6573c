#include "core/openssl.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

namespace flint::core {

Result<UniquePkey> EcPublicKeyFromPoint(const char* group_name, std::string_view point) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group_name),
                                       0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<char*>(point.data()), point.size()),
      OSSL_PARAM_construct_end()};
  UniquePkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || point.empty() || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) <= 0 || raw == nullptr) {
    ERR_clear_error();
    return Err(ErrorType::kBadPublicKey, "EC point is not on the curve");
  }
  UniquePkey key(raw);
  UniquePkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    ERR_clear_error();
    return Err(ErrorType::kBadPublicKey, "EC public key failed validation");
  }
  return key;
}

}  // namespace flint::core
