#include "core/audit.h"

namespace flint::core {

namespace {

class NullAuditLog final : public AuditLog {
 public:
  void Record(std::string_view, boost::json::object) override {}
};

}  // namespace

AuditLog& NoAuditLog() {
  static NullAuditLog log;
  return log;
}

}  // namespace flint::core
