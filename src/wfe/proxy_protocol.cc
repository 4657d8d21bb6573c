#include "wfe/proxy_protocol.h"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

namespace flint::wfe {
namespace {

constexpr char kSignature[12] = {'\x0D', '\x0A', '\x0D', '\x0A', '\x00', '\x0D',
                                 '\x0A', '\x51', '\x55', '\x49', '\x54', '\x0A'};
constexpr uint8_t kVersion2 = 0x20;
constexpr uint8_t kCommandLocal = 0x00;
constexpr uint8_t kCommandProxy = 0x01;
constexpr uint8_t kFamilyUnspec = 0x00;
constexpr uint8_t kFamilyInet = 0x10;
constexpr uint8_t kFamilyInet6 = 0x20;
// Source and destination addresses, then source and destination ports.
constexpr size_t kInetBlock = 4 + 4 + 2 + 2;
constexpr size_t kInet6Block = 16 + 16 + 2 + 2;

uint8_t Byte(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }

}  // namespace

size_t ProxyV2HeaderLength(std::string_view fixed) {
  if (fixed.size() < kProxyV2FixedBytes) return 0;
  if (std::memcmp(fixed.data(), kSignature, sizeof(kSignature)) != 0) return 0;
  if ((Byte(fixed, 12) & 0xF0) != kVersion2) return 0;
  const size_t variable = (size_t{Byte(fixed, 14)} << 8) | Byte(fixed, 15);
  if (variable > kProxyV2MaxVariableBytes) return 0;
  return kProxyV2FixedBytes + variable;
}

bool ParseProxyV2(std::string_view header, ProxyHeader* out) {
  const size_t length = ProxyV2HeaderLength(header);
  if (length == 0 || header.size() != length) return false;
  const uint8_t command = Byte(header, 12) & 0x0F;
  const uint8_t family = Byte(header, 13) & 0xF0;
  const std::string_view block = header.substr(kProxyV2FixedBytes);
  out->source_address.clear();
  if (command == kCommandLocal) return true;  // the balancer itself: the peer address stands
  if (command != kCommandProxy) return false;
  char text[INET6_ADDRSTRLEN] = {};
  if (family == kFamilyInet) {
    if (block.size() < kInetBlock) return false;
    if (inet_ntop(AF_INET, block.data(), text, sizeof(text)) == nullptr) return false;
  } else if (family == kFamilyInet6) {
    if (block.size() < kInet6Block) return false;
    const auto* bytes = reinterpret_cast<const unsigned char*>(block.data());
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(bytes, kMapped, sizeof(kMapped)) == 0) {
      if (inet_ntop(AF_INET, bytes + 12, text, sizeof(text)) == nullptr) return false;
    } else if (inet_ntop(AF_INET6, bytes, text, sizeof(text)) == nullptr) {
      return false;
    }
  } else if (family == kFamilyUnspec) {
    return true;  // unknown origin: the peer address stands
  } else {
    return false;  // AF_UNIX and reserved families carry no IP address
  }
  out->source_address = text;
  return true;
}

}  // namespace flint::wfe
