#pragma once
// Where `flint serve` sends audit records (core/audit.h): each one becomes a log line
// "audit <event> <JSON object>" at info level, so that it survives with the rest of the log and
// stays machine-readable.

#include "core/audit.h"

namespace flint::cmd {

class LogAuditLog final : public core::AuditLog {
 public:
  void Record(std::string_view event, boost::json::object fields) override;
};

}  // namespace flint::cmd
