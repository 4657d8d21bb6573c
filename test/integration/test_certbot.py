"""certbot (Debian 12, certbot 2.x) against a real flint process: http-01 through its standalone
server with RSA and ECDSA keys, a forced renewal, and dns-01 (with a wildcard) through manual
hooks that set TXT records in the test DNS server. Each issued chain is checked with
`openssl verify` against flint's root."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HOOK, PYTHON, Environment, check_chain, read,  # noqa: E402
                     require_binaries, split_pem)


class CertbotTest(unittest.TestCase):
    SERVER = None  # harness.Environment's default; test_perspective_clients.py overrides

    @classmethod
    def setUpClass(cls):
        require_binaries("certbot", "openssl", "pebble-challtestsrv")
        cls.env = Environment("certbot", server=cls.SERVER).start()
        base = cls.env.new_dir("certbot")
        cls.dirs = ["--config-dir", os.path.join(base, "config"),
                    "--work-dir", os.path.join(base, "work"),
                    "--logs-dir", os.path.join(base, "logs")]
        cls.live = os.path.join(base, "config", "live")
        cls.archive = os.path.join(base, "config", "archive")

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def certbot(self, *args, extra_env=None):
        env = {"REQUESTS_CA_BUNDLE": self.env.server.tls_ca}
        env.update(extra_env or {})
        return self.env.run(["certbot", *args, *self.dirs, "--non-interactive"], env=env)

    def certonly(self, cert_name, names, *args, extra_env=None):
        domains = [a for n in names for a in ("-d", n)]
        return self.certbot("certonly", "--agree-tos", "-m", "it@example.test", "--no-eff-email",
                            "--server", self.env.directory_url, "--cert-name", cert_name,
                            *domains, *args, extra_env=extra_env)

    def standalone(self):
        return ["--standalone", "--preferred-challenges", "http",
                "--http-01-port", str(self.env.http01_port), "--http-01-address", "127.0.0.1"]

    def check_live(self, cert_name, names, key):
        live = os.path.join(self.live, cert_name)
        fullchain = read(os.path.join(live, "fullchain.pem"))
        # certbot's own split of the same download: cert.pem + chain.pem == fullchain.pem.
        self.assertEqual(split_pem(read(os.path.join(live, "cert.pem"))) +
                         split_pem(read(os.path.join(live, "chain.pem"))), split_pem(fullchain))
        return check_chain(self, self.env, fullchain, names, key,
                           read(os.path.join(live, "privkey.pem")))

    def test_http01_standalone_rsa(self):
        names = ["rsa.example.test", "www.rsa.example.test"]
        self.certonly("rsa", names, *self.standalone(), "--key-type", "rsa",
                      "--rsa-key-size", "2048")
        self.check_live("rsa", names, ("rsa", 2048))

    def test_http01_standalone_ecdsa_then_forced_renewal(self):
        names = ["ecdsa.example.test"]
        self.certonly("ecdsa", names, *self.standalone(), "--key-type", "ecdsa",
                      "--elliptic-curve", "secp256r1")
        first = self.check_live("ecdsa", names, ("ec", "secp256r1"))

        # The renewal runs from certbot's stored renewal configuration (server, standalone
        # authenticator, http-01 port and address), as a cron job would.
        self.certbot("renew", "--force-renewal", "--cert-name", "ecdsa",
                     "--no-random-sleep-on-renew")
        second = self.check_live("ecdsa", names, ("ec", "secp256r1"))
        self.assertNotEqual(first.serial_number, second.serial_number)
        self.assertTrue(os.path.exists(os.path.join(self.archive, "ecdsa", "cert2.pem")))

    def test_dns01_manual_hooks_with_wildcard(self):
        names = ["dns.example.test", "*.dns.example.test"]
        hook = f"{PYTHON} {HOOK}"
        self.certonly("dns", names, "--manual", "--preferred-challenges", "dns",
                      "--manual-auth-hook", f"{hook} certbot-auth",
                      "--manual-cleanup-hook", f"{hook} certbot-cleanup",
                      "--key-type", "ecdsa", "--elliptic-curve", "secp384r1",
                      extra_env=self.env.hook_env())
        self.check_live("dns", names, ("ec", "secp384r1"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
