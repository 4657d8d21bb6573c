"""Caddy (Debian 12, caddy 2.6) as a real web server getting its certificates from a real flint
process: one Caddy run over http-01 only (its HTTP port is flint's http-01 port) and one over
tls-alpn-01 only (its HTTPS port is flint's tls-alpn-01 port). Caddy drives the whole ACME flow
itself (certmagic/acmez), reading every resource with POST-as-GET. Each test waits for the certificate Caddy stores, checks that chain with
`openssl verify` against flint's root, connects to Caddy's HTTPS port with SNI and flint's
root as the only trust anchor to check that Caddy serves it, and checks that the chain Caddy
stores and sends is exactly the leaf and flint's intermediate, each once.

Caddy's admin API is off, its storage, HOME and XDG directories are in the test's work
directory, OCSP stapling is off and the flint issuer is the only one (no ZeroSSL fallback), so
nothing leaves 127.0.0.1."""

import glob
import os
import socket
import ssl
import subprocess
import sys
import time
import unittest

from cryptography import x509

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DIE_WITH_PARENT, Environment, check_chain, read,  # noqa: E402
                     require_binaries, split_pem, stop_process, tail, wait_port)

ISSUE_TIMEOUT = 120  # seconds for Caddy to store a certificate
SERVE_TIMEOUT = 15   # seconds for Caddy to serve a stored certificate

CADDYFILE = """\
{{
	admin off
	debug
	http_port {http_port}
	https_port {https_port}
	storage file_system {{
		root {storage}
	}}
	email it@example.test
	acme_ca {directory}
	acme_ca_root {root}
	ocsp_stapling off
	skip_install_trust
}}

{name} {{
	bind 127.0.0.1
	respond "flint caddy test {{host}}"
	tls {{
		key_type {key_type}
		issuer acme {{
			dir {directory}
			trusted_roots {root}
			email it@example.test
			{disable}
		}}
	}}
}}
"""


def certificates(pems):
    """The PEM blocks as cryptography x509.Certificate objects (compared by their DER)."""
    return [x509.load_pem_x509_certificate(pem.encode()) for pem in pems]


def describe(pems):
    """One line per certificate: subject <- issuer."""
    lines = []
    for pem in pems:
        c = x509.load_pem_x509_certificate(pem.encode())
        lines.append(f"  {c.subject.rfc4514_string()} <- {c.issuer.rfc4514_string()}")
    return "\n".join(lines)


class Caddy:
    """One `caddy run` with a generated Caddyfile, stopped by PID."""

    def __init__(self, env, name, key_type, disable):
        self.env = env
        self.name = name
        self.dir = env.new_dir("caddy")
        self.storage = os.path.join(self.dir, "storage")
        self.log_path = os.path.join(self.dir, "caddy.log")
        self.config = os.path.join(self.dir, "Caddyfile")
        with open(self.config, "w") as f:
            f.write(CADDYFILE.format(
                http_port=env.http01_port, https_port=env.tlsalpn01_port, storage=self.storage,
                directory=env.directory_url, root=env.server.tls_ca, name=name,
                key_type=key_type, disable=disable))
        self.proc = None

    def start(self):
        home = {"HOME": self.dir, "XDG_DATA_HOME": os.path.join(self.dir, "data"),
                "XDG_CONFIG_HOME": os.path.join(self.dir, "config")}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*DIE_WITH_PARENT, "caddy", "run", "--config", self.config,
                 "--adapter", "caddyfile"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=dict(os.environ, **home), cwd=self.dir)
        wait_port(self.env.tlsalpn01_port, self.proc, "caddy")
        return self

    def stop(self):
        stop_process(self.proc)

    def diagnostics(self):
        return (f"--- caddy log ({self.log_path}) ---\n{tail(self.log_path, 8000)}\n"
                f"--- flint log ---\n{self.env.server.logs()}")

    def stored(self, suffix):
        """The path of <storage>/certificates/<issuer>/<name>/<name><suffix>, or None."""
        found = glob.glob(os.path.join(self.storage, "certificates", "*", self.name,
                                       self.name + suffix))
        return found[0] if found else None

    def wait_certificate(self, test):
        """Waits until Caddy has stored both the chain and its key; returns their paths."""
        deadline = time.time() + ISSUE_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                test.fail(f"caddy exited with {self.proc.returncode}\n{self.diagnostics()}")
            crt, key = self.stored(".crt"), self.stored(".key")
            if crt and key:
                return crt, key
            time.sleep(0.5)
        test.fail(f"caddy stored no certificate for {self.name} within {ISSUE_TIMEOUT}s\n"
                  f"{self.diagnostics()}")

    def served_certificate(self, test):
        """Connects to Caddy's HTTPS port with SNI = name, trusting flint's root only;
        returns (peer certificate dict, HTTP response)."""
        ctx = ssl.create_default_context(cafile=self.env.server.issuer_root)
        deadline = time.time() + SERVE_TIMEOUT
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.env.tlsalpn01_port),
                                              timeout=5) as raw:
                    with ctx.wrap_socket(raw, server_hostname=self.name) as tls:
                        tls.sendall(f"GET / HTTP/1.1\r\nHost: {self.name}\r\n"
                                    "Connection: close\r\n\r\n".encode())
                        response = b""
                        while chunk := tls.recv(4096):
                            response += chunk
                        return tls.getpeercert(), response.decode(errors="replace")
            except (OSError, ssl.SSLError) as e:
                # Caddy stores the certificate just before it starts serving it.
                if time.time() > deadline:
                    test.fail(f"TLS to caddy as {self.name}: {e}\n{self.diagnostics()}")
                time.sleep(0.5)

    def served_chain(self, test):
        """The certificates Caddy sends in its TLS handshake for `name` (openssl s_client)."""
        out = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{self.env.tlsalpn01_port}",
             "-servername", self.name, "-showcerts"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        test.assertEqual(out.returncode, 0, f"openssl s_client: {out.stdout}{out.stderr}")
        return split_pem(out.stdout)


class CaddyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("caddy", "openssl", "pebble-challtestsrv")
        cls.env = Environment("caddy").start()

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def run_caddy(self, name, key_type, disable, key):
        caddy = Caddy(self.env, name, key_type, disable)
        try:
            caddy.start()
            crt, key_path = caddy.wait_certificate(self)
            try:
                # The .crt Caddy stores is the whole download: leaf, then the intermediate.
                check_chain(self, self.env, read(crt), [name], key, read(key_path))
            except AssertionError as e:
                self.fail(f"{e}\n{caddy.diagnostics()}")
            cert, response = caddy.served_certificate(self)
            self.assertIn(("DNS", name), cert.get("subjectAltName", ()), caddy.diagnostics())
            self.assertIn(f"flint caddy test {name}", response, caddy.diagnostics())
            # Exactly the leaf and flint's intermediate, stored and served, each once: acmez
            # appends whatever a Link rel="up" returns to the chain, so flint sends none.
            stored = split_pem(read(crt))
            intermediate = split_pem(read(self.env.server.intermediate))
            self.assertEqual(certificates(stored[1:]), certificates(intermediate),
                             f"caddy's stored chain {crt} is not leaf + intermediate:\n"
                             f"{describe(stored)}\n{caddy.diagnostics()}")
            served = caddy.served_chain(self)
            self.assertEqual(certificates(served), certificates(stored),
                             f"caddy serves {describe(served)}, stored {describe(stored)}")
        finally:
            caddy.stop()

    def test_http01(self):
        self.run_caddy("caddy-http.example.test", "p256", "disable_tlsalpn_challenge",
                       ("ec", "secp256r1"))

    def test_tlsalpn01(self):
        self.run_caddy("caddy-tls.example.test", "rsa2048", "disable_http_challenge",
                       ("rsa", 2048))


if __name__ == "__main__":
    unittest.main(verbosity=2)
