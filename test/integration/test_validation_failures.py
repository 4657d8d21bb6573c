"""Validation outcomes through the raw RFC 8555 client (acmelib.Client) against a real flint
process, real sockets and a real DNS server: each failing challenge must end `invalid` with the
exact RFC 8555 §6.7 error type in the challenge's `error` (§7.1.4, §8.2), its authorization and
order `invalid` (§7.1.6); CAA records (RFC 8659) naming another CA must stop issuance, and
records naming flint must not."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (CAA_IDENTITY, Environment, Http01Responder, RawFlow,  # noqa: E402
                     check_chain, dns01_txt, make_csr, require_binaries)

URN = "urn:ietf:params:acme:error:"


class ValidationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("openssl", "pebble-challtestsrv")
        cls.env = Environment("validation").start()
        cls.webroot = cls.env.new_dir("webroot")  # stays empty: answers come from put()

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def responder(self):
        return Http01Responder(self.env.http01_port, self.webroot)

    def start(self, name, kind):
        """A new account, an order for `name`, and its one challenge of `kind`."""
        flow = RawFlow(self, self.env)
        order_url, order = flow.new_order([name])
        self.assertEqual(len(order["authorizations"]), 1, order)
        authz_url = order["authorizations"][0]
        return flow, order_url, order, authz_url, flow.challenge(authz_url, kind)

    def assert_failed(self, flow, order_url, authz_url, challenge, error_type):
        flow.respond(challenge)
        authz = flow.poll(authz_url)
        self.assertEqual(authz["status"], "invalid", authz)
        failed = [c for c in authz["challenges"] if c["url"] == challenge["url"]][0]
        self.assertEqual(failed["status"], "invalid", failed)
        self.assertEqual(failed["error"]["type"], URN + error_type, failed)
        self.assertTrue(failed["error"].get("detail"), failed)
        again = flow.get(challenge["url"])
        self.assertEqual(again["error"]["type"], URN + error_type, again)
        order = flow.get(order_url)
        self.assertEqual(order["status"], "invalid", order)
        return failed

    def issue_and_check(self, flow, order_url, names):
        """Finalizes a ready order with a new P-256 CSR and checks the downloaded chain."""
        order = flow.poll(order_url, pending=("pending",))
        self.assertEqual(order["status"], "ready", order)
        csr, key = make_csr(names)
        order = flow.finalize(order_url, order, csr)
        self.assertEqual(order["status"], "valid", order)
        content_type, chain = flow.download(order["certificate"])
        self.assertEqual(content_type, "application/pem-certificate-chain")
        check_chain(self, self.env, chain, names, ("ec", "secp256r1"), key)

    # --- http-01 (RFC 8555 §8.3) ---

    def test_http01_wrong_key_authorization_is_incorrect_response(self):
        flow, order_url, _, authz_url, ch = self.start("wrong-http.example.test", "http-01")
        with self.responder() as r:
            r.put(ch["token"], ch["token"] + ".not-the-account-thumbprint")
            self.assert_failed(flow, order_url, authz_url, ch, "incorrectResponse")
            self.assertIn("/.well-known/acme-challenge/" + ch["token"], r.requests)

    def test_http01_not_found_is_unauthorized(self):
        flow, order_url, _, authz_url, ch = self.start("404-http.example.test", "http-01")
        with self.responder():
            self.assert_failed(flow, order_url, authz_url, ch, "unauthorized")

    def test_http01_nothing_listening_is_connection(self):
        flow, order_url, _, authz_url, ch = self.start("refused-http.example.test", "http-01")
        self.assert_failed(flow, order_url, authz_url, ch, "connection")

    def test_http01_correct_response_issues(self):
        name = "ok-http.example.test"
        flow, order_url, _, authz_url, ch = self.start(name, "http-01")
        with self.responder() as r:
            r.put(ch["token"], flow.key_authorization(ch["token"]))
            flow.respond(ch)
            authz = flow.poll(authz_url)
        self.assertEqual(authz["status"], "valid", authz)
        self.issue_and_check(flow, order_url, [name])

    # --- dns-01 (RFC 8555 §8.4) ---

    def test_dns01_wrong_txt_is_incorrect_response(self):
        name = "wrong-dns.example.test"
        flow, order_url, _, authz_url, ch = self.start(name, "dns-01")
        host = "_acme-challenge." + name
        self.env.dns.set_txt(host, dns01_txt(flow.key_authorization("some-other-token")))
        try:
            self.assert_failed(flow, order_url, authz_url, ch, "incorrectResponse")
        finally:
            self.env.dns.clear_txt(host)

    def test_dns01_no_txt_is_unauthorized(self):
        flow, order_url, _, authz_url, ch = self.start("none-dns.example.test", "dns-01")
        self.assert_failed(flow, order_url, authz_url, ch, "unauthorized")

    # --- CAA (RFC 8659) ---

    def test_caa_naming_another_ca_is_caa(self):
        name = "caa-other.example.test"
        self.env.dns.add_caa(name, [{"tag": "issue", "value": "other-ca.test"}])
        try:
            flow, order_url, _, authz_url, ch = self.start(name, "http-01")
            with self.responder() as r:
                r.put(ch["token"], flow.key_authorization(ch["token"]))
                self.assert_failed(flow, order_url, authz_url, ch, "caa")
        finally:
            self.env.dns.clear_caa(name)

    def test_caa_on_parent_domain_applies(self):
        # RFC 8659 §3: the relevant record set is the closest one up the tree.
        self.env.dns.add_caa("caa-parent.test", [{"tag": "issue", "value": "other-ca.test"}])
        try:
            flow, order_url, _, authz_url, ch = self.start("www.caa-parent.test", "http-01")
            with self.responder() as r:
                r.put(ch["token"], flow.key_authorization(ch["token"]))
                self.assert_failed(flow, order_url, authz_url, ch, "caa")
        finally:
            self.env.dns.clear_caa("caa-parent.test")

    def test_caa_issuewild_forbids_wildcard(self):
        # RFC 8659 §4.3: issuewild, when present, governs wildcard names over issue.
        base = "caa-wild.test"
        self.env.dns.add_caa(base, [{"tag": "issue", "value": CAA_IDENTITY},
                                    {"tag": "issuewild", "value": "other-ca.test"}])
        host = "_acme-challenge." + base
        try:
            flow, order_url, _, authz_url, ch = self.start("*." + base, "dns-01")
            self.env.dns.set_txt(host, dns01_txt(flow.key_authorization(ch["token"])))
            self.assert_failed(flow, order_url, authz_url, ch, "caa")
        finally:
            self.env.dns.clear_txt(host)
            self.env.dns.clear_caa(base)

    def test_caa_naming_flint_issues(self):
        name = "caa-flint.example.test"
        self.env.dns.add_caa(name, [{"tag": "issue", "value": CAA_IDENTITY}])
        try:
            flow, order_url, _, authz_url, ch = self.start(name, "http-01")
            with self.responder() as r:
                r.put(ch["token"], flow.key_authorization(ch["token"]))
                flow.respond(ch)
                authz = flow.poll(authz_url)
            self.assertEqual(authz["status"], "valid", authz)
            self.issue_and_check(flow, order_url, [name])
        finally:
            self.env.dns.clear_caa(name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
