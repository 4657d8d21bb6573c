#!/usr/bin/python3
"""Turns one bench/compare.sh run into bench/results/latest.{json,md} and prints the table.

Inputs: the run's work directory (manifest.jsonl written by compare.sh, one loadgen --json report
per round), the `openssl speed ecdsap256` output, and run metadata as JSON. Per server and
concurrency it reports the median over rounds of issuances/s and of the p50/p99 issuance latency,
server CPU per certificate (all rounds' CPU over all rounds' certificates), the peak RSS, the
error count, and whether the server stalled, died or failed to start. Standard library only.
"""

import argparse
import json
import os
import re
import statistics
import sys

FLOOR_VERIFIES = 8  # 7 JWS (newOrder, authz, challenge, authz poll, finalize, order poll, cert) + CSR
FLOOR_SIGNS = 1     # the certificate, with the CA key


def crypto_floor(speed_path):
    """ms of CPU per certificate from `openssl speed ecdsap256` (sign/s and verify/s columns)."""
    with open(speed_path) as f:
        text = f.read()
    m = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", text)
    if not m:
        return None
    sign_s, verify_s = float(m.group(1)), float(m.group(2))
    return {"sign_per_s": sign_s, "verify_per_s": verify_s,
            "sign_us": 1e6 / sign_s, "verify_us": 1e6 / verify_s,
            "verifies": FLOOR_VERIFIES, "signs": FLOOR_SIGNS,
            "ms_per_cert": FLOOR_VERIFIES * 1e3 / verify_s + FLOOR_SIGNS * 1e3 / sign_s}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def rate(report):
    """Issuances/s; for a stalled run, until its last certificate rather than over the stall."""
    if report["stalled"] and report.get("active_s"):
        return report["issuances_per_s_active"]
    return report["issuances_per_s"]


def median(values):
    return statistics.median(values) if values else None


def transport_floor(entries, cells):
    """Server CPU per minimal request (GET of the directory), per server, and what it implies.

    The transport part of a certificate's floor: flint's measured requests per issuance, each at
    the cheaper server's per-request cost (markdown() adds the crypto floor to it).
    """
    per_request_us = {}
    for e in entries:
        if e.get("event") != "transport":
            continue
        r = load(e["report"])
        if r and r.get("server") and r["requests"]:
            per_request_us[e["server"]] = {"us": r["server"]["cpu_us_per_request"],
                                           "requests_per_s": r["requests_per_s"]}
    requests = median([s["requests_per_issuance"] for s in cells
                       if s["server"] == "flint" and s["requests_per_issuance"]])
    if not per_request_us or not requests:
        return None
    cheapest = min(v["us"] for v in per_request_us.values())
    return {"per_request": per_request_us, "requests_per_issuance": requests,
            "cheapest_us": cheapest, "ms_per_cert": cheapest * requests / 1e3}


def aggregate(entries, work):
    """Groups the manifest by (server, concurrency) and summarizes each group."""
    groups = {}
    for e in entries:
        if e.get("event") == "transport":
            continue
        key = (e["server"], e["concurrency"])
        g = groups.setdefault(key, {"server": e["server"], "concurrency": e["concurrency"],
                                    "rounds": [], "status": [], "store_bytes": None})
        if e.get("event") == "start-failed":
            g["status"].append("did not start")
        elif e.get("event") == "warmup-failed":
            r = load(e["report"])
            g["status"].append("STALLED in warm-up" if e["rc"] == 3 or (r and r["stalled"])
                               else f"FAILED in warm-up (loadgen exit {e['rc']})")
            if r:  # the warm-up's figures are all there is for this cell
                g["rounds"].append({"round": 0, "rc": e["rc"], "alive": True, "report": r})
        elif e.get("event") == "store":
            g["store_bytes"] = e["bytes"]
            extra = load(e["extra_report"]) if e.get("extra_report") else None
            g["extra_issued"] = extra["issued"] if extra else 0
        elif "round" in e:
            r = load(e["report"])
            g["rounds"].append({"round": e["round"], "rc": e["rc"], "alive": e["alive"],
                                "report": r})
            if r is None:
                g["status"].append(f"round {e['round']}: no report (loadgen exit {e['rc']})")
            elif r["stalled"]:
                g["status"].append(f"STALLED in round {e['round']}")
            elif e["rc"] == 2:
                g["status"].append(f"FAILED in round {e['round']}: no client got through setup")
            if not e["alive"]:
                g["status"].append(f"server DIED in round {e['round']}")
    out = []
    for (server, c), g in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        reports = [r["report"] for r in g["rounds"] if r["report"]]
        issued = sum(r["issued"] for r in reports)
        cpu = sum(r["server"]["cpu_s"] for r in reports if r.get("server"))
        warm = load(os.path.join(work, f"{server}-c{c}-warmup.json"))
        total_issued = issued + (warm["issued"] if warm else 0) + g.get("extra_issued", 0)
        s = {
            "server": server, "concurrency": c, "rounds": len(reports),
            # A stalled round counts at its rate until the stall (last certificate received).
            "issuances_per_s": median([rate(r) for r in reports]),
            "issuances_per_s_all": [rate(r) for r in reports],
            "until_stall": any(r["stalled"] for r in reports),
            "p50_ms": median([r["issuance_ms"]["p50"] for r in reports if r["issued"]]),
            "p99_ms": median([r["issuance_ms"]["p99"] for r in reports if r["issued"]]),
            "cpu_ms_per_cert": cpu * 1e3 / issued if issued else None,
            "peak_rss_mib": max((r["server"]["peak_rss_kb"] for r in reports if r.get("server")),
                                default=0) / 1024 or None,
            "issued": issued,
            "errors": sum(r["error_count"] for r in reports),
            "error_kinds": {},
            "requests_per_issuance": median([r["requests_per_issuance"] for r in reports
                                             if r["issued"]]),
            "client_cpu_ms_per_cert": (sum(r["client"]["cpu_s"] for r in reports) * 1e3 / issued
                                       if issued else None),
            "request_p50_ms": {},
            "status": "; ".join(g["status"]) or "ok",
            "store_bytes_per_cert": (g["store_bytes"] / total_issued
                                     if g["store_bytes"] and total_issued else None),
        }
        for r in reports:
            for kind, n in r["errors"].items():
                s["error_kinds"][kind] = s["error_kinds"].get(kind, 0) + n
            for op, p in r["requests_ms"].items():
                s["request_p50_ms"].setdefault(op, []).append(p["p50"])
        s["request_p50_ms"] = {op: median(v) for op, v in s["request_p50_ms"].items()}
        if not reports and s["status"] == "ok":
            s["status"] = "no results"
        out.append(s)
    return out


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    return a / b if a is not None and b else None


def markdown(result):
    floor = result["crypto_floor"]
    rows = result["results"]
    lines = []
    meta = result["meta"]
    lines.append(f"Run {meta.get('date')} on {meta.get('host_cpus')} CPUs ({meta.get('cpu')}), "
                 f"flint {meta.get('flint_rev')}, pebble {meta.get('pebble')}; "
                 f"{meta.get('rounds')} rounds x {meta.get('duration_s')} s per cell; "
                 f"loadgen args \"{meta.get('loadgen_args')}\".")
    lines.append("")
    if floor:
        lines.append(f"Crypto floor (`openssl speed ecdsap256`, this run): "
                     f"{floor['verifies']} verifies x {floor['verify_us']:.1f} us + "
                     f"{floor['signs']} sign x {floor['sign_us']:.1f} us = "
                     f"**{floor['ms_per_cert']:.3f} ms CPU per certificate**.")
        lines.append("")
    tf = result.get("transport_floor")
    if floor and tf:
        both = floor["ms_per_cert"] + tf["ms_per_cert"]
        lines.append("Transport floor (server CPU per GET of the directory on kept-alive TLS, "
                     "16 clients): " +
                     ", ".join(f"{srv} {v['us']:.1f} us ({v['requests_per_s']:.0f} requests/s)"
                               for srv, v in sorted(tf["per_request"].items())) +
                     f". An issuance is {tf['requests_per_issuance']:.2f} requests, so crypto + "
                     f"transport = {floor['ms_per_cert']:.3f} + {tf['ms_per_cert']:.3f} = "
                     f"**{both:.3f} ms ({both / floor['ms_per_cert']:.2f}x the crypto floor)** "
                     "before any storage or ACME logic.")
        lines.append("")
    lines.append("| conc | server | issuances/s | p50 ms | p99 ms | CPU ms/cert | x floor | "
                 "peak RSS MiB | errors | store B/cert | status |")
    lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    fl = floor["ms_per_cert"] if floor else None
    for s in rows:
        lines.append(
            f"| {s['concurrency']} | {s['server']} | {fmt(s['issuances_per_s'])}"
            f"{'*' if s['until_stall'] else ''} | "
            f"{fmt(s['p50_ms'])} | {fmt(s['p99_ms'])} | {fmt(s['cpu_ms_per_cert'], '.2f')} | "
            f"{fmt(ratio(s['cpu_ms_per_cert'], fl), '.1f')} | {fmt(s['peak_rss_mib'])} | "
            f"{s['errors']} | {fmt(s['store_bytes_per_cert'], '.0f')} | {s['status']} |")
    if any(s["until_stall"] for s in rows):
        lines.append("")
        lines.append("\\* until the stall: certificates received / time to the last one; the "
                     "latencies, CPU and errors of a stalled cell cover only that part of the run.")
    lines.append("")
    lines.append("| conc | issuances/s flint/Pebble | p99 flint/Pebble | CPU/cert flint/Pebble | "
                 "flint p99 / Pebble p50 | peak RSS flint/Pebble | note |")
    lines.append("|---:|---:|---:|---:|---:|---:|---|")
    by = {(s["server"], s["concurrency"]): s for s in rows}
    for c in sorted({s["concurrency"] for s in rows}):
        f, p = by.get(("flint", c)), by.get(("pebble", c))
        if not f or not p:
            continue
        if not p["issued"] or not f["issued"]:  # nothing to compare with
            lines.append(f"| {c} | n/a | n/a | n/a | n/a | n/a | Pebble: {p['status']} |")
            continue
        lines.append(
            f"| {c} | {fmt(ratio(f['issuances_per_s'], p['issuances_per_s']), '.2f')} | "
            f"{fmt(ratio(f['p99_ms'], p['p99_ms']), '.2f')} | "
            f"{fmt(ratio(f['cpu_ms_per_cert'], p['cpu_ms_per_cert']), '.2f')} | "
            f"{fmt(ratio(f['p99_ms'], p['p50_ms']), '.2f')} | "
            f"{fmt(ratio(f['peak_rss_mib'], p['peak_rss_mib']), '.2f')} | "
            f"{'Pebble until its stall: ' + p['status'] if p['status'] != 'ok' else ''} |")
    good = [s for s in rows if s["server"] == "pebble" and s["status"] == "ok"
            and s["issuances_per_s"]]
    if good:
        best = max(good, key=lambda s: s["issuances_per_s"])
        lines.append("")
        lines.append(f"Pebble's best throughput without a stall: {best['issuances_per_s']:.1f} "
                     f"issuances/s at concurrency {best['concurrency']}; flint against it: " +
                     ", ".join(f"c={f['concurrency']} {ratio(f['issuances_per_s'], best['issuances_per_s']):.2f}x"
                               for f in rows if f["server"] == "flint" and f["issuances_per_s"]) + ".")
    errs = [(s["server"], s["concurrency"], k, n) for s in rows for k, n in s["error_kinds"].items()]
    if errs:
        lines.append("")
        lines.append("Errors by kind:")
        for server, c, k, n in errs:
            lines.append(f"- {server} c={c}: {n} x `{k}`")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--speed", required=True)
    ap.add_argument("--meta", default="{}")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.work, "manifest.jsonl")) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    cells = aggregate(entries, args.work)
    result = {"meta": json.loads(args.meta), "crypto_floor": crypto_floor(args.speed),
              "transport_floor": transport_floor(entries, cells), "results": cells}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(result, f, indent=1)
    md = markdown(result)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(md)
    sys.stdout.write("\n" + md)


if __name__ == "__main__":
    main()
