#pragma once
// Public versus non-public IP addresses, and IP literal parsing. One classification for two
// uses: the VA refuses to connect to non-public addresses (DESIGN.md "Security rules": a client
// must not aim validation requests at the CA's own network, SSRF), and the identifier policy
// refuses "ip" identifiers for them at newOrder (identifier_policy.h); both unless
// --allow-private-targets. Pure functions, thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace flint::policy {

// True when `ip` (IPv4 dotted quad or IPv6 text, no brackets, no zone) is a globally routable
// unicast address. False for anything unparsable and for every special-purpose block of the
// IANA IPv4/IPv6 Special-Purpose Address Registries that is not globally reachable: 0/8, RFC 1918,
// 100.64/10 (CGNAT), 127/8, 169.254/16, 192.0.0/24, the documentation nets, 198.18/15, multicast,
// 240/4 (with broadcast); and for IPv6 anything outside 2000::/3 (::, ::1, fc00::/7, fe80::/10,
// ff00::/8, ...) plus 2001::/23 (IETF protocol assignments, Teredo), 2001:db8::/32, 2002::/16
// (6to4), 3fff::/20 (documentation) and 5f00::/16. IPv4-mapped (::ffff:0:0/96) and NAT64
// (64:ff9b::/96) addresses are judged by the IPv4 address they embed.
bool IsPublicAddress(std::string_view ip);

// The canonical text form of an IP literal (inet_ntop of inet_pton), or nullopt if `ip` is not an
// IPv4 dotted quad or IPv6 literal (no brackets, zone, prefix length, spaces or NUL bytes).
// "::FFFF:1.2.3.4" -> "::ffff:1.2.3.4", "2001:DB8:0::1" -> "2001:db8::1".
std::optional<std::string> CanonicalIp(std::string_view ip);

// True if `ip` parses as an IPv6 literal.
bool IsIpv6(std::string_view ip);

// True if `ip` parses as an IPv4-mapped IPv6 address (::ffff:0:0/96, RFC 4291 §2.5.5.2).
bool IsIpv4Mapped(std::string_view ip);

}  // namespace flint::policy
