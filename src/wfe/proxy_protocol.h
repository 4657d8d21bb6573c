#pragma once
// The PROXY protocol, version 2 (HAProxy's "The PROXY protocol" specification, §2.2): the binary
// header a load balancer (HAProxy `send-proxy-v2`) sends first on each connection it opens to a
// backend, naming the client's address. Only a listener configured for it reads one
// (HttpServerOptions::proxy_protocol): a header is trusted because of where the connection comes
// from, never because of what a client sends, so flint never takes the address from an
// X-Forwarded-For-like HTTP header.

#include <cstddef>
#include <string>
#include <string_view>

namespace flint::wfe {

// The fixed part every header starts with: 12-byte signature, version/command, family, length.
inline constexpr size_t kProxyV2FixedBytes = 16;
// flint's bound on the variable part (addresses and TLVs); HAProxy sends a few dozen bytes.
inline constexpr size_t kProxyV2MaxVariableBytes = 1024;

struct ProxyHeader {
  // The client's address (IPv4 dotted or IPv6 text, IPv4-mapped IPv6 shown as IPv4); empty for
  // a LOCAL header (the balancer's own health check) or an unspecified family, when the
  // connection's own peer address stands.
  std::string source_address;
};

// The whole header's length from its fixed part (`fixed` holds kProxyV2FixedBytes bytes), or 0
// if those bytes are not a version 2 header with a length flint accepts.
size_t ProxyV2HeaderLength(std::string_view fixed);

// Parses a complete header (`header`, of the length ProxyV2HeaderLength gave). False if it is
// malformed: a bad signature, version or command, or an address block shorter than its family
// needs.
bool ParseProxyV2(std::string_view header, ProxyHeader* out);

}  // namespace flint::wfe
