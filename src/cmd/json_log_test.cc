#include "cmd/json_log.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace flint::cmd {
namespace {

namespace json = boost::json;

const auto kTs = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764695447123));

json::object Parse(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per message";
  return json::parse(line).as_object();
}

TEST(JsonLog, FormatsTimestampLevelAndMessage) {
  json::object o = Parse(FormatJsonLogLine(kTs, "info", "flint stopped cleanly", nullptr));
  EXPECT_EQ(o["ts"], "2025-12-02T17:10:47.123Z");
  EXPECT_EQ(o["level"], "info");
  EXPECT_EQ(o["msg"], "flint stopped cleanly");
  EXPECT_EQ(o.size(), 3u);
}

TEST(JsonLog, KeyValuePairsBecomeFields) {
  json::object o = Parse(FormatJsonLogLine(
      kTs, "info", "request method=POST path=/acme/new-order status=201 problem=", nullptr));
  EXPECT_EQ(o["msg"], "request");
  EXPECT_EQ(o["method"], "POST");
  EXPECT_EQ(o["path"], "/acme/new-order");
  EXPECT_EQ(o["status"], "201");
  EXPECT_EQ(o["problem"], "");
}

TEST(JsonLog, FreeTextAfterPairsStaysOneMessage) {
  json::object o = Parse(FormatJsonLogLine(kTs, "warn", "a=b then free text", nullptr));
  EXPECT_EQ(o["msg"], "a=b then free text");
  EXPECT_FALSE(o.contains("a"));
}

TEST(JsonLog, QuotesControlCharactersAndNewlinesAreEscaped) {
  const std::string nasty = "line one\nline \"two\"\t\\ \x01 end";
  const std::string line = FormatJsonLogLine(kTs, "error", nasty, nullptr);
  json::object o = Parse(line);
  EXPECT_EQ(o["msg"].as_string(), nasty);
}

TEST(JsonLog, InvalidUtf8BecomesReplacementCharacters) {
  // A stray continuation byte, an overlong "/", a surrogate, a truncated sequence; then valid
  // two-, three- and four-byte characters that must survive.
  const std::string payload =
      "request path=/a\x80"
      "b\xC0\xAF\xED\xA0\x80\xE2\x82 ok=\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\x92";
  json::object o = Parse(FormatJsonLogLine(kTs, "info", payload, nullptr));
  EXPECT_EQ(
      o["path"].as_string(),
      "/a\xEF\xBF\xBD"
      "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(o["ok"].as_string(), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\x92");
}

TEST(JsonLog, ReservedNamesCannotBeOverwrittenByPairs) {
  json::object o = Parse(FormatJsonLogLine(kTs, "info", "x ts=1 level=evil msg=no", nullptr));
  EXPECT_EQ(o["ts"], "2025-12-02T17:10:47.123Z");
  EXPECT_EQ(o["level"], "info");
  EXPECT_EQ(o["msg"], "x");
}

TEST(JsonLog, ScopedFieldsKeepTheirTypes) {
  json::object fields{{"audit", true},
                      {"event", "issuance"},
                      {"order", 42},
                      {"identifiers", json::array{json::object{{"type", "dns"}}}}};
  json::object o = Parse(FormatJsonLogLine(kTs, "info", "audit issuance", &fields));
  EXPECT_EQ(o["msg"], "audit issuance");
  EXPECT_EQ(o["audit"], true);
  EXPECT_EQ(o["order"], 42);
  EXPECT_TRUE(o["identifiers"].is_array());
}

}  // namespace
}  // namespace flint::cmd
