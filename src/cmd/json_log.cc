#include "cmd/json_log.h"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <vector>

namespace flint::cmd {
namespace {

thread_local const boost::json::object* t_fields = nullptr;
bool g_json = false;

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

// "request method=GET path=/x" -> words "request", pairs {method: GET, path: /x}. False when
// some word after the first pair is not a pair (free text: the message stays whole).
bool SplitPairs(std::string_view payload, std::string& words,
                std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  size_t i = 0;
  bool in_pairs = false;
  while (i < payload.size()) {
    if (payload[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = payload.find(' ', i);
    if (end == std::string_view::npos) end = payload.size();
    std::string_view word = payload.substr(i, end - i);
    size_t eq = word.find('=');
    bool is_pair = eq != std::string_view::npos && eq > 0;
    for (size_t k = 0; is_pair && k < eq; ++k) is_pair = IsKeyChar(word[k]);
    if (is_pair) {
      in_pairs = true;
      pairs.emplace_back(word.substr(0, eq), word.substr(eq + 1));
    } else if (in_pairs) {
      return false;
    } else {
      if (!words.empty()) words += ' ';
      words.append(word);
    }
    i = end;
  }
  return in_pairs && payload.find('\n') == std::string_view::npos;
}

// `text` with every byte that is not part of a well-formed UTF-8 sequence (RFC 3629: no
// overlong forms, surrogates or code points above U+10FFFF) replaced by U+FFFD, so that a log
// line stays valid JSON whatever a client put in a logged value (a request path).
std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07;
    }
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (ok) {
      ok = !(len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) &&
           !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF));
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string FormatRfc3339Millis(std::chrono::system_clock::time_point ts) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ts.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

std::string FormatJsonLogLine(std::chrono::system_clock::time_point ts, std::string_view level,
                              std::string_view payload, const boost::json::object* fields) {
  boost::json::object line;
  line["ts"] = FormatRfc3339Millis(ts);
  line["level"] = level;
  const std::string valid = ValidUtf8(payload);
  payload = valid;
  std::string words;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  if (SplitPairs(payload, words, pairs)) {
    line["msg"] = words;
    for (const auto& [k, v] : pairs) {
      if (k == "ts" || k == "level" || k == "msg") continue;
      line[k] = v;
    }
  } else {
    line["msg"] = payload;
  }
  if (fields != nullptr) {
    for (const auto& [k, v] : *fields) {
      if (k == "ts" || k == "level" || k == "msg") continue;
      line[k] = v;
    }
  }
  // boost::json::serialize escapes quotes, backslashes and every control character (a newline
  // becomes \n), so the line stays one line; ValidUtf8 above made the text valid UTF-8, which
  // Boost.JSON would otherwise pass through as it is. (Structured fields come from the RA's
  // records of checked values.)
  std::string out = boost::json::serialize(line);
  out += '\n';
  return out;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
  std::string line =
      FormatJsonLogLine(msg.time, std::string_view(level.data(), level.size()),
                        std::string_view(msg.payload.data(), msg.payload.size()), t_fields);
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

ScopedLogFields::ScopedLogFields(const boost::json::object& fields) : previous_(t_fields) {
  t_fields = &fields;
}

ScopedLogFields::~ScopedLogFields() { t_fields = previous_; }

bool JsonLogging() { return g_json; }

void ConfigureLogFormat(const std::string& format) {
  if (format != "json") return;
  g_json = true;
  spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
}

}  // namespace flint::cmd
