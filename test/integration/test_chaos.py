"""Issue 13, item 5: chaos under load. scripts/cluster.sh brings up the whole scale-out cluster
(etcd, two Patroni-managed PostgreSQL 15 nodes behind HAProxy on 15432, three flint instances
on --db behind HAProxy on 14000) in a private CLUSTER_DIR; bench/loadgen issues certificates
through 14000 at concurrency 16 for 65 s, and meanwhile

  at 15 s  one flint instance is killed with SIGKILL (cluster.sh kill-flint 2; it stays down),
  at 30 s  Patroni switches the primary over to the replica (cluster.sh switchover, which
           returns once the old leader streams again; the load goes on meanwhile).

Then: every certificate loadgen received is in the database, byte for byte (one SQL query for
all), and downloadable (`flint admin --json certs show SERIAL` returns the same certificate, for
every one received within 5 s of the kill and of the old leader's demotion, and for 20 others
at random; the ACME download body, chain_pem, is compared for all); no serial repeats (neither among the received
certificates nor in the database); certificates kept coming after the kill and after HAProxy
reached the new primary. Errors are reported, not failed on (a 503 while the database switches
over is the documented behaviour); the test fails if the run stalled or nothing came after an
event.

The measured figures (issuances/s overall and per phase, loadgen errors by kind, the longest gap
between received certificates around the kill and during the switchover, the switchover's
steps, 5xx responses and warnings in the flint logs) are printed, and written as JSON under
$FLINT_CHAOS_OUT when it is set (with a copy of the cluster's logs). On failure the work
directory (cluster logs, loadgen's certificates and report) is kept and named.

The cluster uses scripts/cluster.sh's fixed ports (12379-18009, see docs/SCALE-OUT.md): ctest
runs this test under RESOURCE_LOCK cluster, and it fails at `up` if another cluster holds them.
About 3-3.5 minutes on the shared 2-core VM (up ~40 s, load 65 s, checks ~70 s, down ~15 s). Alone:
  FLINT_BIN=build/flint python3 test/integration/test_chaos.py
"""

import concurrent.futures
import datetime
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLUSTER_SH = os.path.join(REPO, "scripts", "cluster.sh")
FLINT = os.path.abspath(os.environ.get("FLINT_BIN", os.path.join(REPO, "build", "flint")))
DER = Encoding.DER
LOADGEN = os.path.join(os.path.dirname(FLINT), "bench", "loadgen")
DB_URI = "postgresql://flint@127.0.0.1:15432/flint"
PSQL = ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "15432",
        "-U", "flint", "-d", "flint"]

DURATION_S = 65          # loadgen run
KILL_AT_S = 15           # after loadgen started
SWITCHOVER_AT_S = 30
WORKERS = 16
WINDOW_S = 5             # certificates within +-5 s of an event are all checked with flint admin
SAMPLE = 20              # plus this many others, at random


def log(msg):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_certs(path):
    """[(unix_ms, url, leaf x509.Certificate, PEM chain)] from loadgen --certs-out."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        text = f.read()
    for block in re.split(r"^(?=# \d+ )", text, flags=re.M):
        if not block.startswith("# "):
            continue
        header, _, pem = block.partition("\n")
        _, ms, url = header.split(" ", 2)
        leaf = x509.load_pem_x509_certificate(pem.encode())
        out.append((int(ms), url.strip(), leaf, pem))
    return out


def longest_gap(times_ms, start_ms, end_ms, run_start_ms, run_end_ms):
    """Longest gap, in seconds, between consecutive certificate arrivals (sorted unix ms) among
    those gaps that overlap [start_ms, end_ms]; the run's start and end count as arrivals."""
    points = [run_start_ms, *times_ms, run_end_ms]
    return max((b - a) / 1000 for a, b in zip(points, points[1:])
               if b >= start_ms and a <= end_ms)


class ChaosTest(unittest.TestCase):
    def setUp(self):
        missing = [b for b in ("patroni", "patronictl", "etcd", "etcdctl", "haproxy")
                   if shutil.which(b) is None]
        if missing:
            raise unittest.SkipTest("missing " + ", ".join(missing) +
                                    ": scripts/deps.sh --test (or --cluster)")
        for b in (FLINT, LOADGEN):
            self.assertTrue(os.access(b, os.X_OK), f"no executable {b}")
        self.work = tempfile.mkdtemp(prefix="flint-chaos-")
        os.chmod(self.work, 0o755)  # Patroni and PostgreSQL run as postgres
        self.cluster_dir = os.path.join(self.work, "cluster")
        self.env = dict(os.environ, CLUSTER_DIR=self.cluster_dir, FLINT_BIN=FLINT,
                        FLINT_EXTRA_ARGS="--skip-validation", CLUSTER_NO_DEPS="1")
        self.out_dir = os.environ.get("FLINT_CHAOS_OUT")
        self.stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        # ctest (or a user) stopping the test with SIGTERM still brings the cluster down
        self.old_term = signal.signal(signal.SIGTERM, self._on_term)
        self.passed = False

    def _on_term(self, signum, frame):
        # an ordinary exception (unittest lets KeyboardInterrupt skip tearDown)
        raise RuntimeError("SIGTERM: stopping the chaos test")

    def cluster(self, *args, timeout=180, check=True):
        t0 = time.time()
        r = subprocess.run(["bash", CLUSTER_SH, *args], env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"cluster.sh {' '.join(args)} failed ({r.returncode}) after "
                                 f"{time.time() - t0:.1f}s:\n{r.stdout}\n{r.stderr}")
        return r

    def tearDown(self):
        signal.signal(signal.SIGTERM, self.old_term)
        failed = not self.passed
        logs = os.path.join(self.cluster_dir, "logs")
        if os.path.isdir(logs):
            if self.out_dir:
                os.makedirs(self.out_dir, exist_ok=True)
                shutil.copytree(logs, os.path.join(self.out_dir, f"chaos-{self.stamp}-logs"))
            shutil.copytree(logs, os.path.join(self.work, "logs"))
        if os.path.exists(self.cluster_dir):
            log("cluster.sh down")
            r = self.cluster("down", timeout=180, check=False)
            if r.returncode != 0:
                log(f"cluster.sh down failed:\n{r.stderr}")
        if failed:
            log(f"kept {self.work} (cluster logs in {self.work}/logs)")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def admin_show(self, serial_hex):
        r = subprocess.run([FLINT, "admin", "--data", os.path.join(self.cluster_dir, "flint", "1"),
                            "--db", DB_URI, "--json", "certs", "show", serial_hex],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            return None, r.stderr.strip()
        return json.loads(r.stdout), None

    def test_kill_and_switchover_under_load(self):
        t_up = time.time()
        log(f"cluster.sh up in {self.cluster_dir}")
        self.cluster("up", timeout=240)
        up_s = time.time() - t_up
        log(f"up after {up_s:.0f}s")

        certs_path = os.path.join(self.work, "certs.txt")
        json_path = os.path.join(self.work, "loadgen.json")
        root = os.path.join(self.cluster_dir, "flint", "1", "root.pem")
        lg_log = open(os.path.join(self.work, "loadgen.log"), "w")
        sw_err = open(os.path.join(self.work, "switchover.log"), "w+")
        t0 = time.time()
        lg = subprocess.Popen([LOADGEN, "--directory", "https://localhost:14000/directory",
                               "--ca", root, "-c", str(WORKERS), "-d", str(DURATION_S),
                               "--stall-seconds", "30", "--json", json_path,
                               "--certs-out", certs_path, "-q"],
                              stdout=lg_log, stderr=subprocess.STDOUT)
        sw = None
        events = {}
        try:
            time.sleep(max(0, t0 + KILL_AT_S - time.time()))
            events["kill"] = time.time()
            self.cluster("kill-flint", "2", timeout=30)
            log(f"flint 2 killed ({time.time() - events['kill']:.1f}s)")

            time.sleep(max(0, t0 + SWITCHOVER_AT_S - time.time()))
            # in the background: the command waits until the old leader streams again, which
            # under this load takes half a minute; the load goes on meanwhile
            events["switchover_start"] = time.time()
            sw = subprocess.Popen(["bash", CLUSTER_SH, "switchover"], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=sw_err)
            sw_rc = sw.wait(timeout=150)
            events["switchover_end"] = time.time()
            log(f"switchover command took {events['switchover_end'] - events['switchover_start']:.1f}s")
            lg.wait(timeout=DURATION_S + 90)
        finally:
            for p in (lg, sw):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()
            lg_log.close()
            sw_err.seek(0)
            sw_log = sw_err.read()
            sw_err.close()
        t_end = time.time()
        self.assertEqual(sw_rc, 0, f"cluster.sh switchover failed:\n{sw_log}")
        # loadgen exits 1 when any request failed (expected here), 2 when no worker got through
        # its setup, 3 when the run stalled
        with open(os.path.join(self.work, "loadgen.log")) as f:
            lg_out = f.read()
        self.assertIn(lg.returncode, (0, 1, 3), f"loadgen exited {lg.returncode}: {lg_out[-2000:]}")
        with open(json_path) as f:
            report = json.load(f)

        # the switchover's steps from cluster.sh's log ("pg2 is leader after 7s", "HAProxy 15432
        # reaches pg2 after 10s", "switchover done (...) after 15s": whole seconds, counted from
        # the command's start)
        def after(pattern):
            m = re.search(pattern + r".* after (\d+)s", sw_log)
            return int(m.group(1)) if m else None
        steps = {"cluster_sh_new_leader_s": after(r"is leader"),
                 "cluster_sh_haproxy_follows_s": after(r"HAProxy \d+ reaches"),
                 "cluster_sh_old_leader_streaming_s": after(r"switchover done"),
                 "command_s": round(events["switchover_end"] - events["switchover_start"], 1)}
        self.assertIsNotNone(steps["cluster_sh_haproxy_follows_s"], sw_log)
        ms = {k: int(v * 1000) for k, v in events.items()}
        # to the millisecond, from the Patroni and HAProxy logs: when the old leader began to
        # demote itself, when the new one was promoted, and the first session HAProxy sent to it
        ms.update(self.switchover_times(ms["switchover_start"]))
        for a, b, name in (("patroni_request", "demote", "request_to_demote_s"),
                           ("demote", "promoted", "demote_to_promoted_s"),
                           ("demote", "haproxy_new_primary", "demote_to_haproxy_new_primary_s")):
            if a in ms and b in ms:
                steps[name] = round((ms[b] - ms[a]) / 1000, 2)
        if "haproxy_new_primary" not in ms:  # the script's whole seconds, then
            ms["haproxy_new_primary"] = (ms["switchover_start"]
                                         + 1000 * steps["cluster_sh_haproxy_follows_s"])
        ms.setdefault("demote", ms["switchover_start"])
        start_ms, end_ms = int(t0 * 1000), int(t_end * 1000)

        received = parse_certs(certs_path)
        times = sorted(c[0] for c in received)
        serials = [c[2].serial_number for c in received]

        # the database: every serial once; every received certificate there, byte for byte
        t_check = time.time()
        # (der: the certificate; chain_pem: what its ACME URL serves)
        rows = subprocess.run(PSQL + ["-F", " ", "-c",
                                      "select serial, encode(der, 'hex'), "
                                      "encode(convert_to(chain_pem, 'UTF8'), 'hex') "
                                      "from certificates"],
                              capture_output=True, text=True, timeout=60, check=True).stdout
        db = {}
        for line in rows.splitlines():
            s, der, chain = line.split(" ")
            db[int(s, 16)] = (bytes.fromhex(der), bytes.fromhex(chain).decode().strip())
        counts = subprocess.run(PSQL + ["-c", "select count(*), count(distinct serial) from "
                                        "certificates"], capture_output=True, text=True,
                                timeout=60, check=True).stdout.strip().split("|")
        missing = [format(leaf.serial_number, "x") for _, _, leaf, _ in received
                   if leaf.serial_number not in db]
        differ = [format(leaf.serial_number, "x") for _, _, leaf, chain in received
                  if leaf.serial_number in db
                  and db[leaf.serial_number] != (leaf.public_bytes(DER), chain.strip())]

        # downloadable through flint admin: every certificate received within WINDOW_S of the
        # kill and of the old leader's demotion, and a sample of the others
        def is_near(t):
            return any(abs(t - ms[e]) <= WINDOW_S * 1000 for e in ("kill", "demote"))
        near = [c for c in received if is_near(c[0])]
        others = [c for c in received if not is_near(c[0])]
        check = near + random.sample(others, min(SAMPLE, len(others)))

        def verify(c):
            got, err = self.admin_show(format(c[2].serial_number, "x"))
            if got is None:
                return f"{c[1]}: flint admin: {err}"
            try:
                der = x509.load_pem_x509_certificate(got.get("pem", "").encode()).public_bytes(DER)
            except Exception as e:  # noqa: BLE001
                return f"{c[1]}: flint admin returned no PEM certificate ({e})"
            if der != c[2].public_bytes(DER):
                return f"{c[1]}: flint admin returned another certificate"
            return None
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            bad = [m for m in pool.map(verify, check) if m]
        check_s = time.time() - t_check

        def phase(a, b):
            n = sum(1 for t in times if a <= t < b)
            return {"s": round((b - a) / 1000, 1), "certs": n,
                    "per_s": round(n * 1000 / (b - a), 1) if b > a else None}
        phases = {
            "before_kill": phase(start_ms, ms["kill"]),
            "kill_to_switchover": phase(ms["kill"], ms["switchover_start"]),
            "switchover_to_demote": phase(ms["switchover_start"], ms["demote"]),
            "demote_to_haproxy_new_primary": phase(ms["demote"], ms["haproxy_new_primary"]),
            "haproxy_new_primary_to_end": phase(ms["haproxy_new_primary"], end_ms),
            "after_switchover_command": phase(ms["switchover_end"], end_ms),
        }
        figures = {
            "when": self.stamp,
            "cluster_up_s": round(up_s, 1),
            "loadgen": {k: report.get(k) for k in ("workers", "elapsed_s", "stalled", "issued",
                                                    "failed", "issuances_per_s", "error_count",
                                                    "errors", "bad_nonce_retries")},
            "loadgen_exit": lg.returncode,
            "received_certificates": len(received),
            "events_s_after_start": {k: round((v - start_ms) / 1000, 1) for k, v in ms.items()},
            "switchover": steps,
            "longest_stall_s": {
                # the longest gap between consecutive certificates that overlaps the 10 s after
                # the kill, and the time from the switchover command's start to its end
                "kill": longest_gap(times, ms["kill"], ms["kill"] + 10_000, start_ms, end_ms),
                "switchover": longest_gap(times, ms["switchover_start"], ms["switchover_end"],
                                          start_ms, end_ms),
            },
            "phases": phases,
            "database": {"rows": int(counts[0]), "distinct_serials": int(counts[1])},
            "checked_with_flint_admin": len(check),
            "check_s": round(check_s, 1),
            "flint_logs": self.flint_log_summary(),
        }
        text = json.dumps(figures, indent=2)
        print(text, flush=True)
        if self.out_dir:
            os.makedirs(self.out_dir, exist_ok=True)
            with open(os.path.join(self.out_dir, f"chaos-{self.stamp}.json"), "w") as f:
                f.write(text + "\n")

        self.assertGreater(len(received), 0, "loadgen received no certificate")
        self.assertFalse(report.get("stalled"), "loadgen stalled (no issuance for 30 s)")
        self.assertEqual(len(serials), len(set(serials)), "a serial was received twice")
        self.assertEqual(counts[0], counts[1], "the database holds a serial twice")
        self.assertEqual(missing, [], "received certificates missing from the database")
        self.assertEqual(differ, [], "the database holds another certificate under these serials")
        self.assertEqual(bad, [], "certificates flint admin does not return")
        self.assertGreater(phases["kill_to_switchover"]["certs"], 0, "no certificate after the kill")
        self.assertGreater(phases["haproxy_new_primary_to_end"]["certs"], 0,
                           "no certificate once HAProxy reached the new primary")
        self.passed = True

    def switchover_times(self, after_ms):
        """Unix ms of the switchover's steps after after_ms, from the cluster's logs (local time,
        as Patroni and HAProxy write it): patroni_request, demote, promoted,
        haproxy_new_primary (the first session HAProxy 15432 sent to the new leader)."""
        logs = os.path.join(self.cluster_dir, "logs")
        out = {}
        leader = None

        def patroni(line):
            m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ", line)
            if not m:
                return None
            t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
            return int(t * 1000) + int(m.group(2))
        for node in ("pg1", "pg2"):
            path = os.path.join(logs, f"patroni-{node}.log")
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as f:
                for line in f:
                    t = patroni(line)
                    if t is None or t < after_ms:
                        continue
                    for key, text in (("patroni_request", "received switchover request"),
                                      ("demote", "manual failover: demoting myself"),
                                      ("promoted", "promoted self to leader")):
                        if text in line and key not in out:
                            out[key] = t
                            if key == "promoted":
                                leader = node
        path = os.path.join(logs, "haproxy-db.log")
        if leader and "promoted" in out and os.path.exists(path):
            with open(path, errors="replace") as f:
                for line in f:
                    m = re.search(r"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d)\.(\d{3})\] postgres "
                                  r"postgres/(\w+) ", line)
                    if not m or m.group(3) != leader:
                        continue
                    t = int(time.mktime(time.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S")) * 1000
                            ) + int(m.group(2))
                    # HAProxy logs a TCP session when it ends, stamped with its start
                    if t >= out["promoted"] and ("haproxy_new_primary" not in out
                                                 or t < out["haproxy_new_primary"]):
                        out["haproxy_new_primary"] = t
        return out

    def flint_log_summary(self):
        """Per instance: 5xx responses by path, and the distinct warnings/errors (the database's
        messages shortened), from CLUSTER_DIR/logs/flint-N.log."""
        out = {}
        logs = os.path.join(self.cluster_dir, "logs")
        for name in sorted(os.listdir(logs)):
            if not name.startswith("flint-"):
                continue
            status = {}
            kinds = {}
            with open(os.path.join(logs, name), errors="replace") as f:
                for line in f:
                    m = re.search(r"method=(\S+) path=(\S+) status=(5\d\d)", line)
                    if m:
                        path = re.sub(r"/[A-Za-z0-9_-]{8,}$", "/ID", re.sub(r"/\d+$", "/N", m.group(2)))
                        key = f"{m.group(3)} {m.group(1)} {path}"
                        status[key] = status.get(key, 0) + 1
                    m = re.search(r"\[(warning|error|critical)\] (.*)", line)
                    if m and "SKIP-VALIDATION" not in m.group(2):
                        msg = re.sub(r"\d+", "N", m.group(2))[:160]
                        kinds[msg] = kinds.get(msg, 0) + 1
            out[name[:-4]] = {"5xx": status,
                              "warnings": dict(sorted(kinds.items(), key=lambda kv: -kv[1])[:8])}
        return out


if __name__ == "__main__":
    unittest.main()
