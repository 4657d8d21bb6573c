#!/usr/bin/python3
"""Issue 14's fairness figure: with N http-01 validations of one account in flight against a
tarpit (accepts, never answers), how long does another account's http-01 validation take?

Starts flint (FLINT_BIN, default build/flint), pebble-challtestsrv as its DNS, a tarpit on
127.0.0.2 and an honest responder on 127.0.0.1 (test/integration/fairness.py). For each run: a
fresh batch of N attacker challenges is answered, then one victim challenge, timed from its
answer to `valid`. Prints the victim's latency (median and max over the runs), the attacker's
throughput (validations finished per second, all failing at the deadline), and flint's resident
memory per validation in flight.

  /usr/bin/python3 bench/fairness.py [--runs 5] [--attackers 200] [--timeout 20s]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "integration"))
os.environ.setdefault("FLINT_BIN", os.path.join(HERE, "..", "build", "flint"))

from fairness import FairnessSetup, rss_bytes  # noqa: E402
from harness import RawFlow  # noqa: E402


class Checks:
    """What RawFlow needs of a unittest.TestCase."""

    def assertEqual(self, a, b, msg=None):
        if a != b:
            raise AssertionError(f"{a!r} != {b!r}: {msg!r}"[:500])

    def fail(self, msg):
        raise AssertionError(msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--attackers", type=int, default=200)
    ap.add_argument("--timeout", default="20s", help="flint --validation-timeout")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="flint-bench-fairness-")
    total = args.runs * args.attackers
    setup = FairnessSetup(workdir, [
        "--validation-timeout", args.timeout,
        "--max-pending-validations-per-account", str(total),
        "--max-validations-in-flight", str(max(1000, total + 10)),
        "--log-level", "warn"])
    try:
        setup.start()
        checks = Checks()
        attacker = RawFlow(checks, setup)
        victim = RawFlow(checks, setup)
        setup.victim(victim)  # warm-up: connections, caches
        rss_idle = rss_bytes(setup.pid())
        latencies, batches, in_flights = [], [], []
        for run in range(args.runs):
            challenges, started = setup.start_attack(attacker, args.attackers)
            in_flight = setup.tarpit.open_connections()
            rss = rss_bytes(setup.pid())
            authz, seconds = setup.victim(victim)
            if authz["status"] != "valid":
                raise AssertionError(f"victim validation failed: {authz}")
            latencies.append(seconds)
            in_flights.append(in_flight)
            batches.append((challenges, started))
            print(f"run {run + 1}: {in_flight} attacker validations in flight "
                  f"(tarpit connections open), victim valid in {seconds * 1000:.1f} ms, "
                  f"flint RSS {rss / 2**20:.1f} MiB", flush=True)
        per_validation = (rss - rss_idle) / max(1, in_flight)
        # Attacker throughput: every attacker validation ends at the deadline (invalid).
        t0 = batches[0][1]
        last = batches[-1][0]
        while True:
            authz = attacker.get(last[-1][0])
            if authz["status"] != "pending":
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - t0
        done = total
        print(f"victim latency over {args.runs} runs, {min(in_flights)} to {max(in_flights)} "
              f"attacker validations in flight: median {statistics.median(latencies) * 1000:.1f} "
              f"ms, max {max(latencies) * 1000:.1f} ms")
        print(f"attacker: {done} validations answered and finished (all invalid at the "
              f"{args.timeout} deadline) in {elapsed:.1f} s = {done / elapsed:.1f}/s")
        print(f"memory: RSS {rss_idle / 2**20:.1f} MiB idle, {rss / 2**20:.1f} MiB with "
              f"{in_flight} in flight: ~{per_validation / 1024:.1f} KiB per validation in flight")
    finally:
        setup.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
