// Request framing on raw bytes (http_framing.h): the request-smuggling defences of RFC 9112 and
// the limits, without a socket.
#include "wfe/http_framing.h"

#include <gtest/gtest.h>

namespace flint::wfe {
namespace {

ParsedRequest Parse(std::string_view bytes) { return ParseRequestBytes(bytes, 8192, 1024); }

TEST(HttpFramingTest, AWellFramedRequestParses) {
  ParsedRequest p = Parse(
      "POST /acme/new-order?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}NEXT");
  ASSERT_EQ(p.outcome, ReadOutcome::kOk) << p.rejection.detail;
  EXPECT_EQ(p.request.method, "POST");
  EXPECT_EQ(p.request.path, "/acme/new-order");
  EXPECT_EQ(p.request.query, "x=1");
  EXPECT_EQ(p.request.body, "{}");
  EXPECT_EQ(p.consumed, std::string_view("POST /acme/new-order?x=1 HTTP/1.1\r\nHost: a\r\n"
                                         "Content-Length: 2\r\n\r\n{}").size());
  ParsedRequest chunked =
      Parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  ASSERT_EQ(chunked.outcome, ReadOutcome::kOk) << chunked.rejection.detail;
  EXPECT_EQ(chunked.request.body, "{}");
}

TEST(HttpFramingTest, SmugglingShapesAreRejected) {
  struct Case {
    const char* bytes;
    int status;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", 400},
           {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            400},
           {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400},
           {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
           {"GET / HTTP/1.1\r\n\r\n", 400},                       // no Host
           {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},  // two
           {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400},
           {"G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
           {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413},
       }) {
    ParsedRequest p = Parse(c.bytes);
    EXPECT_EQ(p.outcome, ReadOutcome::kRejected) << c.bytes;
    EXPECT_EQ(p.rejection.status, c.status) << c.bytes << ": " << p.rejection.detail;
  }
  ParsedRequest big = ParseRequestBytes(
      "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(200, 'x') + "\r\n\r\n", 64, 1024);
  EXPECT_EQ(big.outcome, ReadOutcome::kRejected);
  EXPECT_EQ(big.rejection.status, 431);
}

TEST(HttpFramingTest, AnIncompleteRequestIsGone) {
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: a\r\n").outcome, ReadOutcome::kGone);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n{}").outcome,
            ReadOutcome::kGone);
  EXPECT_EQ(Parse("").outcome, ReadOutcome::kGone);
}

}  // namespace
}  // namespace flint::wfe
