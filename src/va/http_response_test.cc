#include "va/http_response.h"

#include <gtest/gtest.h>

namespace flint::va::internal {
namespace {

using core::ErrorType;

TEST(ParseHttpResponseTest, ContentLengthBody) {
  auto r = ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 100, false);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->status, 200);
  EXPECT_EQ((*r)->body, "hello");
}

TEST(ParseHttpResponseTest, NeedsMoreUntilContentLengthOrHeadersArrive) {
  auto partial = ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 100, false);
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
  auto head = ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-", 100, false);
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
}

TEST(ParseHttpResponseTest, BodyUntilEofWithoutFraming) {
  auto r = ParseHttpResponse("HTTP/1.0 200 OK\r\n\r\nabc", 100, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->body, "abc");
}

TEST(ParseHttpResponseTest, BodyIsCutAtTheLimit) {
  auto r = ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 4, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->body, "0123");
}

TEST(ParseHttpResponseTest, ChunkedBody) {
  std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  auto r = ParseHttpResponse(raw, 100, false);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->body, "abcde");
  auto partial = ParseHttpResponse(raw.substr(0, raw.size() - 8), 100, false);
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
}

TEST(ParseHttpResponseTest, RedirectNeedsOnlyHeaders) {
  auto r = ParseHttpResponse(
      "HTTP/1.1 302 Found\r\nlocation:  /next \r\nContent-Length: 999\r\n\r\n", 100, false);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->status, 302);
  EXPECT_EQ((*r)->location, "/next");
}

TEST(ParseHttpResponseTest, StatusLineWithEmptyReason) {
  auto r = ParseHttpResponse("HTTP/1.1 404\r\n\r\n", 100, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->status, 404);
}

TEST(ParseHttpResponseTest, MalformedResponsesAreConnectionErrors) {
  struct Bad {
    std::string raw;
    bool eof;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"", true},
           {"garbage\r\n\r\n", false},
           {"HTTP/1.1 2x0 OK\r\n\r\n", false},
           {"HTTP/2 200 OK\r\n\r\n", false},
           {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false},
           {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false},
           {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false},
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false},
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", false},
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false},
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", true},
           {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", true},
           {"HTTP/1.1 200 OK\r\n X: folded\r\n\r\n", false},
           {"HTTP/1.1 200 OK\r\n" + std::string(kMaxHeaderBytes, 'a'), false},
       }) {
    auto r = ParseHttpResponse(bad.raw, 100, bad.eof);
    ASSERT_FALSE(r.ok()) << bad.raw.substr(0, 80);
    EXPECT_EQ(r.error().type, ErrorType::kConnection);
  }
}

}  // namespace
}  // namespace flint::va::internal
