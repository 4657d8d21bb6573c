#include "perspective/quorum.h"

#include <optional>

namespace flint::perspective {

size_t AllowedRemoteFailures(size_t remotes) {
  if (remotes <= 1) return 0;
  if (remotes <= 5) return 1;
  return 2;
}

namespace {

// "east: dns :: NXDOMAIN looking up TXT ..." or "west: unreachable".
std::string Disagreement(const RemoteResult& r) {
  if (!r.reached || !r.report.error) return r.report.name + ": unreachable";
  return r.report.name + ": " + std::string(core::ErrorTypeName(r.report.error->type)) + " :: " +
         r.report.error->detail;
}

}  // namespace

ra::ValidationOutcome Combine(ra::PerspectiveReport primary, std::vector<RemoteResult> remotes) {
  ra::ValidationOutcome outcome;
  std::optional<core::Error> primary_error = primary.error;
  outcome.perspectives.push_back(std::move(primary));

  std::vector<const RemoteResult*> failed;
  for (const RemoteResult& r : remotes) {
    if (!r.reached || r.report.error) failed.push_back(&r);
  }
  const size_t allowed = AllowedRemoteFailures(remotes.size());

  if (primary_error) {
    outcome.result = *primary_error;
  } else if (failed.size() > allowed) {
    core::ErrorType type = core::ErrorType::kConnection;
    for (const RemoteResult* r : failed) {
      if (r->reached && r->report.error) {
        type = r->report.error->type;
        break;
      }
    }
    std::string detail = std::to_string(failed.size()) + " of " + std::to_string(remotes.size()) +
                         " remote perspective" + (remotes.size() == 1 ? "" : "s") +
                         " did not corroborate (at most " + std::to_string(allowed) +
                         " may): ";
    for (size_t i = 0; i < failed.size(); ++i) {
      if (i > 0) detail += "; ";
      detail += Disagreement(*failed[i]);
    }
    outcome.result = core::Err(type, std::move(detail));
  }
  for (RemoteResult& r : remotes) {
    if (!r.reached && !r.report.error) {
      r.report.error = core::Err(core::ErrorType::kConnection, "unreachable");
    }
    outcome.perspectives.push_back(std::move(r.report));
  }
  return outcome;
}

}  // namespace flint::perspective
