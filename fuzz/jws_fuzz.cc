// libFuzzer target: an ACME request body through the JWS/JSON parser and JWK import
// (jose::ParseJws, RFC 7515 flattened serialization, RFC 8555 §6.2), the strict JSON parser
// (core::ParseStrictJson), and the inner-JWS parsers of keyChange and EAB.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "jose/jwk.h"
#include "jose/jws.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string nonce;
  auto jws = flint::jose::ParseJws(body, &nonce);
  if (jws.ok() && jws->header.jwk) {
    // A key that imported must verify-or-refuse without crashing.
    (void)flint::jose::VerifyJws(*jws, *jws->header.jwk);
  }
  auto json = flint::core::ParseStrictJson(body);
  if (json.ok()) {
    (void)flint::jose::ParseJwk(*json);
    (void)flint::jose::ParseKeyChangeInnerJws(*json);
    (void)flint::jose::ParseEabJws(*json);
    // What parsed serializes and parses again.
    auto again = flint::core::ParseStrictJson(flint::core::SerializeJson(*json));
    if (!again.ok() || *again != *json) __builtin_trap();
  }
  return 0;
}
