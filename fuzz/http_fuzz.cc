// libFuzzer target: bytes from a client socket through flint's HTTP framing (Beast's parser
// with the server's limits plus wfe::CheckFraming, http_framing.h) and the PROXY protocol v2
// header parser (proxy_protocol.h), with the framing invariants checked on what is accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wfe/http_framing.h"
#include "wfe/proxy_protocol.h"

namespace {

bool HasHeader(const flint::wfe::HttpRequest& r, std::string_view name, size_t* count) {
  *count = 0;
  for (const auto& [k, v] : r.headers)
    if (k == name) ++*count;
  return *count > 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMaxBody = 4096;
  flint::wfe::ParsedRequest p = flint::wfe::ParseRequestBytes(bytes, 8192, kMaxBody);
  if (p.outcome == flint::wfe::ReadOutcome::kOk) {
    // What the server hands a handler: never over the body limit, never ambiguous framing,
    // never beyond the bytes received.
    size_t n = 0;
    if (p.request.body.size() > kMaxBody) __builtin_trap();
    if (HasHeader(p.request, "content-length", &n) && n > 1) __builtin_trap();
    size_t te = 0;
    if (HasHeader(p.request, "transfer-encoding", &te) && (te > 1 || n > 0)) __builtin_trap();
    if (HasHeader(p.request, "host", &n) && n > 1) __builtin_trap();
    if (p.consumed > bytes.size()) __builtin_trap();
  } else if (p.outcome == flint::wfe::ReadOutcome::kRejected) {
    if (p.rejection.status < 400 || p.rejection.status > 499) __builtin_trap();
  }
  if (bytes.size() >= flint::wfe::kProxyV2FixedBytes) {
    const size_t length =
        flint::wfe::ProxyV2HeaderLength(bytes.substr(0, flint::wfe::kProxyV2FixedBytes));
    if (length != 0 && length <= bytes.size()) {
      flint::wfe::ProxyHeader header;
      (void)flint::wfe::ParseProxyV2(bytes.substr(0, length), &header);
    }
  }
  return 0;
}
