#pragma once
// Request framing for the HTTP server (http_server.cc): what Beast's parser leaves to flint, as
// functions of a parser or of raw bytes, so that they are tested and fuzzed without a socket.
// Includes Beast: only http_server.cc, its tests and the fuzz target include this header
// (STACK.md pitfall 3).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "wfe/http_types.h"

namespace flint::wfe {

using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A request the transport answers itself, before any handler sees it.
struct Rejection {
  int status = 400;
  std::string detail;
};

enum class ReadOutcome {
  kOk,        // a complete, well-framed request
  kRejected,  // answer with the Rejection, then close
  kGone,      // the peer left, timed out or the TLS layer failed: nobody to answer
};

// Maps a read failure to the answer it deserves (RFC 9112 §2.2, RFC 6585 §5): 431 for a header
// over the limit, 413 for a body over it, 400 for a malformed request; kGone when the peer left.
ReadOutcome Classify(const boost::beast::error_code& ec, Rejection* rejection);

// The checks Beast leaves to flint once the header is parsed (RFC 9112 §3.2, §6.1, §6.3:
// request-smuggling defences): HTTP/1.0 or 1.1 only; exactly one Host on 1.1, at most one on
// 1.0; at most one Content-Length, all digits; no Content-Length with Transfer-Encoding; the
// only Transfer-Encoding is a single "chunked" on 1.1. A Rejection (400) otherwise.
std::optional<Rejection> CheckFraming(const Parser& parser);

// The handler's view of a parsed request; `remote` is the peer's address.
HttpRequest ToHttpRequest(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                          const std::string& remote);

// One request read from `bytes` as a session reads it from a socket (header limit, framing
// checks, body limit), with no further input after `bytes`.
struct ParsedRequest {
  ReadOutcome outcome = ReadOutcome::kGone;
  Rejection rejection;  // when kRejected
  HttpRequest request;  // when kOk
  size_t consumed = 0;  // bytes of `bytes` the request took (the next one starts there)
};
ParsedRequest ParseRequestBytes(std::string_view bytes, size_t max_header_bytes,
                                size_t max_body_bytes);

}  // namespace flint::wfe
