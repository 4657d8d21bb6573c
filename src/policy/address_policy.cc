#include "policy/address_policy.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace flint::policy {
namespace {

struct V4Block {
  uint32_t prefix;
  int bits;
};

constexpr uint32_t V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | uint32_t{d};
}

// IANA IPv4 Special-Purpose Address Registry entries that are not globally reachable, plus
// multicast and the former class E space.
constexpr std::array<V4Block, 16> kV4NonPublic = {{
    {V4(0, 0, 0, 0), 8},         // "this network" (RFC 791)
    {V4(10, 0, 0, 0), 8},        // private (RFC 1918)
    {V4(100, 64, 0, 0), 10},     // shared address space / CGNAT (RFC 6598)
    {V4(127, 0, 0, 0), 8},       // loopback
    {V4(169, 254, 0, 0), 16},    // link-local (RFC 3927)
    {V4(172, 16, 0, 0), 12},     // private (RFC 1918)
    {V4(192, 0, 0, 0), 24},      // IETF protocol assignments (RFC 6890)
    {V4(192, 0, 2, 0), 24},      // TEST-NET-1 (RFC 5737)
    {V4(192, 88, 99, 0), 24},    // 6to4 relay anycast, deprecated (RFC 7526)
    {V4(192, 168, 0, 0), 16},    // private (RFC 1918)
    {V4(198, 18, 0, 0), 15},     // benchmarking (RFC 2544)
    {V4(198, 51, 100, 0), 24},   // TEST-NET-2 (RFC 5737)
    {V4(203, 0, 113, 0), 24},    // TEST-NET-3 (RFC 5737)
    {V4(224, 0, 0, 0), 4},       // multicast
    {V4(240, 0, 0, 0), 4},       // reserved (RFC 1112), includes 255.255.255.255 broadcast
    {V4(255, 255, 255, 255), 32},
}};

bool InV4Block(uint32_t addr, const V4Block& block) {
  uint32_t mask = block.bits == 0 ? 0 : ~uint32_t{0} << (32 - block.bits);
  return (addr & mask) == (block.prefix & mask);
}

bool IsPublicV4(uint32_t addr) {
  for (const V4Block& block : kV4NonPublic) {
    if (InV4Block(addr, block)) return false;
  }
  return true;
}

uint32_t V4At(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// True if the first `bits` bits of `addr` equal those of `prefix`.
bool InV6Block(const uint8_t* addr, const std::array<uint8_t, 16>& prefix, int bits) {
  int full = bits / 8;
  if (std::memcmp(addr, prefix.data(), full) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr[full] & mask) == (prefix[full] & mask);
}

struct V6Block {
  std::array<uint8_t, 16> prefix;
  int bits;
};

// Non-public blocks inside 2000::/3 (everything outside 2000::/3 is refused outright).
const std::array<V6Block, 5> kV6NonPublicGlobal = {{
    {{0x20, 0x01}, 23},        // IETF protocol assignments incl. Teredo (RFC 2928, RFC 4380)
    {{0x20, 0x01, 0x0d, 0xb8}, 32},  // documentation (RFC 3849)
    {{0x20, 0x02}, 16},        // 6to4 (RFC 3056): reaches an embedded IPv4 through a relay
    {{0x3f, 0xff, 0x00}, 20},  // documentation (RFC 9637)
    {{0x5f, 0x00}, 16},        // SRv6 SIDs (RFC 9602)
}};

bool IsPublicV6(const uint8_t* a) {
  // ::ffff:0:0/96 (IPv4-mapped) and 64:ff9b::/96 (NAT64, RFC 6052): the embedded IPv4 decides.
  static const std::array<uint8_t, 16> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const std::array<uint8_t, 16> kNat64 = {0x00, 0x64, 0xff, 0x9b};
  if (InV6Block(a, kMapped, 96) || InV6Block(a, kNat64, 96)) return IsPublicV4(V4At(a + 12));
  // Global unicast is 2000::/3; the rest is loopback, unspecified, ULA, link-local, multicast,
  // 64:ff9b:1::/48 local-use NAT64, 100::/64 discard, or unallocated.
  if ((a[0] & 0xe0) != 0x20) return false;
  for (const V6Block& block : kV6NonPublicGlobal) {
    if (InV6Block(a, block.prefix, block.bits)) return false;
  }
  return true;
}

}  // namespace

namespace {

// An IP literal as bytes: 4 for IPv4, 16 for IPv6. inet_pton reads a C string, so text holding a
// NUL byte ("1.2.3.4\0junk") is refused here rather than read up to the NUL.
struct ParsedIp {
  int family = 0;  // AF_INET or AF_INET6
  uint8_t bytes[16] = {};
};

std::optional<ParsedIp> ParseIp(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string s(text);
  ParsedIp ip;
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, s.c_str(), ip.bytes) == 1) {
      ip.family = family;
      return ip;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CanonicalIp(std::string_view ip) {
  std::optional<ParsedIp> parsed = ParseIp(ip);
  if (!parsed) return std::nullopt;
  char out[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(parsed->family, parsed->bytes, out, sizeof(out)) == nullptr) return std::nullopt;
  return std::string(out);
}

bool IsIpv6(std::string_view ip) {
  std::optional<ParsedIp> parsed = ParseIp(ip);
  return parsed && parsed->family == AF_INET6;
}

bool IsIpv4Mapped(std::string_view ip) {
  static const std::array<uint8_t, 16> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::optional<ParsedIp> parsed = ParseIp(ip);
  return parsed && parsed->family == AF_INET6 && InV6Block(parsed->bytes, kMapped, 96);
}

bool IsPublicAddress(std::string_view ip) {
  std::optional<ParsedIp> parsed = ParseIp(ip);
  if (!parsed) return false;
  return parsed->family == AF_INET ? IsPublicV4(V4At(parsed->bytes)) : IsPublicV6(parsed->bytes);
}

}  // namespace flint::policy
