"""dns-account-01 (draft-ietf-acme-dns-account-label-01), newAuthz pre-authorization (RFC 8555
§7.4.1) and rate limits (docs/OPERATIONS.md "Rate limits") through the raw RFC 8555 client
against a real flint process, real sockets and a real DNS server (pebble-challtestsrv)."""

import base64
import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Environment, FlintServer, RawFlow, dns01_txt, make_csr,  # noqa: E402
                     require_binaries)

URN = "urn:ietf:params:acme:error:"


def account_label(account_url):
    """The draft's label: "_" + lowercase base32 of the first 10 bytes of SHA-256(URL)."""
    digest = hashlib.sha256(account_url.encode()).digest()[:10]
    return "_" + base64.b32encode(digest).decode().lower().rstrip("=")


class DnsAccountAndPreAuthorizationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("pebble-challtestsrv")
        cls.env = Environment("dns-account").start()

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def test_label_matches_the_drafts_vector(self):
        self.assertEqual(account_label("https://example.com/acme/acct/ExampleAccount"),
                         "_ujmmovf2vn55tgye")

    def validate(self, flow, authz_url, name, record_account_url):
        ch = flow.challenge(authz_url, "dns-account-01")
        host = account_label(record_account_url) + "._acme-challenge." + name
        self.env.dns.set_txt(host, dns01_txt(flow.key_authorization(ch["token"])))
        try:
            flow.respond(ch)
            return flow.poll(authz_url), ch
        finally:
            self.env.dns.clear_txt(host)

    def test_dns_account_01_issues_for_a_name_and_a_wildcard(self):
        flow = RawFlow(self, self.env)
        names = ["acct-label.example.test", "*.acct-label.example.test"]
        order_url, order = flow.new_order(names)
        for authz_url in order["authorizations"]:
            authz = flow.get(authz_url)
            base = authz["identifier"]["value"]
            authz, _ = self.validate(flow, authz_url, base, flow.client.kid)
            self.assertEqual(authz["status"], "valid", authz)
        order = flow.poll(order_url, pending=("pending",))
        self.assertEqual(order["status"], "ready", order)
        csr, _ = make_csr(names)
        order = flow.finalize(order_url, order, csr)
        self.assertEqual(order["status"], "valid", order)

    def test_a_record_under_another_accounts_label_fails(self):
        other = RawFlow(self, self.env)
        flow = RawFlow(self, self.env)
        name = "other-label.example.test"
        _, order = flow.new_order([name])
        authz_url = order["authorizations"][0]
        authz, ch = self.validate(flow, authz_url, name, other.client.kid)
        self.assertEqual(authz["status"], "invalid", authz)
        failed = [c for c in authz["challenges"] if c["url"] == ch["url"]][0]
        self.assertEqual(failed["error"]["type"], URN + "unauthorized", failed)
        self.assertIn(account_label(flow.client.kid), failed["error"]["detail"])

    def test_new_authz_then_an_order_reuses_it(self):
        flow = RawFlow(self, self.env)
        name = "pre-authz.example.test"
        r = flow.client.post(flow.client.directory["newAuthz"],
                             {"identifier": {"type": "dns", "value": name}})
        self.assertEqual(r.status, 201, r.body)
        authz_url = r.headers["Location"]
        self.assertEqual(r.json()["status"], "pending")
        ch = flow.challenge(authz_url, "dns-01")
        host = "_acme-challenge." + name
        self.env.dns.set_txt(host, dns01_txt(flow.key_authorization(ch["token"])))
        try:
            flow.respond(ch)
            self.assertEqual(flow.poll(authz_url)["status"], "valid")
        finally:
            self.env.dns.clear_txt(host)
        order_url, order = flow.new_order([name])
        self.assertEqual(order["status"], "ready", order)
        self.assertEqual(order["authorizations"], [authz_url])
        csr, _ = make_csr([name])
        self.assertEqual(flow.finalize(order_url, order, csr)["status"], "valid")

    def test_new_authz_refuses_a_wildcard(self):
        flow = RawFlow(self, self.env)
        r = flow.client.post(flow.client.directory["newAuthz"],
                             {"identifier": {"type": "dns", "value": "*.wild.example.test"}})
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "rejectedIdentifier")


class _LimitedFlint(FlintServer):
    """flint with a [rate-limits] table in its TOML configuration."""

    def __init__(self, workdir, resolver, http01_port, tlsalpn01_port):
        super().__init__(workdir, resolver, http01_port, tlsalpn01_port)
        config = os.path.join(workdir, "flint.toml")
        with open(config, "w") as f:
            f.write('[rate-limits]\n'
                    'new-orders-per-account = "2/1h"\n'
                    'new-accounts-per-ip = "3/3h"\n'
                    # Parsed and in force, though no test client comes from 127.0.0.2.
                    '[[rate-limits.override]]\n'
                    'limit = "new-accounts-per-ip"\n'
                    'key = "127.0.0.2"\n'
                    'rate = "0/1h"\n')
        self.flint.extra_args = ["--config", config] + self.flint.extra_args


class RateLimitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("pebble-challtestsrv")
        cls.env = Environment("rate-limits", server=_LimitedFlint).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def test_limits_answer_429_rate_limited_with_retry_after(self):
        flow = RawFlow(self, self.env)
        for i in range(2):
            flow.new_order([f"limited-{i}.example.test"])
        r = flow.client.post(flow.client.directory["newOrder"],
                             {"identifiers": [{"type": "dns", "value": "limited-2.example.test"}]})
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.problem_type(), "rateLimited")
        self.assertIn("new-orders-per-account", r.json()["detail"])
        # 2 per hour: the next one fits half an hour after the first two.
        self.assertIn(int(r.headers["Retry-After"]), range(25 * 60, 30 * 60 + 1))
        # Accounts from 127.0.0.1: RawFlow made one; two more fit, the fourth does not.
        RawFlow(self, self.env)
        RawFlow(self, self.env)
        client = self.env.server.raw_client()
        r = client.new_account({"termsOfServiceAgreed": True})
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.problem_type(), "rateLimited")
        self.assertIn("new-accounts-per-ip", r.json()["detail"])
        self.assertGreater(int(r.headers["Retry-After"]), 0)


if __name__ == "__main__":
    unittest.main()
