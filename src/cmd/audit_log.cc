#include "cmd/audit_log.h"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

namespace flint::cmd {

void LogAuditLog::Record(std::string_view event, boost::json::object fields) {
  spdlog::info("audit {} {}", event, boost::json::serialize(fields));
}

}  // namespace flint::cmd
