#pragma once
// Measurements of one load-generator run: latencies per request type and per whole issuance,
// error counts by kind, poll counts, and samples of a server process from /proc (proc(5)).
// WorkerStats is owned by one worker thread and merged after all workers joined.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace flint::bench {

// The request types of the RFC 8555 flow, in flow order.
enum class Op {
  kDirectory,    // GET directory (§7.1.1)
  kNewNonce,     // HEAD newNonce (§7.2)
  kNewAccount,   // POST newAccount (§7.3)
  kNewOrder,     // POST newOrder (§7.4)
  kAuthz,        // POST-as-GET authorization (§7.5)
  kChallenge,    // POST {} to the http-01 challenge (§7.5.1)
  kAuthzPoll,    // POST-as-GET authorization until valid
  kFinalize,     // POST finalize with a CSR (§7.4)
  kOrderPoll,    // POST-as-GET order until valid
  kCertificate,  // POST-as-GET certificate (§7.4.2)
};
inline constexpr size_t kOpCount = 10;
std::string_view OpName(Op op);

struct WorkerStats {
  std::array<std::vector<double>, kOpCount> op_ms;  // one entry per HTTP request
  std::vector<double> issuance_ms;                  // one entry per certificate received
  std::map<std::string, uint64_t> errors;           // "<op>: HTTP 400 badNonce" -> count
  uint64_t issued = 0;
  uint64_t failed = 0;  // issuances abandoned after an error
  uint64_t bad_nonce_retries = 0;
  uint64_t authz_polls = 0;
  uint64_t order_polls = 0;

  void Merge(const WorkerStats& other);
  uint64_t Requests() const;
  uint64_t ErrorCount() const;
};

struct Percentiles {
  size_t count = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
// Nearest-rank percentiles of `values` (milliseconds); all zero when empty.
Percentiles Summarize(std::vector<double> values);

// A sample of a process: CPU time (utime + stime of all its threads, /proc/PID/stat fields 14
// and 15), peak and current resident set size (/proc/PID/status VmHWM, VmRSS).
struct ProcSample {
  bool ok = false;
  double cpu_seconds = 0;
  long vm_hwm_kb = 0;
  long vm_rss_kb = 0;
};
ProcSample SampleProcess(int pid);

// CPU time (user + system) of this process so far.
double SelfCpuSeconds();

}  // namespace flint::bench
