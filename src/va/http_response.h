#pragma once
// Minimal HTTP/1.1 client side for http-01 (RFC 8555 §8.3): one GET with "Connection: close" and
// an incremental, size-bounded response parser (RFC 9112 status line, header fields,
// Content-Length and chunked framing). Internal to va; exposed for tests and fuzzing.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "va/net.h"

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

// Sends "GET <target> HTTP/1.1" with the given Host and reads the response over `stream`.
core::Result<HttpResponse> HttpGet(Stream& stream, const std::string& host_header,
                                   const std::string& target, size_t max_body,
                                   const Deadline& deadline);

}  // namespace flint::va::internal
