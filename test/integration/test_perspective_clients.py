"""certbot and lego through three remote perspectives (issue 14 item 2): the whole certbot and
lego suites (test_certbot.py, test_lego.py: http-01, tls-alpn-01, dns-01, wildcards, a renewal)
against flint serve --perspective with three `flint va-agent` processes sharing the test DNS
server (perspectives.PerspectiveFlintServer), so every challenge and CAA check is corroborated by
all four perspectives."""

import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_certbot  # noqa: E402
import test_lego  # noqa: E402
from perspectives import PerspectiveFlintServer  # noqa: E402


class FourPerspectives:
    """Runs last (tests run in name order): every validation the client's runs caused was
    corroborated by all four perspectives, as the validation audit records show."""

    def test_zz_every_validation_was_seen_by_four_perspectives(self):
        deadline = time.time() + 5  # flint flushes its log within a second
        while True:
            with open(self.env.server.flint.log_path, "rb") as f:
                log = f.read().decode(errors="replace")
            records = [json.loads(m.group(1)) for m in
                       re.finditer(r"audit validation (\{.*\})\s*$", log, re.MULTILINE)]
            if records or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(records, "no validation audit record")
        for r in records:
            names = sorted(p["name"] for p in r["perspectives"])
            self.assertEqual(names, ["east", "north", "primary", "west"], r)
            if r["result"] == "valid":
                self.assertTrue(all(p["result"] == "valid" for p in r["perspectives"]), r)


class CertbotThroughPerspectivesTest(FourPerspectives, test_certbot.CertbotTest):
    SERVER = PerspectiveFlintServer


class LegoThroughPerspectivesTest(FourPerspectives, test_lego.LegoTest):
    SERVER = PerspectiveFlintServer


if __name__ == "__main__":
    unittest.main(verbosity=2)
