#pragma once
// Minimal HTTP/1.1 client side for http-01 (RFC 8555 §8.3): one GET with "Connection: close" and
// an incremental, size-bounded response parser (RFC 9112 status line, header fields,
// Content-Length and chunked framing). Internal to va; exposed for tests and fuzzing.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace flint::va::internal {

inline constexpr size_t kMaxHeaderBytes = 16 * 1024;

struct HttpResponse {
  int status = 0;
  std::string location;  // the Location field, if any (redirects)
  std::string body;      // only for status 200; at most max_body bytes
};

// Parses `raw`, the bytes received so far. Returns nullopt when more bytes are needed (and `eof`
// is false). Only a 200 response's body is collected; it is cut at `max_body` bytes. kConnection
// for anything malformed or truncated.
core::Result<std::optional<HttpResponse>> ParseHttpResponse(std::string_view raw, size_t max_body,
                                                            bool eof);

// The request http-01 sends: "GET <target> HTTP/1.1" with the given Host, "Connection: close".
std::string HttpGetRequest(const std::string& host_header, const std::string& target);

// What HttpGet buffers at most before giving up: chunked framing can cost several bytes per body
// byte, so the cap is on the raw bytes regardless.
inline size_t MaxRawResponse(size_t max_body) { return kMaxHeaderBytes + 8 * max_body + 1024; }

}  // namespace flint::va::internal
