"""Issue 15, metrics: a real build/flint process started with --skip-validation and
--metrics-listen issues one certificate through the raw client and revokes it; GET /metrics then
shows the issuance, the validation, the revocation and the ACME requests by route, and
`promtool check metrics` (Debian package prometheus) accepts the exposition."""

import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import Client, Flint, free_port  # noqa: E402
from issuance import Issuance  # noqa: E402

SERIES = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$")


def parse(text):
    """{series (name and labels as exposed): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SERIES.match(line)
        assert m, f"not a sample line: {line!r}"
        out[m.group(1)] = float(m.group(2))
    return out


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.metrics_port = free_port()
        cls.flint = Flint(extra_args=[
            "--skip-validation", "--metrics-listen", f"127.0.0.1:{cls.metrics_port}"]).start()
        cls.url = f"http://127.0.0.1:{cls.metrics_port}/metrics"
        issuance = Issuance(Client(cls.flint))
        _, cls.leaf_der, _ = issuance.issue(["metrics.example.com"])
        r = issuance.revoke(cls.leaf_der, reason=4)  # superseded
        assert r.status == 200, r.body

    @classmethod
    def tearDownClass(cls):
        code = cls.flint.stop()
        shutil.rmtree(cls.flint.data_dir, ignore_errors=True)
        assert code == 0, f"flint exit code {code}: {cls.flint.logs()}"

    def scrape(self):
        with urllib.request.urlopen(self.url, timeout=30) as r:
            self.assertEqual(r.status, 200)
            self.assertTrue(r.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            return r.read().decode()

    def scrape_until(self, condition, timeout=10):
        """Request counters are updated once a response is written: wait a little for them."""
        deadline = time.time() + timeout
        while True:
            text = self.scrape()
            samples = parse(text)
            if condition(samples) or time.time() > deadline:
                return text, samples
            time.sleep(0.1)

    def test_counts_issuance_validation_revocation_and_requests(self):
        finalize = 'flint_http_requests_total{code="200",endpoint="finalize"}'
        text, s = self.scrape_until(lambda s: s.get(finalize, 0) >= 1)
        self.assertEqual(s.get('flint_certificates_issued_total{profile="default"}'), 1, text)
        valid = sum(v for k, v in s.items()
                    if k.startswith("flint_validations_total{") and 'result="valid"' in k)
        self.assertGreaterEqual(valid, 1, text)
        self.assertIn('flint_validations_total{result="invalid",type="dns-01"}', s)
        self.assertEqual(s.get('flint_revocations_total{reason="4"}'), 1, text)
        self.assertGreaterEqual(s.get('flint_http_requests_total{code="201",endpoint="newOrder"}', 0),
                                1, text)
        self.assertGreaterEqual(s.get(finalize, 0), 1, text)
        self.assertGreaterEqual(s.get('flint_http_requests_total{code="200",endpoint="revokeCert"}', 0),
                                1, text)
        self.assertGreaterEqual(
            s.get('flint_http_request_duration_seconds_count{endpoint="newOrder"}', 0), 1, text)
        self.assertGreaterEqual(
            s.get('flint_http_request_duration_seconds_bucket{endpoint="finalize",le="+Inf"}', 0),
            1, text)
        # Route names only: ids in paths never become label values.
        self.assertNotIn("/acme/", text)
        for name in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                     "process_open_fds", "process_max_fds", "process_start_time_seconds"):
            self.assertIn(name, s, text)
        self.assertGreater(s["process_resident_memory_bytes"], 1 << 20)
        self.assertLessEqual(s["process_start_time_seconds"], time.time() + 1)

    def test_promtool_accepts_the_exposition(self):
        promtool = shutil.which("promtool")
        if promtool is None:
            self.skipTest("promtool missing (Debian package prometheus)")
        text = self.scrape()
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_other_paths_and_methods_are_refused(self):
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/", timeout=30)
        self.assertEqual(e.exception.code, 404)
        post = urllib.request.Request(self.url, data=b"x", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(post, timeout=30)
        self.assertEqual(e.exception.code, 405)
        self.assertEqual(e.exception.headers["Allow"], "GET, HEAD")


if __name__ == "__main__":
    unittest.main(verbosity=2)
