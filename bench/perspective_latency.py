#!/usr/bin/env python3
"""What multi-perspective validation costs, from flint's validation audit records (one
`audit validation {...}` log line per attempt, docs/VALIDATION.md): for each attempt, the whole
validation as the RA saw it, the primary perspective's own time, and the slowest remote
perspective's round trip (a new mutual-TLS connection, the agent's validation, the answer).

Usage: bench/perspective_latency.py FLINT_LOG...
e.g. after FLINT_IT_KEEP=1 python3 test/integration/test_perspective_clients.py:
    bench/perspective_latency.py /tmp/flint-it-certbot-*/flint.log /tmp/flint-it-lego-*/flint.log
"""

import json
import re
import statistics
import sys


def main(paths):
    rows = []
    for path in paths:
        with open(path, errors="replace") as f:
            text = f.read()
        for m in re.finditer(r"audit validation (\{.*\})\s*$", text, re.MULTILINE):
            r = json.loads(m.group(1))
            per = {p["name"]: p["elapsed_ms"] for p in r["perspectives"]}
            remotes = [v for k, v in per.items() if k != "primary"]
            rows.append((r["elapsed_ms"], per.get("primary", 0), max(remotes) if remotes else 0,
                         len(remotes)))
    if not rows:
        print("no validation audit records")
        return 1
    print(f"{len(rows)} validations, {max(r[3] for r in rows)} remote perspectives")
    for label, i in (("whole validation (RA)", 0), ("primary perspective", 1),
                     ("slowest remote perspective", 2)):
        values = sorted(r[i] for r in rows)
        print(f"{label:28s} median {statistics.median(values):7.1f} ms   max {values[-1]:5d} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
