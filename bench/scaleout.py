#!/usr/bin/python3
"""Scale-out throughput (issue 13): issuances/s and server CPU per certificate through HAProxy
with 1, 2 and 3 flint instances, on SQLite (one file shared with --shared-nonces) and on
PostgreSQL (--db), measured in one run on this machine.

Each configuration starts fresh: a throwaway PostgreSQL 15 server for the PostgreSQL rows, N
`flint serve --skip-validation` instances sharing the CA, and HAProxy terminating TLS and
sending every request on a new connection to the next instance (test/integration/scaleout.py,
the same set-up the integration test uses). bench/loadgen drives the issuance flow through
HAProxy at one concurrency for a warm-up and then DURATION seconds; CPU is read from /proc for
the flint processes, the PostgreSQL processes and HAProxy over the measured run. Everything
listens on and talks to 127.0.0.1 only; processes are stopped by PID.

  KEEP=1 keeps each configuration's directory (logs) and prints its path.

  bench/scaleout.py [--instances 1,2,3] [--backends sqlite,postgresql] [--duration 20]
                    [--concurrency 16] [--out bench/results/scaleout]

Results: a Markdown table on stdout and in OUT/latest.md, the figures in OUT/latest.json.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))
os.environ.setdefault("FLINT_BIN", os.path.join(ROOT, "build", "flint"))
from scaleout import ClusterServer  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def tree_pids(root_pid):
    """root_pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            continue
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            continue
    return total / TICKS


def loadgen(base, root_pem, concurrency, duration, json_path):
    cmd = [os.path.join(ROOT, "build", "bench", "loadgen"), "--directory", base + "/directory",
           "--ca", root_pem, "-c", str(concurrency), "-d", str(duration), "--json", json_path,
           "-q", "--stall-seconds", "30"]
    # loadgen exits non-zero when anything failed; the report says what.
    subprocess.run(cmd, timeout=duration + 120)
    with open(json_path) as f:
        report = json.load(f)
    if report["error_count"]:
        print(f"loadgen errors: {report['errors']}", file=sys.stderr)
    return report


def run_config(backend, n, args):
    work = tempfile.mkdtemp(prefix=f"flint-scaleout-{backend}-{n}-")
    cluster = ClusterServer(work, instances=n, args=["--skip-validation"], backend=backend,
                            new_connection_per_request=not args.keep_alive)
    try:
        cluster.start()
        root_pem = cluster.tls_ca
        loadgen(cluster.base, root_pem, args.concurrency, args.warmup,
                os.path.join(work, "warm.json"))
        flint_pids = [p for x in cluster.instances for p in tree_pids(x.proc.pid)]
        pg_pids = tree_pids(cluster.pg.proc.pid) if cluster.pg else []
        ha_pids = tree_pids(cluster.haproxy.proc.pid)
        before = (cpu_seconds(flint_pids), cpu_seconds(pg_pids), cpu_seconds(ha_pids))
        report = loadgen(cluster.base, root_pem, args.concurrency, args.duration,
                         os.path.join(work, "run.json"))
        after = (cpu_seconds(flint_pids), cpu_seconds(pg_pids), cpu_seconds(ha_pids))
        issued = report["issued"]
        per = (lambda cpu: round(1000 * cpu / issued, 2) if issued else None)
        served = [x.requests_served() for x in cluster.instances]
        return {
            "backend": backend, "instances": n, "concurrency": args.concurrency,
            "duration_s": args.duration, "issued": issued,
            "issuances_per_s": round(report["issuances_per_s"], 1),
            "errors": report["error_count"], "stalled": report["stalled"],
            "p50_ms": round(report["issuance_ms"]["p50"], 1),
            "p99_ms": round(report["issuance_ms"]["p99"], 1),
            "flint_cpu_ms_per_cert": per(after[0] - before[0]),
            "db_cpu_ms_per_cert": per(after[1] - before[1]) if cluster.pg else None,
            "haproxy_cpu_ms_per_cert": per(after[2] - before[2]),
            "requests_per_instance": served,
        }
    finally:
        cluster.stop()
        if os.environ.get("KEEP"):
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--instances", default="1,2,3")
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--duration", type=float, default=20)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--keep-alive", action="store_true",
                   help="HAProxy keeps connections to the instances (requests are still "
                        "balanced one by one) instead of a new one per request")
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "scaleout"))
    args = p.parse_args()
    rows = []
    for backend in args.backends.split(","):
        for n in [int(x) for x in args.instances.split(",")]:
            row = run_config(backend, n, args)
            rows.append(row)
            print(json.dumps(row), flush=True)
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    mode = ("kept-alive connections to the instances" if args.keep_alive
            else "a new connection to an instance per request")
    lines = [f"Scale-out through HAProxy ({mode}), flint {rev}, "
             f"{os.cpu_count()} cores, concurrency {args.concurrency}, {args.duration:g} s per row, "
             "flint serve --skip-validation.", "",
             "| backend | instances | issuances/s | errors | p50 ms | p99 ms | flint CPU ms/cert "
             "| database CPU ms/cert | HAProxy CPU ms/cert |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['backend']} | {r['instances']} | {r['issuances_per_s']} | "
                     f"{r['errors']} | {r['p50_ms']} | {r['p99_ms']} | "
                     f"{r['flint_cpu_ms_per_cert']} | {r['db_cpu_ms_per_cert'] or '-'} | "
                     f"{r['haproxy_cpu_ms_per_cert']} |")
    table = "\n".join(lines) + "\n"
    print(table)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(table)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"revision": rev, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
