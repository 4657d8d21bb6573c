"""Issue 13: flint instances on one PostgreSQL database behind HAProxy (scaleout.py), every
HTTP request of a client on a new connection to the next instance. certbot and lego get
certificates through two instances; the instances share nonces, orders, validations and
certificates; when one instance is killed (SIGKILL), the others go on and everything it issued
stays downloadable."""

import os
import signal
import subprocess
import sys
import time
import unittest

from cryptography import x509

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import FLINT  # noqa: E402
from harness import Environment, check_chain, read, require_binaries  # noqa: E402
from scaleout import ClusterServer  # noqa: E402


class ScaleOutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("certbot", "lego", "haproxy", "openssl", "pebble-challtestsrv")
        cls.env = Environment("scaleout", server=ClusterServer).start()
        cls.cluster = cls.env.server
        base = cls.env.new_dir("certbot")
        cls.certbot_dirs = ["--config-dir", os.path.join(base, "config"),
                            "--work-dir", os.path.join(base, "work"),
                            "--logs-dir", os.path.join(base, "logs")]
        cls.certbot_live = os.path.join(base, "config", "live")
        cls.lego_path = cls.env.new_dir("lego")

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def certbot(self, cert_name, names):
        domains = [a for n in names for a in ("-d", n)]
        self.env.run(["certbot", "certonly", *self.certbot_dirs, "--non-interactive",
                      "--agree-tos", "-m", "it@example.test", "--no-eff-email",
                      "--server", self.env.directory_url, "--cert-name", cert_name, *domains,
                      "--standalone", "--preferred-challenges", "http",
                      "--http-01-port", str(self.env.http01_port),
                      "--http-01-address", "127.0.0.1", "--key-type", "ecdsa"],
                     env={"REQUESTS_CA_BUNDLE": self.cluster.tls_ca})
        return read(os.path.join(self.certbot_live, cert_name, "fullchain.pem"))

    def lego(self, names):
        domains = [a for n in names for a in ("-d", n)]
        self.env.run(["lego", "--accept-tos", "--email", "it@example.test",
                      "--server", self.env.directory_url, "--path", self.lego_path,
                      "--key-type", "ec256", *domains, "--http",
                      "--http.port", f"127.0.0.1:{self.env.http01_port}", "run"],
                     env={"LEGO_CA_CERTIFICATES": self.cluster.tls_ca})
        stem = os.path.join(self.lego_path, "certificates", names[0])
        return read(stem + ".crt"), read(stem + ".key")

    def served(self):
        return [inst.requests_served() for inst in self.cluster.instances]

    def stored_serials(self):
        rows = self.cluster.pg.query("SELECT serial FROM certificates ORDER BY id")
        return [r for r in rows.splitlines() if r]

    def test_a_certbot_and_lego_through_two_instances(self):
        before = self.served()
        names = ["certbot.scale.example.test"]
        fullchain = self.certbot("scale", names)
        check_chain(self, self.env, fullchain, names, ("ec", "secp256r1"))
        names = ["lego.scale.example.test", "www.lego.scale.example.test"]
        chain, key = self.lego(names)
        check_chain(self, self.env, chain, names, ("ec", "secp256r1"), key)
        # Round robin, a new connection per request: both instances answered a large share of
        # the two clients' requests (nonces, orders and validations crossed instances).
        after = self.served()
        counts = [a - b for a, b in zip(after, before)]
        self.assertTrue(all(c >= 5 for c in counts), f"requests per instance: {counts}")
        serials = self.stored_serials()
        self.assertGreaterEqual(len(serials), 2)
        self.assertEqual(len(serials), len(set(serials)))

    def test_b_killed_instance_leaves_the_others_serving(self):
        names = ["before.kill.example.test"]
        first_chain, _ = self.lego(names)
        victim = self.cluster.instances[1]
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(timeout=10)
        names = ["after.kill.example.test"]
        chain, key = self.lego(names)
        check_chain(self, self.env, chain, names, ("ec", "secp256r1"), key)
        # Everything issued is in the database, once, and downloadable through the survivor.
        serials = self.stored_serials()
        self.assertEqual(len(serials), len(set(serials)))
        self.assertGreaterEqual(len(serials), 4)
        # The certificate lego got before the kill, read back with flint admin on the database.
        leaf = x509.load_pem_x509_certificate(first_chain.encode())
        matching = [s for s in serials if int(s, 16) == leaf.serial_number]
        self.assertEqual(len(matching), 1, serials)
        serial = matching[0]
        out = subprocess.run([FLINT, "admin", "--data", self.cluster.instances[0].data_dir,
                              "--db", self.cluster.pg.uri, "--json", "certs", "show", serial],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("BEGIN CERTIFICATE", out.stdout)

    def test_c_losing_the_database_gives_503_then_flint_reconnects(self):
        client = self.cluster.raw_client()
        self.assertEqual(client.new_account().status, 201)
        self.cluster.pg.stop()
        try:
            r = client.new_account()
            self.assertEqual(r.status, 503, r.body)
            self.assertEqual(r.json()["type"], "urn:ietf:params:acme:error:serverInternal")
            self.assertIsNotNone(r.headers.get("Retry-After"))
        finally:
            self.cluster.pg.start_server()
        # flint reconnects by itself: within a few retries the same request succeeds.
        deadline = time.time() + 30
        while True:
            r = client.new_account()
            if r.status == 200 or time.time() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(r.status, 200, r.body)  # the account exists: 200, not 201


if __name__ == "__main__":
    unittest.main(verbosity=2)
