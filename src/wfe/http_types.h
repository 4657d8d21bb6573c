#pragma once
// Plain HTTP request/response values exchanged between the transport (http_server.h) and the
// handlers. No Beast types appear here, so handler code compiles without Beast headers.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flint::wfe {

// One parsed HTTP/1.1 request (RFC 9112). The transport has already enforced framing, size limits
// and the presence of Host; handlers see only well-formed requests.
struct HttpRequest {
  std::string method;  // as sent, e.g. "POST"; methods are case-sensitive (RFC 9110 §9.1)
  std::string target;  // raw request-target, e.g. "/acme/order/7?x=1"
  std::string path;    // target before '?' (origin-form; absolute-form reduced to its path)
  std::string query;   // target after '?', without it; empty if none
  // In arrival order, names lowercased (RFC 9110 §5.1: names are case-insensitive), values as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;         // de-chunked
  std::string remote_addr;  // peer IP address, IPv4-mapped IPv6 shown as IPv4

  // Value of the first header named `lowercase_name`, or nullptr. The pointer lives as long as
  // this request.
  const std::string* Header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lowercase_name) return &value;
    }
    return nullptr;
  }
};

// A handler's answer. The transport adds Content-Length, Date (unless set) and Connection; it
// drops any Content-Length or Transfer-Encoding set here. `Connection: close` set here is honoured.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // not sent for HEAD requests or 1xx/204/304 statuses
  // Annotations for the one log line per request; never sent to the client.
  std::string log_account;
  std::string log_problem;
};

// Called on a worker thread (never on an I/O thread), so it may block, e.g. on the database.
// Must be safe to call concurrently from several workers. An exception escaping it becomes a 500.
using Handler = std::function<HttpResponse(HttpRequest&)>;

// Called on the I/O thread before Handler, for requests that need no blocking work (the ACME
// directory, a new nonce): returns the response, or std::nullopt to pass the request on to the
// worker pool. Must never block. Saves two thread hand-offs per request on hot read-only paths.
using InlineHandler = std::function<std::optional<HttpResponse>(HttpRequest&)>;

// Adds headers to an error response the transport writes itself (400 for an unparsable request,
// 413, 431, and 500 when a handler throws or its writes cannot be made durable): the ACME layer
// adds a fresh Replay-Nonce and its Link rel="index" (RFC 8555 §6.5, §7.1). Called on I/O and
// worker threads alike, concurrently; must never block.
using ErrorHeaders = std::function<void(HttpResponse&)>;

// What the transport knows of one request once its response is written (or the write failed):
// the same facts as its log line. Views are valid only during the call.
struct RequestRecord {
  // "-" for a request the transport refused before its header was complete (400, 413, 431).
  std::string_view method;
  std::string_view path;  // without the query; "-" likewise
  unsigned status = 0;
  std::chrono::steady_clock::duration elapsed{};  // from the request's first byte
};

// Called on the I/O thread after each response, including the transport's own refusals (400,
// 413, 431), e.g. to count requests. Must be thread-safe and never block.
using RequestObserver = std::function<void(const RequestRecord&)>;

}  // namespace flint::wfe
