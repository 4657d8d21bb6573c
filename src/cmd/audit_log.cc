#include "cmd/audit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>

#include "cmd/json_log.h"

namespace flint::cmd {
namespace {

core::Result<int> OpenAppend(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::Err(core::ErrorType::kInternal,
                     "cannot open audit log " + path + ": " + strerror(errno));
  }
  return fd;
}

}  // namespace

core::Result<std::unique_ptr<AuditFile>> AuditFile::Open(const std::string& path) {
  FLINT_ASSIGN_OR_RETURN(int fd, OpenAppend(path));
  return std::unique_ptr<AuditFile>(new AuditFile(path, fd));
}

AuditFile::~AuditFile() { ::close(fd_); }

core::Result<void> AuditFile::Reopen() {
  FLINT_ASSIGN_OR_RETURN(int fd, OpenAppend(path_));
  std::lock_guard<std::mutex> lock(mu_);
  ::close(fd_);
  fd_ = fd;
  return core::Ok();
}

core::Result<void> AuditFile::Append(std::string_view event, const boost::json::object& fields,
                                     std::chrono::system_clock::time_point ts) {
  boost::json::object line;
  line["ts"] = FormatRfc3339Millis(ts);
  line["event"] = event;
  for (const auto& [k, v] : fields) {
    if (k != "ts" && k != "event") line[k] = v;
  }
  std::string text = boost::json::serialize(line);
  text += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return core::Err(core::ErrorType::kInternal,
                       "writing audit log " + path_ + ": " + strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd_) != 0) {
    return core::Err(core::ErrorType::kInternal,
                     "fsync of audit log " + path_ + ": " + strerror(errno));
  }
  return core::Ok();
}

void LogAuditLog::Record(std::string_view event, boost::json::object fields) {
  const auto now = std::chrono::system_clock::now();
  if (file_ != nullptr) {
    auto written = file_->Append(event, fields, now);
    if (!written.ok()) spdlog::error("{}", written.error().detail);
  }
  if (JsonLogging()) {
    fields["audit"] = true;
    fields["event"] = event;
    ScopedLogFields scope(fields);
    spdlog::info("audit {}", event);
  } else {
    spdlog::info("audit {} {}", event, boost::json::serialize(fields));
  }
}

}  // namespace flint::cmd
