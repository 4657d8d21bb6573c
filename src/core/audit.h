#pragma once
// Audit records: one structured record per event an auditor asks a CA to keep (a validation
// attempt, with what each network perspective saw: CA/Browser Forum Baseline Requirements
// §5.4.1; issuances, revocations and account changes). Injected like core::Metrics: the RA reports
// here, `cmd` decides where records go (the log, a dedicated file).
//
// Implementations are thread-safe. Record may block briefly (a file write and fsync), never on
// the network.

#include <string_view>

#include <boost/json/object.hpp>

namespace flint::core {

class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // One event: `event` names its kind ("validation", ...); `fields` are its data. Keys are
  // lowercase snake_case; values never carry secrets (keys, EAB MACs, nonces).
  virtual void Record(std::string_view event, boost::json::object fields) = 0;
};

// A process-wide AuditLog that records nothing.
AuditLog& NoAuditLog();

}  // namespace flint::core
