// flint's ACME load generator (issue 5): N worker threads, each with one persistent HTTPS
// connection to 127.0.0.1, run the whole RFC 8555 issuance flow (or hammer newNonce or the
// directory) for a fixed time or count, then print throughput, latency percentiles per request
// type and per issuance, errors by kind, and, given --server-pid, the server's CPU time per
// issuance and peak RSS. See docs/PERFORMANCE.md.
//
// Phases: setup (each worker fetches the directory and, unless --account-per-cert, creates its
// account), a start gate, the measured run, then the report. Exit status: 0 with no errors,
// 1 with errors, 2 on bad usage or when no worker got through setup, 3 when the run stalled.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "bench/loadgen/acme_client.h"
#include "bench/loadgen/http_client.h"
#include "bench/loadgen/report.h"
#include "bench/loadgen/stats.h"

namespace flint::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string directory;
  std::string ca_file;
  bool insecure = false;
  std::string mode = "issue";
  int workers = 4;
  double duration_s = 10;
  long count = 0;  // > 0: stop after this many issuances (or requests) in total
  int server_pid = 0;
  std::string json_path;
  std::string certs_path;  // non-empty: every certificate received is appended here
  int timeout_ms = 30000;
  int stall_s = 30;
  int sample_s = 0;  // > 0: sample the server every this many seconds
  bool quiet = false;
  FlowOptions flow;
};

// Shared between the workers and the monitoring main thread.
struct Shared {
  std::atomic<bool> stop{false};
  std::atomic<bool> abort{false};
  std::atomic<long> claimed{0};    // units started (count mode)
  std::atomic<long> progress{0};   // units finished successfully (a timeout is no progress)
  std::atomic<int> ready{0};       // workers through setup (or failed at it)
  std::atomic<int> finished{0};
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  Clock::time_point last_finish;  // guarded by mu
};

struct Worker {
  WorkerStats setup;
  WorkerStats run;
  bool setup_ok = false;
};

void RunWorker(const Options& opts, const Url& dir, std::shared_ptr<SSL_CTX> ctx, Shared& sh,
               Worker& w, uint64_t seed) {
  HttpsConnection conn(std::move(ctx), dir.host, dir.port,
                       std::chrono::milliseconds(opts.timeout_ms));
  FlowOptions flow = opts.flow;
  flow.abort = &sh.abort;
  AcmeClient client(conn, dir, flow, &w.setup, seed);
  auto set_up = client.FetchDirectory();
  if (set_up.ok() && opts.mode == "issue" && !opts.flow.account_per_cert)
    set_up = client.NewAccount();
  if (!set_up.ok() && !opts.quiet)
    std::fprintf(stderr, "loadgen: worker setup failed: %s\n", set_up.error().detail.c_str());
  w.setup_ok = set_up.ok();
  {
    std::unique_lock lock(sh.mu);
    sh.ready.fetch_add(1);
    sh.cv.notify_all();
    sh.cv.wait(lock, [&] { return sh.go; });
  }
  client.set_stats(&w.run);
  while (w.setup_ok && !sh.stop.load()) {
    if (opts.count > 0 && sh.claimed.fetch_add(1) >= opts.count) break;
    core::Result<void> r = core::Ok();
    if (opts.mode == "issue") r = client.IssueOne();
    else if (opts.mode == "nonce") r = client.HeadNewNonce();
    else r = client.GetDirectory();
    if (r.ok()) sh.progress.fetch_add(1);
  }
  std::lock_guard lock(sh.mu);
  sh.last_finish = std::max(sh.last_finish, Clock::now());
  sh.finished.fetch_add(1);
  sh.cv.notify_all();
}

// Waits for the workers, ending the run at the deadline and cutting it short on a stall.
// Returns whether the run stalled; sets info.active_s and info.samples.
bool Monitor(const Options& opts, Shared& sh, Clock::time_point start, RunInfo& info) {
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(opts.duration_s));
  long last_progress = 0;
  Clock::time_point last_change = start;
  bool stalled = false;
  Clock::time_point next_sample = start + std::chrono::seconds(opts.sample_s);
  std::unique_lock lock(sh.mu);
  while (sh.finished.load() < opts.workers) {
    sh.cv.wait_for(lock, std::chrono::milliseconds(100));
    const Clock::time_point now = Clock::now();
    if (opts.count <= 0 && now >= deadline) sh.stop = true;
    if (opts.sample_s > 0 && opts.server_pid > 0 && now >= next_sample) {
      next_sample += std::chrono::seconds(opts.sample_s);
      info.samples.push_back({std::chrono::duration<double>(now - start).count(),
                              sh.progress.load(), SampleProcess(opts.server_pid)});
    }
    const long p = sh.progress.load();
    if (p != last_progress) {
      last_progress = p;
      last_change = now;
    } else if (!stalled && now - last_change > std::chrono::seconds(opts.stall_s)) {
      stalled = true;
      sh.stop = true;
      sh.abort = true;
      std::fprintf(stderr, "loadgen: no progress for %d s: stopping (stall)\n", opts.stall_s);
    }
  }
  if (sh.progress.load() != last_progress) last_change = Clock::now();
  info.active_s = std::chrono::duration<double>(last_change - start).count();
  return stalled;
}

int Run(const Options& opts) {
  signal(SIGPIPE, SIG_IGN);
  auto dir = Url::Parse(opts.directory);
  if (!dir.ok()) {
    std::fprintf(stderr, "loadgen: --directory: %s\n", dir.error().detail.c_str());
    return 2;
  }
  auto ctx = MakeTlsClientContext(opts.ca_file, opts.insecure);
  if (!ctx.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", ctx.error().detail.c_str());
    return 2;
  }
  Shared sh;
  std::vector<Worker> workers(static_cast<size_t>(opts.workers));
  std::vector<std::thread> threads;
  std::random_device rd;
  for (int i = 0; i < opts.workers; ++i) {
    const uint64_t seed = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(i);
    threads.emplace_back(RunWorker, std::cref(opts), std::cref(*dir), *ctx, std::ref(sh),
                         std::ref(workers[static_cast<size_t>(i)]), seed);
  }
  RunInfo info;
  Clock::time_point start;
  {
    std::unique_lock lock(sh.mu);
    sh.cv.wait(lock, [&] { return sh.ready.load() == opts.workers; });
    if (opts.server_pid > 0) info.server_before = SampleProcess(opts.server_pid);
    info.client_cpu_s = SelfCpuSeconds();
    start = Clock::now();
    sh.last_finish = start;
    sh.go = true;
    sh.cv.notify_all();
  }
  info.stalled = Monitor(opts, sh, start, info);
  for (std::thread& t : threads) t.join();
  if (opts.server_pid > 0) info.server_after = SampleProcess(opts.server_pid);
  info.client_cpu_s = SelfCpuSeconds() - info.client_cpu_s;
  info.elapsed_s = std::chrono::duration<double>(sh.last_finish - start).count();
  info.mode = opts.mode;
  info.directory = opts.directory;
  info.workers = opts.workers;
  info.names = opts.flow.names;
  info.account_per_cert = opts.flow.account_per_cert;
  info.server_pid = opts.server_pid;

  WorkerStats total;
  int setup_ok = 0;
  for (Worker& w : workers) {
    total.Merge(w.run);
    for (const auto& [kind, n] : w.setup.errors) total.errors["setup " + kind] += n;
    setup_ok += w.setup_ok ? 1 : 0;
  }
  if (!opts.quiet) std::fputs(TextReport(info, total).c_str(), stdout);
  if (!opts.json_path.empty()) {
    std::ofstream out(opts.json_path);
    out << JsonReport(info, total) << "\n";
  }
  if (setup_ok == 0) return 2;
  if (info.stalled) return 3;
  return total.ErrorCount() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace flint::bench

int main(int argc, char** argv) {
  flint::bench::Options o;
  CLI::App app{"flint-loadgen: ACME (RFC 8555) load generator for 127.0.0.1 servers"};
  app.add_option("--directory", o.directory, "directory URL, e.g. https://localhost:14000/directory")
      ->required();
  app.add_option("--ca", o.ca_file, "PEM file of the root(s) that sign the server's TLS certificate");
  app.add_flag("--insecure", o.insecure, "do not verify the server's TLS certificate");
  app.add_option("--mode", o.mode, "issue (whole flow), nonce (HEAD newNonce) or directory (GET)")
      ->check(CLI::IsMember({"issue", "nonce", "directory"}));
  app.add_option("-c,--workers", o.workers, "concurrent workers (threads)")->check(CLI::Range(1, 1024));
  app.add_option("-d,--duration", o.duration_s, "seconds to run (ignored with --count)")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("-n,--count", o.count, "stop after this many issuances (requests in other modes)")
      ->check(CLI::Range(0L, 100000000L));
  app.add_option("--names", o.flow.names, "identifiers per order")->check(CLI::Range(1, 100));
  app.add_flag("--account-per-cert", o.flow.account_per_cert, "a new account for every issuance");
  app.add_option("--domain", o.flow.domain, "names are <random>.<domain>");
  app.add_option("--server-pid", o.server_pid, "report this process's CPU time and peak RSS");
  app.add_option("--json", o.json_path, "also write the report as JSON to this file");
  app.add_option("--certs-out", o.certs_path,
                 "append every certificate received (a '# UNIX_MS URL' line: when it was "
                 "received and its URL, then its PEM chain) to this file, e.g. to check "
                 "afterwards that each one is stored");
  app.add_option("--timeout-ms", o.timeout_ms, "socket read/write timeout")->check(CLI::Range(100, 600000));
  app.add_option("--stall-seconds", o.stall_s, "stop the run after this long without a successful issuance (request)")
      ->check(CLI::Range(1, 3600));
  int poll_initial = 1, poll_max = 50, poll_timeout = 60000;
  app.add_option("--poll-initial-ms", poll_initial, "first poll delay (doubles each poll)")
      ->check(CLI::Range(0, 60000));
  app.add_option("--poll-max-ms", poll_max, "longest poll delay")->check(CLI::Range(1, 60000));
  app.add_option("--poll-timeout-ms", poll_timeout, "give up polling one resource after this long")
      ->check(CLI::Range(1, 600000));
  app.add_option("--sample-seconds", o.sample_s,
                 "with --server-pid: record the server's RSS and CPU every N seconds")
      ->check(CLI::Range(0, 3600));
  app.add_flag("-q,--quiet", o.quiet, "no text report");
  CLI11_PARSE(app, argc, argv);
  o.flow.poll_initial = std::chrono::milliseconds(poll_initial);
  o.flow.poll_max = std::chrono::milliseconds(poll_max);
  o.flow.poll_timeout = std::chrono::milliseconds(poll_timeout);
  if (o.ca_file.empty() && !o.insecure) {
    std::fprintf(stderr, "loadgen: give --ca FILE or --insecure\n");
    return 2;
  }
  std::ofstream certs_out;
  std::mutex certs_mu;
  if (!o.certs_path.empty()) {
    certs_out.open(o.certs_path, std::ios::app);
    if (!certs_out) {
      std::fprintf(stderr, "loadgen: cannot open %s\n", o.certs_path.c_str());
      return 2;
    }
    o.flow.on_certificate = [&](const std::string& url, const std::string& pem) {
      std::lock_guard lock(certs_mu);
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      certs_out << "# " << ms << " " << url << "\n" << pem;
      if (!pem.empty() && pem.back() != '\n') certs_out << "\n";
      certs_out.flush();
    };
  }
  return flint::bench::Run(o);
}
