"""Multi-perspective validation (issue 14 item 2, CA/Browser Forum BR §3.2.2.9) with real
processes: flint serve, three `flint va-agent` processes minted by `flint admin perspective add`,
and four pebble-challtestsrv DNS servers, one for the primary (the CA's own VA) and one for each
agent, so each perspective has its own DNS view.

Checks: agreement (a certificate is issued), disagreement within the quorum (2 of 3 agents see the
TXT record: valid) and beyond it (1 of 3: invalid, the detail naming the perspectives that
disagreed and no agent address), a CAA record forbidding issuance seen by the agents only
(invalid, caa), dead agents (one: valid; two: invalid), the validation audit record, and the
agents' refusals: a client certificate not minted by the CA, no client certificate, and hostile
requests from the genuine client (malformed JSON, a huge body, unknown paths)."""

import json
import os
import re
import socket
import ssl
import sys
import datetime
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

from harness import (Environment, RawFlow, check_chain, dns01_txt, make_csr,  # noqa: E402
                     require_binaries)
from perspectives import SeparateViewsFlintServer  # noqa: E402

URN = "urn:ietf:params:acme:error:"


def self_signed_client(path, name="flint-ca"):
    """A client certificate of the right name and role from a CA the agents do not trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    with open(path + ".pem", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(path + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return path + ".pem", path + ".key"


class PerspectivesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("openssl", "pebble-challtestsrv")
        cls.env = Environment("perspectives", server=SeparateViewsFlintServer).start()
        cls.server = cls.env.server

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"exit code {code}"

    def setUp(self):
        for a in self.server.agents:  # a test that killed one leaves it dead
            if not a.alive():
                a.start()

    # --- helpers ---

    def dns01(self, name):
        flow = RawFlow(self, self.env)
        order_url, order = flow.new_order([name])
        authz_url = order["authorizations"][0]
        return flow, order_url, authz_url, flow.challenge(authz_url, "dns-01")

    def publish(self, name, challenge, flow, agents):
        """The TXT record in the primary's DNS view and in those of `agents` only."""
        value = dns01_txt(flow.key_authorization(challenge["token"]))
        host = "_acme-challenge." + name
        self.env.dns.set_txt(host, value)
        for a in self.server.agents:
            if a.name in agents:
                a.dns.set_txt(host, value)

    def validate(self, flow, authz_url, challenge):
        flow.respond(challenge)
        authz = flow.poll(authz_url)
        return authz, [c for c in authz["challenges"] if c["url"] == challenge["url"]][0]

    def assert_no_agent_address(self, detail):
        self.assertNotIn("127.0.0.1", detail)
        self.assertNotIn("https://", detail)
        for a in self.server.agents:
            self.assertNotIn(str(a.port), detail)
            self.assertNotIn(str(a.dns.dns_port), detail)

    def audit_records(self, name):
        """The validation audit records for `name` (flint flushes its log within a second)."""
        deadline = time.time() + 5
        while True:
            records = []
            with open(self.server.flint.log_path, "rb") as f:
                log = f.read().decode(errors="replace")
            for line in log.splitlines():
                m = re.search(r"audit validation (\{.*\})\s*$", line)
                if m and f'"value":"{name}"' in m.group(1):
                    records.append(json.loads(m.group(1)))
            if records or time.time() > deadline:
                return records
            time.sleep(0.2)

    # --- agreement and disagreement ---

    def test_agreement_issues_a_certificate(self):
        name = "agree.persp.test"
        flow, order_url, authz_url, ch = self.dns01(name)
        self.publish(name, ch, flow, ("east", "west", "north"))
        authz, challenge = self.validate(flow, authz_url, ch)
        self.assertEqual(authz["status"], "valid", authz)
        order = flow.poll(order_url, pending=("pending",))
        self.assertEqual(order["status"], "ready", order)
        csr, key = make_csr([name])
        order = flow.finalize(order_url, order, csr)  # the CAA recheck goes to every agent too
        self.assertEqual(order["status"], "valid", order)
        _, chain = flow.download(order["certificate"])
        check_chain(self, self.env, chain, [name], ("ec", "secp256r1"), key)

    def test_two_of_three_agents_corroborate_is_valid(self):
        name = "two-of-three.persp.test"
        flow, _, authz_url, ch = self.dns01(name)
        self.publish(name, ch, flow, ("east", "west"))
        authz, _ = self.validate(flow, authz_url, ch)
        self.assertEqual(authz["status"], "valid", authz)

    def test_one_of_three_agents_corroborates_is_invalid(self):
        name = "one-of-three.persp.test"
        flow, _, authz_url, ch = self.dns01(name)
        self.publish(name, ch, flow, ("east",))
        authz, challenge = self.validate(flow, authz_url, ch)
        self.assertEqual(authz["status"], "invalid", authz)
        error = challenge["error"]
        detail = error["detail"]
        self.assertTrue(detail.startswith("2 of 3 remote perspectives did not corroborate"),
                        detail)
        self.assertIn("west: ", detail)
        self.assertIn("north: ", detail)
        self.assertNotIn("east", detail)
        self.assertIn(error["type"], (URN + "dns", URN + "unauthorized"), error)
        self.assertIn(error["type"].removeprefix(URN) + " :: ", detail)
        self.assert_no_agent_address(detail)
        # The audit record lists every perspective by name, with its own verdict.
        records = self.audit_records(name)
        self.assertEqual(len(records), 1, records)
        by_name = {p["name"]: p for p in records[0]["perspectives"]}
        self.assertEqual(set(by_name), {"primary", "east", "west", "north"})
        self.assertEqual(by_name["primary"]["result"], "valid")
        self.assertEqual(by_name["east"]["result"], "valid")
        self.assertEqual(by_name["west"]["result"], "invalid")
        self.assertEqual(records[0]["result"], "invalid")
        # What each agent saw: east the record, west none (its DNS view lacks it).
        self.assertEqual(len(by_name["east"]["records"]), 1, by_name["east"])
        self.assertIn("_acme-challenge." + name + " TXT ", by_name["east"]["records"][0])
        self.assertEqual(by_name["west"]["records"], [])

    def test_caa_seen_only_by_the_agents_is_invalid_caa(self):
        name = "remote-caa.persp.test"
        for a in self.server.agents:
            a.dns.add_caa(name, [{"tag": "issue", "value": "another-ca.example"}])
        try:
            flow, _, authz_url, ch = self.dns01(name)
            self.publish(name, ch, flow, ("east", "west", "north"))
            authz, challenge = self.validate(flow, authz_url, ch)
            self.assertEqual(authz["status"], "invalid", authz)
            self.assertEqual(challenge["error"]["type"], URN + "caa", challenge)
            self.assertIn("3 of 3 remote perspectives did not corroborate",
                          challenge["error"]["detail"])
            self.assert_no_agent_address(challenge["error"]["detail"])
        finally:
            for a in self.server.agents:
                a.dns.clear_caa(name)

    # --- dead agents ---

    def test_one_dead_agent_is_tolerated_two_are_not(self):
        self.server.agent("north").kill()
        name = "one-dead.persp.test"
        flow, _, authz_url, ch = self.dns01(name)
        self.publish(name, ch, flow, ("east", "west", "north"))
        authz, _ = self.validate(flow, authz_url, ch)
        self.assertEqual(authz["status"], "valid", authz)

        self.server.agent("west").kill()
        name = "two-dead.persp.test"
        flow, _, authz_url, ch = self.dns01(name)
        self.publish(name, ch, flow, ("east", "west", "north"))
        authz, challenge = self.validate(flow, authz_url, ch)
        self.assertEqual(authz["status"], "invalid", authz)
        self.assertEqual(challenge["error"]["type"], URN + "connection", challenge)
        self.assertEqual(challenge["error"]["detail"],
                         "2 of 3 remote perspectives did not corroborate (at most 1 may): "
                         "west: unreachable; north: unreachable")
        # Why they were unreachable stays in the audit record.
        by_name = {p["name"]: p for p in self.audit_records(name)[0]["perspectives"]}
        self.assertIn("unreachable: https://127.0.0.1:", by_name["west"]["error"]["detail"])

    # --- the agents' mutual TLS and input handling ---

    def agent_tls(self, cert=None, key=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(self.server.agent("east").dir, "ca.pem"))
        ctx.check_hostname = True
        if cert:
            ctx.load_cert_chain(cert, key)
        return ctx

    def exchange(self, ctx, raw_request):
        """Sends `raw_request` to east; returns the raw answer ('' when the agent closed)."""
        east = self.server.agent("east")
        with socket.create_connection(("127.0.0.1", east.port), timeout=10) as sock:
            with ctx.wrap_socket(sock, server_hostname="east") as tls:
                tls.sendall(raw_request)
                chunks = []
                while True:
                    data = tls.recv(65536)
                    if not data:
                        break
                    chunks.append(data)
                return b"".join(chunks).decode(errors="replace")

    def post(self, path, body, ctx=None):
        ctx = ctx or self.agent_tls(*self.genuine_client())
        head = (f"POST {path} HTTP/1.1\r\nHost: east\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        return self.exchange(ctx, head + body)

    def genuine_client(self):
        d = os.path.join(self.server.flint.data_dir, "perspectives")
        return os.path.join(d, "client.pem"), os.path.join(d, "client.key")

    def test_client_certificate_not_minted_by_the_ca_is_refused(self):
        cert, key = self_signed_client(os.path.join(self.env.workdir, "foreign"))
        for ctx in (self.agent_tls(cert, key), self.agent_tls()):
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                answer = self.post("/validate", b"{}", ctx)
                if not answer:  # TLS 1.3: the refusal may arrive as a closed stream
                    raise ConnectionError("closed")
        self.assertTrue(self.server.agent("east").alive())
        # The CA's own client still works.
        self.assertIn(" 400 ", self.post("/validate", b"{}").split("\r\n")[0] + " ")

    def test_hostile_requests_get_clean_problems(self):
        answer = self.post("/validate", b"{not json")
        self.assertTrue(answer.startswith("HTTP/1.1 400"), answer)
        self.assertIn('"type":"malformed"', answer)
        answer = self.post("/validate", b'{"identifier":{"type":"dns","value":"a.test"}}')
        self.assertTrue(answer.startswith("HTTP/1.1 400"), answer)
        answer = self.post("/validate", b"[" * 100000)
        self.assertTrue(answer.startswith("HTTP/1.1 413"), answer)
        answer = self.post("/elsewhere", b"{}")
        self.assertTrue(answer.startswith("HTTP/1.1 404"), answer)
        answer = self.exchange(self.agent_tls(*self.genuine_client()),
                               b"GET /validate HTTP/1.1\r\nHost: east\r\nConnection: close\r\n\r\n")
        self.assertTrue(answer.startswith("HTTP/1.1 405"), answer)
        answer = self.exchange(self.agent_tls(*self.genuine_client()), b"NOT HTTP AT ALL\r\n\r\n")
        self.assertTrue(answer.startswith("HTTP/1.1 400"), answer)
        self.assertTrue(self.server.agent("east").alive())

    def test_credentials_are_private(self):
        east = self.server.agent("east")
        self.assertEqual(os.stat(os.path.join(east.dir, "agent.key")).st_mode & 0o777, 0o600)
        d = os.path.join(self.server.flint.data_dir, "perspectives")
        self.assertEqual(os.stat(os.path.join(d, "ca.key")).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.join(d, "client.key")).st_mode & 0o777, 0o600)
        with open(os.path.join(east.dir, "agent.json")) as f:
            self.assertEqual(json.load(f)["name"], "east")


if __name__ == "__main__":
    unittest.main(verbosity=2)
