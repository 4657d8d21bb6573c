"""Issue 14, item 1: asynchronous, fair validation, against a real flint process.

With 200 http-01 validations of one account in flight against a tarpit (a server that accepts
and never answers), another account's http-01 validation completes, and does so while all 200
are still in flight: no timing threshold, only the order of events. Also: beyond
--max-pending-validations-per-account, answering a challenge is 429 rateLimited with Retry-After
and the challenge stays pending. Set-up in fairness.py (shared with bench/fairness.py).
"""

import shutil
import tempfile
import unittest

from fairness import FairnessSetup
from harness import KEEP, RawFlow, require_binaries

ATTACKERS = 200


class AsyncValidationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("pebble-challtestsrv")
        cls.workdir = tempfile.mkdtemp(prefix="flint-it-asyncva-")
        # A deadline far beyond the test's own pace, so that "still in flight" cannot be an
        # accident of a slow machine; exactly ATTACKERS pending allowed per account.
        cls.setup = FairnessSetup(cls.workdir, [
            "--validation-timeout", "60s",
            "--max-pending-validations-per-account", str(ATTACKERS)]).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.setup.stop()
        finally:
            if not KEEP:
                shutil.rmtree(cls.workdir, ignore_errors=True)

    def test_victim_completes_while_every_attacker_validation_is_in_flight(self):
        s = self.setup
        attacker = RawFlow(self, s)
        victim = RawFlow(self, s)
        challenges, _ = s.start_attack(attacker, ATTACKERS)

        # One more from the attacker is over its bound: 429 rateLimited, challenge left pending.
        (authz_url, extra), = s.pending_http01(attacker, s.names("y", 1))
        r = attacker.client.post(extra["url"], {})
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.problem_type(), "rateLimited", r.body)
        self.assertIsNotNone(r.headers.get("Retry-After"))
        self.assertEqual(attacker.challenge(authz_url, "http-01")["status"], "pending")

        authz, _ = s.victim(victim)
        self.assertEqual(authz["status"], "valid", authz)

        # Every attacker validation is still in flight: connected to the tarpit, which never
        # answered, and its challenge still processing.
        self.assertGreaterEqual(s.tarpit.accepted(), ATTACKERS)
        self.assertEqual(s.tarpit.open_connections(), ATTACKERS)
        statuses = [attacker.challenge(u, "http-01")["status"] for u, _ in challenges[:20]]
        self.assertEqual(set(statuses), {"processing"}, statuses)


if __name__ == "__main__":
    unittest.main(verbosity=2)
