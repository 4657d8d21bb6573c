// libFuzzer target: an OCSP request (RFC 6960 §4.1, RFC 5019) answered by ca::OcspResponder with
// a real CA generated once in a temporary directory; every answer must be a complete DER
// OCSPResponse.
#include <openssl/ocsp.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "ca/ca_files.h"
#include "ca/ocsp.h"
#include "ca/signer.h"
#include "core/clock.h"
#include "core/random.h"

namespace {

const flint::ca::OcspResponder& Responder() {
  static const flint::ca::OcspResponder* responder = [] {
    char dir[] = "/tmp/flint-ocsp-fuzz-XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    flint::core::SystemClock clock;
    flint::core::SecureRandom random;
    auto ca = flint::ca::LoadOrCreateCa(std::string(dir) + "/ca", {}, clock, random);
    if (!ca.ok()) std::abort();
    auto signer = std::make_shared<flint::ca::KeySigner>(ca->intermediate_key);
    return new flint::ca::OcspResponder(signer, ca->intermediate_cert);
  }();
  return *responder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view der(reinterpret_cast<const char*>(data), size);
  flint::core::OcspLookup lookup = [](const std::string& serial) {
    flint::core::OcspStatus s;
    if (!serial.empty() && serial.back() == '1') {
      s.status = flint::core::OcspCertStatus::kRevoked;
      s.reason = 1;
    } else if (!serial.empty() && serial.back() == '2') {
      s.status = flint::core::OcspCertStatus::kGood;
    }
    return flint::core::Result<flint::core::OcspStatus>(s);
  };
  flint::core::OcspAnswer answer =
      Responder().Respond(der, lookup, flint::core::SystemClock().Now());
  const auto* p = reinterpret_cast<const unsigned char*>(answer.der.data());
  OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(answer.der.size()));
  if (resp == nullptr) __builtin_trap();
  OCSP_RESPONSE_free(resp);
  return 0;
}
