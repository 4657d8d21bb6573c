#pragma once
// `--log-format json`: every log line becomes one JSON object on one line (JSON Lines), for log
// shippers that parse rather than grep:
//   {"ts":"2026-12-02T17:10:47.123Z","level":"info","msg":"request","method":"POST",...}
// - `ts` is RFC 3339 in UTC with milliseconds; `level` is spdlog's level name.
// - A message of words followed by key=value pairs (flint's log style: "request method=GET
//   status=200 ...") becomes `msg` (the words) plus one string field per pair; any other
//   message is `msg` as it is. Both are JSON-escaped (quotes, control characters, newlines), so a
//   multi-line message is still one line. Bytes that are not well-formed UTF-8 (a client's
//   request path) become U+FFFD, so every line is valid JSON.
// - Structured fields attached with ScopedLogFields (audit records, cmd/audit_log.h) are added as
//   fields of that line, keeping their JSON types; they win over pairs parsed from the message.
//
// The formatter runs on the logging thread (flint's loggers are synchronous), which is what lets
// ScopedLogFields pass fields through a thread_local.

#include <spdlog/formatter.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace flint::cmd {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// `ts` as RFC 3339 in UTC with milliseconds: "2026-12-02T17:10:47.123Z".
std::string FormatRfc3339Millis(std::chrono::system_clock::time_point ts);

// The JSON line for one message (exposed for tests).
std::string FormatJsonLogLine(std::chrono::system_clock::time_point ts, std::string_view level,
                              std::string_view payload, const boost::json::object* fields);

// While alive, log calls on this thread carry `fields` as structured fields (JSON format) of
// their line. Not nestable across threads; nesting on one thread replaces, then restores.
class ScopedLogFields {
 public:
  explicit ScopedLogFields(const boost::json::object& fields);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  const boost::json::object* previous_;
};

// Whether the process logs in JSON (set once at start-up by ConfigureLogFormat).
bool JsonLogging();

// Installs the formatter on every sink of the default logger when `format` is "json"; "text"
// keeps spdlog's default pattern. Call after the default logger is set up, before threads start.
void ConfigureLogFormat(const std::string& format);

}  // namespace flint::cmd
