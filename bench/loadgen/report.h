#pragma once
// The load generator's report of one run, as text for people and as JSON for bench/compare.sh.

#include <string>
#include <vector>

#include "bench/loadgen/stats.h"

namespace flint::bench {

struct RunInfo {
  std::string mode;  // issue, nonce, directory
  std::string directory;
  int workers = 0;
  int names = 1;
  bool account_per_cert = false;
  double elapsed_s = 0;  // from the start gate to the last worker's last response
  bool stalled = false;  // no progress for the stall window: the run was cut short
  double active_s = 0;   // from the start gate to the last finished unit (100 ms resolution)
  int server_pid = 0;    // 0: no server figures
  ProcSample server_before, server_after;
  double client_cpu_s = 0;  // the load generator's own CPU over the measured period
  // With --sample-seconds: the server every N seconds (RSS flat over a long run? issue 5).
  struct Sample {
    double t_s = 0;
    long units = 0;  // issuances (or requests) finished so far
    ProcSample server;
  };
  std::vector<Sample> samples;
};

// JSON object (one line); the keys are described in docs/PERFORMANCE.md.
std::string JsonReport(const RunInfo& info, const WorkerStats& stats);

// A few aligned lines: throughput, latency table per request type, errors, server figures.
std::string TextReport(const RunInfo& info, const WorkerStats& stats);

}  // namespace flint::bench
