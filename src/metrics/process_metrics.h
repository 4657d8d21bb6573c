#pragma once
// The standard process metrics every Prometheus client exposes (the names of the Go and Python
// clients' process collectors), read from /proc/self at each scrape: prometheus-cpp has none.
//   process_cpu_seconds_total        counter  user + system CPU time
//   process_resident_memory_bytes    gauge
//   process_virtual_memory_bytes     gauge
//   process_open_fds                 gauge    entries of /proc/self/fd
//   process_max_fds                  gauge    the soft RLIMIT_NOFILE
//   process_start_time_seconds       gauge    Unix time the process started
// A value that cannot be read is left out of the scrape, never reported as 0.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace flint::metrics {

// The fields of /proc/[pid]/stat (proc(5)) that the process metrics use.
struct ProcStat {
  uint64_t utime_ticks = 0;      // field 14
  uint64_t stime_ticks = 0;      // field 15
  uint64_t starttime_ticks = 0;  // field 22: clock ticks after boot
  uint64_t vsize_bytes = 0;      // field 23
  int64_t rss_pages = 0;         // field 24
};

// Parses one /proc/[pid]/stat line. The command name (field 2) may hold spaces and parentheses,
// so fields are counted from its last ')'. std::nullopt when the line is too short or malformed.
std::optional<ProcStat> ParseProcStat(std::string_view text);

// The "btime" line of /proc/stat: the boot time in Unix seconds.
std::optional<int64_t> ParseBootTime(std::string_view proc_stat);

class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace flint::metrics
