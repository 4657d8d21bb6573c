#pragma once
// Multi-perspective corroboration (CA/Browser Forum Baseline Requirements §3.2.2.9): combines
// what the primary perspective (the CA's own validation authority) and each remote perspective
// (`flint va-agent`) reported for one validation or CAA check into the one outcome the RA sees.
// Pure functions: no I/O, no clock, thread-compatible.
//
// Quorum. The primary must itself succeed. Of N remote perspectives, at most
// AllowedRemoteFailures(N) may fail to corroborate (BR §3.2.2.9's table):
//   N = 0 or 1   none may fail. The table starts at 2 remotes; with fewer a CA is not yet
//                compliant, and the only choice that still adds assurance is to require every
//                perspective configured (tolerating the single remote's failure would make it
//                decorative). N = 0 is single-perspective validation, exactly as without agents.
//   N = 2..5     at most 1 may fail.
//   N >= 6       at most 2 may fail.
// A remote that could not be asked or did not answer properly (connect or TLS failure, timeout,
// an answer that is not a well-formed report) counts as not corroborating.
//
// The error the client sees (RFC 8555 §8, the challenge's `error`):
//   - the primary failed: the primary's own error, unchanged (type and detail), as with a single
//     perspective;
//   - too many remotes failed: the type of the first remote, in configuration order, that
//     answered with a failure (its validation error: dns, connection, caa, ...); kConnection
//     when none of the failing remotes answered. The detail says how many of how many remote
//     perspectives did not corroborate, and for each of them, by name, its error type and detail
//     as it saw the target, or "unreachable". It never contains an agent's own address, URL or
//     resolver: why an agent was unreachable goes only to the audit record (PerspectiveReport).

#include <cstddef>
#include <string>
#include <vector>

#include "ra/validator.h"

namespace flint::perspective {

// What one remote perspective contributed. `report.error` is what the audit record keeps (for
// an unreachable agent it may name the agent's URL and the transport failure); `reached` says
// whether the agent answered, so that only a reached agent's error detail reaches the client.
struct RemoteResult {
  ra::PerspectiveReport report;
  bool reached = false;
};

// BR §3.2.2.9: how many of `remotes` remote perspectives may fail to corroborate.
size_t AllowedRemoteFailures(size_t remotes);

// The combined outcome: `perspectives` lists the primary's report first, then each remote's in
// the order given (so the audit record names every perspective), and `result` follows the rules
// above.
ra::ValidationOutcome Combine(ra::PerspectiveReport primary, std::vector<RemoteResult> remotes);

}  // namespace flint::perspective
