#include "wfe/http_framing.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include "core/ascii.h"
#include "wfe/http_util.h"

namespace flint::wfe {

namespace beast = boost::beast;
namespace http = beast::http;

ReadOutcome Classify(const beast::error_code& ec, Rejection* rejection) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    *rejection = {431, "request header too large"};
    return ReadOutcome::kRejected;
  }
  if (ec == http::error::body_limit) {
    *rejection = {413, "request body too large"};
    return ReadOutcome::kRejected;
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return ReadOutcome::kGone;
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    *rejection = {400, "malformed HTTP request: " + ec.message()};
    return ReadOutcome::kRejected;
  }
  return ReadOutcome::kGone;
}

std::optional<Rejection> CheckFraming(const Parser& parser) {
  const auto& req = parser.get();
  if (req.version() != 10 && req.version() != 11) {
    return Rejection{400, "unsupported HTTP version"};
  }
  const size_t hosts = req.count(http::field::host);
  if (hosts > 1 || (hosts == 0 && req.version() == 11)) {
    return Rejection{400, "exactly one Host header is required"};
  }
  const size_t lengths = req.count(http::field::content_length);
  if (lengths > 1) return Rejection{400, "duplicate Content-Length"};
  if (lengths == 1 && !IsDigits(req[http::field::content_length])) {
    return Rejection{400, "invalid Content-Length"};
  }
  const size_t encodings = req.count(http::field::transfer_encoding);
  if (encodings > 0 && lengths > 0) {
    return Rejection{400, "Content-Length together with Transfer-Encoding"};
  }
  if (encodings > 0 && (encodings > 1 || req.version() != 11 ||
                        !beast::iequals(req[http::field::transfer_encoding], "chunked"))) {
    return Rejection{400, "unsupported Transfer-Encoding"};
  }
  return std::nullopt;
}

HttpRequest ToHttpRequest(http::request<http::string_body>&& msg, const std::string& remote) {
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  SplitTarget(req.target, &req.path, &req.query);
  for (const auto& field : msg) {
    req.headers.emplace_back(core::AsciiLowered(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  req.remote_addr = remote;
  return req;
}

ParsedRequest ParseRequestBytes(std::string_view bytes, size_t max_header_bytes,
                                size_t max_body_bytes) {
  ParsedRequest out;
  Parser parser;
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  parser.body_limit(max_body_bytes);
  parser.eager(true);
  beast::error_code ec;
  bool framing_checked = false;
  while (!parser.is_done()) {
    const std::string_view rest = bytes.substr(out.consumed);
    size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec == http::error::need_more) {
      // All of `bytes` is consumed and the message is incomplete: the peer would be gone.
      out.outcome = Classify(http::error::partial_message, &out.rejection);
      return out;
    }
    if (ec) {
      out.outcome = Classify(ec, &out.rejection);
      return out;
    }
    out.consumed += used;
    if (parser.is_header_done() && !framing_checked) {
      framing_checked = true;
      if (std::optional<Rejection> bad = CheckFraming(parser)) {
        out.rejection = std::move(*bad);
        out.outcome = ReadOutcome::kRejected;
        return out;
      }
    }
    if (used == 0 && !parser.is_done()) {
      out.outcome = Classify(http::error::partial_message, &out.rejection);
      return out;
    }
  }
  out.request = ToHttpRequest(parser.release(), "");
  out.outcome = ReadOutcome::kOk;
  return out;
}

}  // namespace flint::wfe
