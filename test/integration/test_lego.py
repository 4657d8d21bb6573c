"""lego (Debian 12, lego 4.x) against a real flint process: http-01 and tls-alpn-01 through
lego's own listeners, dns-01 through its `exec` provider (TXT records set in the test DNS
server), a wildcard, and one order for three names. Each issued chain is checked with
`openssl verify` against flint's root."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Environment, check_chain, read, require_binaries  # noqa: E402


class LegoTest(unittest.TestCase):
    SERVER = None  # harness.Environment's default; test_perspective_clients.py overrides

    @classmethod
    def setUpClass(cls):
        require_binaries("lego", "openssl", "pebble-challtestsrv")
        cls.env = Environment("lego", server=cls.SERVER).start()
        cls.path = cls.env.new_dir("lego")

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def lego(self, names, key_type, *challenge_args, extra_env=None):
        env = {"LEGO_CA_CERTIFICATES": self.env.server.tls_ca}
        env.update(extra_env or {})
        domains = [a for n in names for a in ("-d", n)]
        self.env.run(["lego", "--accept-tos", "--email", "it@example.test",
                      "--server", self.env.directory_url, "--path", self.path,
                      "--key-type", key_type, *domains, *challenge_args, "run"], env=env)
        # lego names its files after the first domain, with "*" written as "_".
        stem = os.path.join(self.path, "certificates", names[0].replace("*", "_"))
        return read(stem + ".crt"), read(stem + ".key")

    def dns_args(self):
        return ["--dns", "exec", "--dns.resolvers", self.env.dns.resolver, "--dns.disable-cp"]

    def dns_env(self):
        env = self.env.hook_env()
        env.update({"EXEC_PATH": self.env.hook_wrapper("lego"),
                    "EXEC_PROPAGATION_TIMEOUT": "60", "EXEC_POLLING_INTERVAL": "1"})
        return env

    def test_http01(self):
        names = ["lego-http.example.test"]
        chain, key = self.lego(names, "ec256", "--http",
                               "--http.port", f"127.0.0.1:{self.env.http01_port}")
        check_chain(self, self.env, chain, names, ("ec", "secp256r1"), key)

    def test_tlsalpn01(self):
        names = ["lego-tls.example.test"]
        chain, key = self.lego(names, "rsa2048", "--tls",
                               "--tls.port", f"127.0.0.1:{self.env.tlsalpn01_port}")
        check_chain(self, self.env, chain, names, ("rsa", 2048), key)

    def test_dns01_exec(self):
        names = ["lego-dns.example.test"]
        chain, key = self.lego(names, "ec384", *self.dns_args(), extra_env=self.dns_env())
        check_chain(self, self.env, chain, names, ("ec", "secp384r1"), key)

    def test_dns01_wildcard(self):
        names = ["*.wild.test"]
        chain, key = self.lego(names, "ec256", *self.dns_args(), extra_env=self.dns_env())
        check_chain(self, self.env, chain, names, ("ec", "secp256r1"), key)

    def test_http01_three_names_one_order(self):
        names = ["a.multi.example.test", "b.multi.example.test", "c.multi.example.test"]
        chain, key = self.lego(names, "rsa4096", "--http",
                               "--http.port", f"127.0.0.1:{self.env.http01_port}")
        check_chain(self, self.env, chain, names, ("rsa", 4096), key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
