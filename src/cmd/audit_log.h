#pragma once
// Where flint sends audit records (core/audit.h).
//
// LogAuditLog: each record becomes a log line at info level, so that it survives with the rest
// of the log. In text format the line is "audit <event> <JSON object>"; in JSON format
// (--log-format json, cmd/json_log.h) the record's fields are fields of the line, with
// "audit": true and "event": "<event>" (msg "audit <event>").
//
// AuditFile (--audit-log FILE): records also go to their own append-only file, one JSON object
// per line {"ts": RFC 3339 ms, "event": ..., fields...}. The file is opened O_APPEND with mode
// 0600 (created so; an existing file is not widened), each line is written with one write(2)
// and fsync(2)ed before Record returns, so a record the RA reported is on disk before the
// response that depends on it. Reopen() (on SIGHUP) reopens the path, for log rotation.
// Write failures are logged as errors (the record is still in the log).
//
// Thread-safe.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "core/audit.h"
#include "core/result.h"

namespace flint::cmd {

class AuditFile {
 public:
  // Opens (creating with 0600) `path` for appending. kInternal if it cannot.
  static core::Result<std::unique_ptr<AuditFile>> Open(const std::string& path);
  ~AuditFile();
  AuditFile(const AuditFile&) = delete;
  AuditFile& operator=(const AuditFile&) = delete;

  // Appends one record and syncs it. kInternal on a failed write or fsync.
  core::Result<void> Append(std::string_view event, const boost::json::object& fields,
                            std::chrono::system_clock::time_point ts);
  // Reopens the path (after rotation). On failure the old descriptor stays in use.
  core::Result<void> Reopen();
  const std::string& path() const { return path_; }

 private:
  AuditFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  const std::string path_;
  std::mutex mu_;
  int fd_;  // guarded by mu_
};

class LogAuditLog final : public core::AuditLog {
 public:
  // `file` (optional) also receives every record; it must outlive this object.
  explicit LogAuditLog(AuditFile* file = nullptr) : file_(file) {}
  void Record(std::string_view event, boost::json::object fields) override;

 private:
  AuditFile* file_;
};

}  // namespace flint::cmd
