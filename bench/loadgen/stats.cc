#include "bench/loadgen/stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

namespace flint::bench {

std::string_view OpName(Op op) {
  static constexpr std::array<std::string_view, kOpCount> kNames = {
      "directory", "newNonce", "newAccount", "newOrder",  "authz",
      "challenge", "authzPoll", "finalize",  "orderPoll", "certificate"};
  return kNames[static_cast<size_t>(op)];
}

void WorkerStats::Merge(const WorkerStats& other) {
  for (size_t i = 0; i < kOpCount; ++i)
    op_ms[i].insert(op_ms[i].end(), other.op_ms[i].begin(), other.op_ms[i].end());
  issuance_ms.insert(issuance_ms.end(), other.issuance_ms.begin(), other.issuance_ms.end());
  for (const auto& [kind, n] : other.errors) errors[kind] += n;
  issued += other.issued;
  failed += other.failed;
  bad_nonce_retries += other.bad_nonce_retries;
  authz_polls += other.authz_polls;
  order_polls += other.order_polls;
}

uint64_t WorkerStats::Requests() const {
  uint64_t n = 0;
  for (const auto& v : op_ms) n += v.size();
  return n;
}

uint64_t WorkerStats::ErrorCount() const {
  uint64_t n = 0;
  for (const auto& [kind, count] : errors) n += count;
  return n;
}

Percentiles Summarize(std::vector<double> values) {
  Percentiles p;
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  p.count = values.size();
  p.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(p.count);
  auto rank = [&](double q) {
    size_t r = static_cast<size_t>(std::ceil(q * static_cast<double>(p.count)));
    return values[std::clamp<size_t>(r, 1, p.count) - 1];
  };
  p.p50 = rank(0.50);
  p.p90 = rank(0.90);
  p.p99 = rank(0.99);
  p.max = values.back();
  return p;
}

ProcSample SampleProcess(int pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // The command name (field 2) may hold spaces; fields are counted after its closing ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) s.vm_hwm_kb = std::stol(line.substr(6));
    if (line.rfind("VmRSS:", 0) == 0) s.vm_rss_kb = std::stol(line.substr(6));
  }
  s.ok = true;
  return s;
}

double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

}  // namespace flint::bench
