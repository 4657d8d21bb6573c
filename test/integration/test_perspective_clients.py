"""certbot and lego through three remote perspectives (issue 14 item 2): the whole certbot and
lego suites (test_certbot.py, test_lego.py: http-01, tls-alpn-01, dns-01, wildcards, a renewal)
against flint serve --perspective with three `flint va-agent` processes sharing the test DNS
server (perspectives.PerspectiveFlintServer), so every challenge and CAA check is corroborated by
all four perspectives."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_certbot  # noqa: E402
import test_lego  # noqa: E402
from perspectives import PerspectiveFlintServer  # noqa: E402


class CertbotThroughPerspectivesTest(test_certbot.CertbotTest):
    SERVER = PerspectiveFlintServer


class LegoThroughPerspectivesTest(test_lego.LegoTest):
    SERVER = PerspectiveFlintServer


if __name__ == "__main__":
    unittest.main(verbosity=2)
