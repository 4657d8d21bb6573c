#!/usr/bin/python3
"""Plots bench/results/latest.json: issuances/s and server CPU-ms per certificate against
concurrency, one line per server, the crypto floor as a dashed line. Needs python3-matplotlib.
usage: plot.py LATEST_JSON OUT_PNG"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f:
        result = json.load(f)
    rows = result["results"]
    servers = sorted({r["server"] for r in rows})
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    stalled_any = False
    for server in servers:
        pts = sorted((r["concurrency"], r) for r in rows if r["server"] == server)
        xs = [c for c, r in pts if r["issuances_per_s"] is not None]
        ax1.plot(xs, [r["issuances_per_s"] for c, r in pts if r["issuances_per_s"] is not None],
                 marker="o", label=server)
        xs2 = [c for c, r in pts if r["cpu_ms_per_cert"] is not None]
        ax2.plot(xs2, [r["cpu_ms_per_cert"] for c, r in pts if r["cpu_ms_per_cert"] is not None],
                 marker="o", label=server)
        for c, r in pts:  # cells that stalled, died or failed: red crosses, status written
            if r["status"] != "ok":
                ax1.plot([c], [r["issuances_per_s"] or 0], "x", color="red", markersize=10)
                if r["cpu_ms_per_cert"] is not None:
                    ax2.plot([c], [r["cpu_ms_per_cert"]], "x", color="red", markersize=10)
                ax1.annotate("stalled*", (c, r["issuances_per_s"] or 0), fontsize=7, color="red",
                             textcoords="offset points", xytext=(5, 3), annotation_clip=False)
                stalled_any = True
    floor = result.get("crypto_floor")
    if floor:
        ax2.axhline(floor["ms_per_cert"], linestyle="--", color="gray",
                    label=f"crypto floor {floor['ms_per_cert']:.2f} ms")
    for ax, title, ylabel in ((ax1, "Throughput", "issuances / s"),
                              (ax2, "Server CPU per certificate", "CPU ms / certificate")):
        ax.set_xscale("log", base=2)
        ax.set_xticks([1, 4, 16, 64])
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("concurrent clients")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower center" if ax is ax1 else "best", fontsize=8)
    meta = result.get("meta", {})
    fig.suptitle(f"flint vs Pebble, {meta.get('date', '')}, {meta.get('host_cpus', '?')} CPUs",
                 fontsize=10)
    if stalled_any:
        fig.text(0.01, 0.01, "x / * : the server stalled (deadlocked); its rate and CPU are until the "
                 "stall", fontsize=7, color="red")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main()
