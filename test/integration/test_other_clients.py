"""uacme (DNS names, and an IP address per RFC 8738), dehydrated and acme-tiny (Debian 12)
against a real flint process, all over http-01: each writes the key authorization into a webroot
that a python http.server on flint's http-01 port serves. Each issued chain is checked with
`openssl verify` against flint's root."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Environment, Http01Responder, check_chain, read,  # noqa: E402
                     require_binaries)

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def private_bundle_prefix(ca_file):
    """uacme links libcurl-gnutls, which reads only its compiled-in CA bundle (no flag, no
    environment variable). The client runs in a private mount namespace where that path shows
    flint's root; nothing outside the namespace changes. None when namespaces are unavailable."""
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            f'mount --bind "$0" {SYSTEM_BUNDLE}', ca_file],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return None
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'mount --bind "$0" {SYSTEM_BUNDLE} && exec "$@"', ca_file]


class OtherClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("openssl", "pebble-challtestsrv")
        cls.env = Environment("clients").start()

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def uacme(self, names, key_type, key):
        """Registers an account and issues for `names` with uacme's http-01 hook."""
        require_binaries("uacme", "unshare")
        prefix = private_bundle_prefix(self.env.server.tls_ca)
        if prefix is None:
            self.skipTest("uacme trusts only " + SYSTEM_BUNDLE + " (libcurl-gnutls, no CA "
                          "option) and a private mount namespace (unshare -m) is not "
                          "permitted here, so it cannot be made to trust flint's root")
        conf = self.env.new_dir("uacme")
        webroot = self.env.new_dir("uacme-webroot")
        base = [*prefix, "uacme", "-v", "-c", conf, "-a", self.env.directory_url]
        with Http01Responder(self.env.http01_port, webroot):
            self.env.run([*base, "-y", "-t", "EC", "new", "it@example.test"])
            self.env.run([*base, "-o", "-t", key_type, "-h", self.env.hook_wrapper("uacme"),
                          "issue", *names], env=self.env.hook_env(webroot))
        chain = read(os.path.join(conf, names[0], "cert.pem"))
        private_key = read(os.path.join(conf, "private", names[0], "key.pem"))
        check_chain(self, self.env, chain, names, key, private_key)

    def test_uacme_http01_hook(self):
        self.uacme(["uacme.example.test", "www.uacme.example.test"], "EC", ("ec", "secp256r1"))

    def test_uacme_ip_identifier_http01(self):
        # RFC 8738: uacme sends an "ip" identifier; http-01 goes to the address itself.
        self.uacme(["127.0.0.1"], "RSA", ("rsa", 2048))

    def test_dehydrated_http01_webroot(self):
        require_binaries("dehydrated", "curl")
        base = self.env.new_dir("dehydrated")
        webroot = self.env.new_dir("dehydrated-webroot")
        config = os.path.join(base, "config")
        with open(config, "w") as f:
            f.write(f'CA="{self.env.directory_url}"\n'
                    f'BASEDIR="{base}"\n'
                    f'WELLKNOWN="{webroot}"\n'
                    'CHALLENGETYPE="http-01"\n'
                    'KEY_ALGO="rsa"\n'
                    'KEYSIZE="3072"\n'
                    'CONTACT_EMAIL="it@example.test"\n')
        env = {"CURL_CA_BUNDLE": self.env.server.tls_ca}
        names = ["dehydrated.example.test", "alt.dehydrated.example.test"]
        domains = [a for n in names for a in ("--domain", n)]
        with Http01Responder(self.env.http01_port, webroot):
            self.env.run(["dehydrated", "--config", config, "--register", "--accept-terms"],
                         env=env)
            self.env.run(["dehydrated", "--config", config, "--cron", *domains], env=env)
        live = os.path.join(base, "certs", names[0])
        check_chain(self, self.env, read(os.path.join(live, "fullchain.pem")), names,
                    ("rsa", 3072), read(os.path.join(live, "privkey.pem")))

    def test_acme_tiny_http01(self):
        require_binaries("acme-tiny")
        base = self.env.new_dir("acme-tiny")
        webroot = self.env.new_dir("acme-tiny-webroot")
        account_key = os.path.join(base, "account.key")
        domain_key = os.path.join(base, "domain.key")
        csr = os.path.join(base, "domain.csr")
        names = ["tiny.example.test", "www.tiny.example.test"]
        self.env.run(["openssl", "genrsa", "-out", account_key, "2048"])
        self.env.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                      "ec_paramgen_curve:P-256", "-out", domain_key])
        self.env.run(["openssl", "req", "-new", "-key", domain_key, "-out", csr,
                      "-subj", f"/CN={names[0]}",
                      "-addext", "subjectAltName=" + ",".join(f"DNS:{n}" for n in names)])
        chain_path = os.path.join(base, "chain.pem")
        # --disable-check: acme-tiny's self-check would look the name up in the system
        # resolver, which knows nothing of the test zone (and must not be asked).
        with Http01Responder(self.env.http01_port, webroot):
            self.env.run(["acme-tiny", "--account-key", account_key, "--csr", csr,
                          "--acme-dir", webroot, "--directory-url", self.env.directory_url,
                          "--contact", "mailto:it@example.test", "--disable-check"],
                         env={"SSL_CERT_FILE": self.env.server.tls_ca}, stdout=chain_path)
        check_chain(self, self.env, read(chain_path), names, ("ec", "secp256r1"),
                    read(domain_key))


if __name__ == "__main__":
    unittest.main(verbosity=2)
