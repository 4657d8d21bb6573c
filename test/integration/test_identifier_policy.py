"""Issue 11 items 5 and 6 against a real build/flint process: newOrder refuses public suffixes,
blocked names and non-public IP addresses with 400 rejectedIdentifier (RFC 8555 §6.7, §7.4),
under the default start-up (Debian's Public Suffix List) and under the TOML keys and flags that
change it; flint refuses to start without its list unless the check is turned off."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import Client, Flint  # noqa: E402

URN = "urn:ietf:params:acme:error:"


class PolicyServer:
    """One flint process and one account on it; stopped and removed by the caller."""

    def __init__(self, extra_args=()):
        self.flint = Flint(extra_args=extra_args).start()
        self.client = Client(self.flint)
        r = self.client.new_account()
        assert r.status == 201, r.body

    def new_order(self, kind, value):
        return self.client.post(self.client.directory["newOrder"],
                                {"identifiers": [{"type": kind, "value": value}]})

    def stop(self):
        code = self.flint.stop()
        shutil.rmtree(self.flint.data_dir, ignore_errors=True)
        return code


class PolicyCase(unittest.TestCase):
    server = None

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            code = cls.server.stop()
            assert code == 0, f"flint exit code {code}"

    def assert_refused(self, kind, value):
        with self.subTest(refused=f"{kind}:{value}"):
            r = self.server.new_order(kind, value)
            self.assertEqual(r.status, 400, r.body)
            problem = r.json()
            self.assertEqual(problem["type"], URN + "rejectedIdentifier", problem)
            self.assertEqual(len(problem["subproblems"]), 1, problem)
            self.assertEqual(problem["subproblems"][0]["identifier"],
                             {"type": kind, "value": value}, problem)

    def assert_accepted(self, kind, value):
        with self.subTest(accepted=f"{kind}:{value}"):
            r = self.server.new_order(kind, value)
            self.assertEqual(r.status, 201, r.body)


class DefaultPolicyTest(PolicyCase):
    """flint serve with no policy flags at all."""

    @classmethod
    def setUpClass(cls):
        cls.server = PolicyServer()

    def test_public_suffixes_are_refused(self):
        for name in ("co.uk", "*.co.uk", "com", "*.com", "foo.ck"):
            self.assert_refused("dns", name)

    def test_names_under_suffixes_and_unknown_tlds_are_accepted(self):
        for name in ("example.co.uk", "*.example.co.uk", "foo.internal", "host.test",
                     "*.wild.test", "example.com"):
            self.assert_accepted("dns", name)

    def test_non_public_addresses_are_refused(self):
        for ip in ("10.0.0.1", "::ffff:1.2.3.4", "::ffff:10.0.0.1", "127.0.0.1", "::1",
                   "192.168.1.1", "100.64.0.1", "169.254.169.254", "fd00::1", "fe80::1",
                   "2001:db8::1", "224.0.0.1"):
            self.assert_refused("ip", ip)

    def test_public_addresses_are_accepted(self):
        for ip in ("8.8.8.8", "2606:4700::1111"):
            self.assert_accepted("ip", ip)


class ConfiguredPolicyTest(PolicyCase):
    """blocked-names and require-known-tld from the TOML file, --allow-private-targets."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="flint-it-policy-")
        config = os.path.join(cls.tmp, "flint.toml")
        with open(config, "w") as f:
            f.write('blocked-names = ["example.net", "10.1.2.3", "Corp.Example.org."]\n'
                    'require-known-tld = true\n')
        cls.server = PolicyServer(["--config", config, "--allow-private-targets"])

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_blocked_names_and_subdomains_are_refused(self):
        for name in ("example.net", "www.example.net", "*.example.net", "corp.example.org",
                     "a.corp.example.org"):
            self.assert_refused("dns", name)
        self.assert_refused("ip", "10.1.2.3")
        self.assert_accepted("dns", "other.example.org")

    def test_unknown_tlds_are_refused(self):
        for name in ("foo.internal", "host.test", "*.wild.test"):
            self.assert_refused("dns", name)
        self.assert_refused("dns", "co.uk")
        self.assert_accepted("dns", "example.co.uk")

    def test_private_addresses_are_accepted_with_the_flag(self):
        for ip in ("127.0.0.1", "10.0.0.1", "::1", "fd00::1"):
            self.assert_accepted("ip", ip)
        # IPv4-mapped IPv6 is never a useful certificate name: ask for the IPv4 address.
        self.assert_refused("ip", "::ffff:127.0.0.1")


class StartUpTest(unittest.TestCase):
    def test_missing_list_stops_start_up(self):
        f = Flint(extra_args=["--public-suffix-file", "/nonexistent/flint/psl.dafsa"])
        f.start(wait=False)
        code = f.proc.wait(timeout=30)
        self.assertNotEqual(code, 0)
        logs = f.logs()
        self.assertIn("/nonexistent/flint/psl.dafsa", logs)
        self.assertIn("--no-public-suffix-check", logs)
        shutil.rmtree(f.data_dir, ignore_errors=True)

    def test_check_turned_off_starts_and_accepts_suffixes(self):
        server = PolicyServer(["--public-suffix-file", "/nonexistent/flint/psl.dafsa",
                               "--no-public-suffix-check"])
        try:
            r = server.new_order("dns", "co.uk")
            self.assertEqual(r.status, 201, r.body)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_malformed_blocked_name_stops_start_up(self):
        f = Flint(extra_args=["--blocked-name", "exa mple.net"])
        f.start(wait=False)
        self.assertNotEqual(f.proc.wait(timeout=30), 0)
        self.assertIn("exa mple.net", f.logs())
        shutil.rmtree(f.data_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
