#include "bench/loadgen/report.h"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace flint::bench {

namespace {

boost::json::object PercentilesJson(const Percentiles& p) {
  return {{"count", p.count}, {"mean", p.mean}, {"p50", p.p50},
          {"p90", p.p90},     {"p99", p.p99},   {"max", p.max}};
}

double PerSecond(double n, double seconds) { return seconds > 0 ? n / seconds : 0; }
double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

// What one measured "unit" is: a certificate in issue mode, a request otherwise.
double Units(const RunInfo& info, const WorkerStats& s) {
  return info.mode == "issue" ? static_cast<double>(s.issued) : static_cast<double>(s.Requests());
}

double ServerCpu(const RunInfo& info) {
  return info.server_after.cpu_seconds - info.server_before.cpu_seconds;
}

bool HaveServer(const RunInfo& info) {
  return info.server_pid > 0 && info.server_before.ok && info.server_after.ok;
}

}  // namespace

std::string JsonReport(const RunInfo& info, const WorkerStats& s) {
  const double issued = static_cast<double>(s.issued);
  const double requests = static_cast<double>(s.Requests());
  boost::json::object o;
  o["mode"] = info.mode;
  o["directory"] = info.directory;
  o["workers"] = info.workers;
  o["names"] = info.names;
  o["account_per_cert"] = info.account_per_cert;
  o["elapsed_s"] = info.elapsed_s;
  o["stalled"] = info.stalled;
  o["issued"] = s.issued;
  o["failed"] = s.failed;
  o["issuances_per_s"] = PerSecond(issued, info.elapsed_s);
  // Until the last finished unit: the rate a stalled server kept before it stopped.
  o["active_s"] = info.active_s;
  o["issuances_per_s_active"] = PerSecond(issued, info.active_s);
  o["requests"] = s.Requests();
  o["requests_per_s"] = PerSecond(requests, info.elapsed_s);
  o["requests_per_issuance"] = Ratio(requests, issued);
  o["issuance_ms"] = PercentilesJson(Summarize(s.issuance_ms));
  boost::json::object per_op;
  for (size_t i = 0; i < kOpCount; ++i)
    if (!s.op_ms[i].empty()) per_op[OpName(static_cast<Op>(i))] = PercentilesJson(Summarize(s.op_ms[i]));
  o["requests_ms"] = std::move(per_op);
  boost::json::object errors;
  for (const auto& [kind, n] : s.errors) errors[kind] = n;
  o["errors"] = std::move(errors);
  o["error_count"] = s.ErrorCount();
  o["bad_nonce_retries"] = s.bad_nonce_retries;
  o["polls_per_issuance"] = {{"authz", Ratio(static_cast<double>(s.authz_polls), issued)},
                             {"order", Ratio(static_cast<double>(s.order_polls), issued)}};
  if (HaveServer(info)) {
    const double cpu = ServerCpu(info);
    o["server"] = {{"pid", info.server_pid},
                   {"cpu_s", cpu},
                   {"cpu_ms_per_unit", Ratio(cpu * 1e3, Units(info, s))},
                   {"cpu_ms_per_issuance", Ratio(cpu * 1e3, issued)},
                   {"cpu_us_per_request", Ratio(cpu * 1e6, requests)},
                   {"peak_rss_kb", info.server_after.vm_hwm_kb},
                   {"rss_kb", info.server_after.vm_rss_kb}};
  } else {
    o["server"] = nullptr;
  }
  boost::json::array samples;
  for (const RunInfo::Sample& x : info.samples) {
    samples.push_back({{"t_s", x.t_s}, {"units", x.units}, {"cpu_s", x.server.cpu_seconds},
                       {"rss_kb", x.server.vm_rss_kb}, {"peak_rss_kb", x.server.vm_hwm_kb}});
  }
  o["server_samples"] = std::move(samples);
  o["client"] = {{"cpu_s", info.client_cpu_s},
                 {"cpu_ms_per_unit", Ratio(info.client_cpu_s * 1e3, Units(info, s))}};
  return boost::json::serialize(o);
}

std::string TextReport(const RunInfo& info, const WorkerStats& s) {
  const double issued = static_cast<double>(s.issued);
  const double requests = static_cast<double>(s.Requests());
  std::string out = fmt::format("mode {} against {}: {} workers, {:.2f} s{}\n", info.mode,
                                info.directory, info.workers, info.elapsed_s,
                                info.stalled ? "  ** STALLED: no progress, run cut short **" : "");
  if (info.stalled) {
    out += fmt::format("last progress at {:.1f} s: {:.1f} issuances/s until then\n", info.active_s,
                       PerSecond(issued, info.active_s));
  }
  if (info.mode == "issue") {
    const Percentiles p = Summarize(s.issuance_ms);
    out += fmt::format(
        "issued {} ({} failed): {:.1f} issuances/s; issuance ms p50 {:.1f} p90 {:.1f} p99 {:.1f} "
        "max {:.1f}\n",
        s.issued, s.failed, PerSecond(issued, info.elapsed_s), p.p50, p.p90, p.p99, p.max);
    out += fmt::format("per issuance: {:.2f} requests, {:.2f} authz polls, {:.2f} order polls\n",
                       Ratio(requests, issued), Ratio(static_cast<double>(s.authz_polls), issued),
                       Ratio(static_cast<double>(s.order_polls), issued));
  }
  out += fmt::format("{} requests: {:.1f} requests/s\n", s.Requests(),
                     PerSecond(requests, info.elapsed_s));
  out += fmt::format("  {:<12} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "request", "count", "p50 ms",
                     "p90 ms", "p99 ms", "max ms");
  for (size_t i = 0; i < kOpCount; ++i) {
    if (s.op_ms[i].empty()) continue;
    const Percentiles p = Summarize(s.op_ms[i]);
    out += fmt::format("  {:<12} {:>8} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f}\n",
                       OpName(static_cast<Op>(i)), p.count, p.p50, p.p90, p.p99, p.max);
  }
  out += fmt::format("errors: {} (badNonce retries {})\n", s.ErrorCount(), s.bad_nonce_retries);
  for (const auto& [kind, n] : s.errors) out += fmt::format("  {:>6}  {}\n", n, kind);
  if (HaveServer(info)) {
    const double cpu = ServerCpu(info);
    out += fmt::format("server pid {}: {:.2f} s CPU, {:.3f} ms CPU per {}, peak RSS {:.1f} MiB "
                       "(now {:.1f} MiB)\n",
                       info.server_pid, cpu, Ratio(cpu * 1e3, Units(info, s)),
                       info.mode == "issue" ? "issuance" : "request",
                       static_cast<double>(info.server_after.vm_hwm_kb) / 1024.0,
                       static_cast<double>(info.server_after.vm_rss_kb) / 1024.0);
  }
  for (const RunInfo::Sample& x : info.samples) {
    out += fmt::format("  t={:>7.1f} s  units {:>8}  server RSS {:>7.1f} MiB  CPU {:>8.2f} s\n",
                       x.t_s, x.units, static_cast<double>(x.server.vm_rss_kb) / 1024.0,
                       x.server.cpu_seconds);
  }
  out += fmt::format("load generator: {:.2f} s CPU ({:.3f} ms per {})\n", info.client_cpu_s,
                     Ratio(info.client_cpu_s * 1e3, Units(info, s)),
                     info.mode == "issue" ? "issuance" : "request");
  return out;
}

}  // namespace flint::bench
