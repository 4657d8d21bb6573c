#include "va/http_response.h"

#include <cctype>
#include <charconv>

#include "core/ascii.h"

namespace flint::va::internal {
namespace {

using core::Err;
using core::ErrorType;
using core::Result;

core::Error Malformed(std::string_view why) {
  return Err(ErrorType::kConnection, "malformed HTTP response: " + std::string(why));
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Head {
  int status = 0;
  std::string location;
  std::optional<size_t> content_length;
  bool chunked = false;
};

Result<int> ParseStatusLine(std::string_view line) {
  // HTTP-version SP 3DIGIT SP reason-phrase (RFC 9112 §4); the reason may be empty.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !std::isdigit(line[7]) ||
      line[8] != ' ') {
    return Malformed("bad status line");
  }
  int status = 0;
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc() || end != line.data() + 12 || status < 100 || status > 999 ||
      (line.size() > 12 && line[12] != ' ')) {
    return Malformed("bad status code");
  }
  return status;
}

Result<void> ParseField(std::string_view line, Head& head) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return Malformed("bad header field");
  std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (c == ' ' || c == '\t') return Malformed("whitespace in header field name");
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  if (core::IEquals(name, "Location")) {
    if (head.location.empty()) head.location = std::string(value);
  } else if (core::IEquals(name, "Content-Length")) {
    size_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
      return Malformed("bad Content-Length");
    }
    if (head.content_length && *head.content_length != length) {
      return Malformed("conflicting Content-Length");
    }
    head.content_length = length;
  } else if (core::IEquals(name, "Transfer-Encoding")) {
    if (!core::IEquals(value, "chunked")) return Malformed("unsupported Transfer-Encoding");
    head.chunked = true;
  }
  return core::Ok();
}

Result<Head> ParseHead(std::string_view head_text) {
  Head head;
  size_t pos = head_text.find("\r\n");
  FLINT_ASSIGN_OR_RETURN(head.status, ParseStatusLine(head_text.substr(0, pos)));
  while (pos != std::string_view::npos && pos + 2 < head_text.size()) {
    size_t start = pos + 2;
    pos = head_text.find("\r\n", start);
    FLINT_TRY(ParseField(head_text.substr(start, pos - start), head));
  }
  if (head.chunked && head.content_length) {
    return Malformed("both Content-Length and Transfer-Encoding");
  }
  return head;
}

// Decodes chunked framing (RFC 9112 §7.1). Returns the body once complete or `max_body` bytes
// long; nullopt if more bytes are needed.
Result<std::optional<std::string>> DecodeChunked(std::string_view data, size_t max_body,
                                                 bool eof) {
  std::string body;
  for (;;) {
    size_t line_end = data.find("\r\n");
    if (line_end == std::string_view::npos) break;
    std::string_view size_text = data.substr(0, line_end);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions are ignored
    size_text = TrimOws(size_text);
    size_t size = 0;
    auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(),
                                     size, 16);
    if (ec != std::errc() || end != size_text.data() + size_text.size() || size_text.empty()) {
      return Malformed("bad chunk size");
    }
    data.remove_prefix(line_end + 2);
    if (size == 0) return std::optional<std::string>(std::move(body));  // trailers ignored
    size_t take = std::min(size, data.size());
    body.append(data.substr(0, take));
    if (body.size() >= max_body) {
      body.resize(max_body);
      return std::optional<std::string>(std::move(body));
    }
    if (data.size() < size + 2) break;
    if (data.substr(size, 2) != "\r\n") return Malformed("bad chunk terminator");
    data.remove_prefix(size + 2);
  }
  if (eof) return Malformed("truncated chunked body");
  return std::optional<std::string>();
}

}  // namespace

Result<std::optional<HttpResponse>> ParseHttpResponse(std::string_view raw, size_t max_body,
                                                      bool eof) {
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (raw.size() > kMaxHeaderBytes) return Malformed("header section too large");
    if (eof) return Malformed(raw.empty() ? "empty response" : "truncated header section");
    return std::optional<HttpResponse>();
  }
  if (head_end + 4 > kMaxHeaderBytes) return Malformed("header section too large");
  FLINT_ASSIGN_OR_RETURN(Head head, ParseHead(raw.substr(0, head_end + 2)));
  HttpResponse response;
  response.status = head.status;
  response.location = std::move(head.location);
  // Only a 200 response's body matters (RFC 8555 §8.3); redirects need only Location.
  if (head.status != 200) return std::optional<HttpResponse>(std::move(response));
  std::string_view rest = raw.substr(head_end + 4);
  if (head.chunked) {
    FLINT_ASSIGN_OR_RETURN(std::optional<std::string> body, DecodeChunked(rest, max_body, eof));
    if (!body) return std::optional<HttpResponse>();
    response.body = std::move(*body);
    return std::optional<HttpResponse>(std::move(response));
  }
  size_t want = head.content_length ? std::min(*head.content_length, max_body) : max_body;
  if (rest.size() >= want) {
    response.body = std::string(rest.substr(0, want));
    return std::optional<HttpResponse>(std::move(response));
  }
  if (!eof) return std::optional<HttpResponse>();
  if (head.content_length) return Malformed("body shorter than Content-Length");
  response.body = std::string(rest);
  return std::optional<HttpResponse>(std::move(response));
}

std::string HttpGetRequest(const std::string& host_header, const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: " + host_header +
         "\r\nUser-Agent: flint-va (ACME validation; RFC 8555)\r\n"
         "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n";
}

}  // namespace flint::va::internal
