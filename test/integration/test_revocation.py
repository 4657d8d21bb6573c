"""Issue 4, revocation status, against a real build/flint process started with --skip-validation
and --http-listen: revokeCert signed by the account (kid) and by the certificate key (jwk), the
refusals, keyCompromise key blocking, the CRL checked with `openssl crl` and
`openssl verify -crl_check`, OCSP checked with `openssl ocsp` (POST) and a GET, the URLs in
issued certificates, the published CRL across a restart, --crl-lifetime / --ocsp-lifetime, and certbot /
lego revoke when installed."""

import base64
import datetime
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import FLINT, Client, Flint, free_port  # noqa: E402
from test_other_clients import private_bundle_prefix  # noqa: E402
from acmelib_lifecycle import run_admin  # noqa: E402
from issuance import (Issuance, data_file, der_to_pem, http_get, key_pem, make_csr,  # noqa: E402
                      openssl, write)

CLIENT_TIMEOUT = 180


def wait_http(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"flint exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the plain-HTTP listener did not start")


class StatusServer:
    """flint serve --skip-validation --http-listen 127.0.0.1:<free port>."""

    def __init__(self, data_dir=None, extra=()):
        self.http_port = free_port()
        self.flint = Flint(data_dir=data_dir, extra_args=[
            "--skip-validation", "--http-listen", f"127.0.0.1:{self.http_port}", *extra])

    def start(self):
        self.flint.start()
        wait_http(self.http_port, self.flint.proc)
        return self

    @property
    def http_base(self):
        return f"http://127.0.0.1:{self.http_port}"

    def stop(self):
        return self.flint.stop()


class RevocationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = StatusServer().start()
        cls.flint = cls.server.flint
        cls.work = tempfile.mkdtemp(prefix="flint-it-rev-")
        cls.root = data_file(cls.flint, "root.pem")
        cls.intermediate = data_file(cls.flint, "intermediate.pem")
        cls.account = Issuance(Client(cls.flint))
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)
        shutil.rmtree(cls.flint.data_dir, ignore_errors=True)
        assert code == 0, f"flint exit code {code}"

    def names(self, prefix):
        type(self).counter += 1
        return [f"{prefix}-{self.counter}.example.com"]

    def path(self, name):
        return os.path.join(self.work, name)

    def leaf_file(self, der, name):
        return write(self.path(name), der_to_pem(der))

    def crl_pem(self):
        status, headers, body = http_get(self.server.http_base + "/crl")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/pkix-crl")
        der = write(self.path("crl.der"), body)
        out = openssl("crl", "-inform", "DER", "-in", der, "-outform", "PEM")
        self.assertEqual(out.returncode, 0, out.stderr)
        return write(self.path("crl.pem"), out.stdout)

    def crl_text(self):
        out = openssl("crl", "-inform", "DER", "-in", self.path("crl.der"), "-noout", "-text")
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def verify_with_crl(self, leaf):
        crl = self.crl_pem()
        return openssl("verify", "-crl_check", "-CAfile", self.root, "-untrusted",
                       self.intermediate, "-CRLfile", crl, leaf)

    def ocsp(self, leaf, *extra):
        return openssl("ocsp", "-issuer", self.intermediate, "-cert", leaf, "-url",
                       self.server.http_base + "/ocsp", "-CAfile", self.root, *extra)

    # --- tests ---

    def test_certificates_name_the_plain_http_urls(self):
        _, der, _ = self.account.issue(self.names("urls"))
        cert = x509.load_der_x509_certificate(der)
        dp = cert.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
        self.assertEqual([n.value for p in dp for n in p.full_name],
                         [self.server.http_base + "/crl"])
        aia = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
        by_method = {d.access_method: d.access_location.value for d in aia}
        self.assertEqual(by_method[AuthorityInformationAccessOID.OCSP],
                         self.server.http_base + "/ocsp")
        self.assertEqual(by_method[AuthorityInformationAccessOID.CA_ISSUERS],
                         self.server.http_base + "/issuer")
        status, headers, body = http_get(self.server.http_base + "/issuer")
        self.assertEqual(headers["Content-Type"], "application/pkix-cert")
        with open(self.intermediate, "rb") as f:
            self.assertEqual(x509.load_der_x509_certificate(body),
                             x509.load_pem_x509_certificate(f.read()))

    def test_revoke_by_account_shows_in_crl_verify_and_ocsp(self):
        _, der, _ = self.account.issue(self.names("kid"))
        leaf = self.leaf_file(der, "kid.pem")
        serial = format(x509.load_der_x509_certificate(der).serial_number, "X")
        serial = "0" * (len(serial) % 2) + serial  # openssl prints whole octets

        out = self.ocsp(leaf)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"{leaf}: good", out.stdout)
        self.assertIn("Response verify OK", out.stderr)
        self.assertEqual(self.verify_with_crl(leaf).returncode, 0)

        r = self.account.revoke(der, reason=4)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body, b"")
        again = self.account.revoke(der)
        self.assertEqual((again.status, again.problem_type()), (400, "alreadyRevoked"))

        verify = self.verify_with_crl(leaf)
        self.assertNotEqual(verify.returncode, 0)
        self.assertIn("certificate revoked", verify.stdout + verify.stderr)
        text = self.crl_text()
        self.assertIn(f"Serial Number: {serial}", text)
        self.assertIn("Superseded", text)
        self.assertIn("X509v3 CRL Number", text)
        self.assertIn("X509v3 Authority Key Identifier", text)

        out = self.ocsp(leaf)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"{leaf}: revoked", out.stdout)
        self.assertIn("Reason: superseded", out.stdout)
        self.assertIn("Response verify OK", out.stderr)

    def test_admin_revoke_in_another_process_reaches_crl_and_ocsp_at_once(self):
        _, der, _ = self.account.issue(self.names("admin"))
        leaf = self.leaf_file(der, "admin.pem")
        serial = format(x509.load_der_x509_certificate(der).serial_number, "x")
        self.assertEqual(self.verify_with_crl(leaf).returncode, 0)  # the served CRL is cached
        run_admin(self.flint.data_dir, "certs", "revoke", serial, "--reason", "1")
        # No waiting: the very next CRL and OCSP answer know it.
        verify = self.verify_with_crl(leaf)
        self.assertIn("certificate revoked", verify.stdout + verify.stderr)
        self.assertIn("Key Compromise", self.crl_text())
        out = self.ocsp(leaf)
        self.assertIn(f"{leaf}: revoked", out.stdout)
        self.assertIn("Reason: keyCompromise", out.stdout)

    def test_revoke_with_certificate_key_blocks_the_key(self):
        _, der, cert_key = self.account.issue(self.names("jwk"))
        r = self.account.revoke(der, reason=1, cert_key=cert_key)
        self.assertEqual(r.status, 200, r.body)
        leaf = self.leaf_file(der, "jwk.pem")
        out = self.ocsp(leaf)
        self.assertIn("Reason: keyCompromise", out.stdout)
        self.crl_pem()
        self.assertIn("Key Compromise", self.crl_text())

        # The key is blocked: a CSR with it, and an account with it.
        names = self.names("reuse")
        order_url, order = self.account.ready_order(names)
        csr, _ = make_csr(names, cert_key)
        fin = self.account.finalize(order_url, order, csr)
        self.assertEqual((fin.status, fin.problem_type()), (400, "badCSR"), fin.body)
        blocked = Client(self.flint, key=cert_key).new_account({"termsOfServiceAgreed": True})
        self.assertEqual((blocked.status, blocked.problem_type()), (400, "badPublicKey"),
                         blocked.body)

    def test_refusals(self):
        _, der, _ = self.account.issue(self.names("refuse"))
        r = self.account.revoke(der, reason=2)  # cACompromise: not a subscriber's reason
        self.assertEqual((r.status, r.problem_type()), (400, "badRevocationReason"))
        stranger = Issuance(Client(self.flint))
        r = stranger.revoke(der)
        self.assertEqual((r.status, r.problem_type()), (403, "unauthorized"))
        with open(self.intermediate, "rb") as f:
            not_ours = x509.load_pem_x509_certificate(f.read()).public_bytes(
                serialization.Encoding.DER)
        r = self.account.revoke(not_ours)
        self.assertEqual(r.status, 404, r.body)

    def test_account_with_authorizations_for_all_names_may_revoke(self):
        names = self.names("authz")
        _, der, _ = self.account.issue(names)
        other = Issuance(Client(self.flint))
        other.ready_order(names)  # valid authorizations for the same names
        r = other.revoke(der, reason=5)
        self.assertEqual(r.status, 200, r.body)

    def test_ocsp_get_and_unknown(self):
        _, der, _ = self.account.issue(self.names("get"))
        leaf = self.leaf_file(der, "get.pem")
        req = self.path("get.req")
        out = openssl("ocsp", "-issuer", self.intermediate, "-cert", leaf, "-no_nonce",
                      "-reqout", req)
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(req, "rb") as f:
            b64 = base64.b64encode(f.read()).decode()
        url = self.server.http_base + "/ocsp/" + urllib.request.quote(b64, safe="")
        status, headers, body = http_get(url)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/ocsp-response")
        self.assertIn("max-age=", headers["Cache-Control"])
        self.assertTrue(headers["Last-Modified"])
        resp = write(self.path("get.resp"), body)
        out = openssl("ocsp", "-respin", resp, "-issuer", self.intermediate, "-cert", leaf,
                      "-CAfile", self.root)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"{leaf}: good", out.stdout)

        # The HTTPS listener's certificate: signed by the intermediate, never stored as an
        # ACME certificate, so its serial is unknown.
        with open(data_file(self.flint, "tls.pem")) as f:
            tls_leaf = write(self.path("tls-leaf.pem"), f.read().split("-----END CERTIFICATE-----")[0]
                             + "-----END CERTIFICATE-----\n")
        out = self.ocsp(tls_leaf)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"{tls_leaf}: unknown", out.stdout)
        self.assertIn("Response verify OK", out.stderr)

        # A certificate of another issuer (the intermediate itself, issued by the root): this
        # responder does not answer for the root (RFC 5019 §2.2.3).
        out = openssl("ocsp", "-issuer", self.root, "-cert", self.intermediate, "-url",
                      self.server.http_base + "/ocsp", "-CAfile", self.root, "-no_nonce")
        self.assertIn("Responder Error: unauthorized (6)", out.stdout)


class CrlNumberRestartTest(unittest.TestCase):
    def test_the_published_crl_outlives_a_restart(self):
        """The CRL is published in the store (shared by every instance on it): after a restart
        the same, still current CRL is served, never one with a lower number."""
        data = tempfile.mkdtemp(prefix="flint-it-crl-")
        try:
            numbers, bodies = [], []
            for _ in range(2):
                server = StatusServer(data_dir=data).start()
                try:
                    _, _, body = http_get(server.http_base + "/crl")
                    bodies.append(body)
                    path = write(os.path.join(data, "crl.der"), body)
                    out = openssl("crl", "-inform", "DER", "-in", path, "-noout", "-crlnumber")
                    self.assertEqual(out.returncode, 0, out.stderr)
                    numbers.append(int(out.stdout.strip().split("=")[1], 16))
                finally:
                    self.assertEqual(server.stop(), 0)
            self.assertEqual(numbers[1], numbers[0])
            self.assertEqual(bodies[1], bodies[0])
        finally:
            shutil.rmtree(data, ignore_errors=True)


class NoOcspTest(unittest.TestCase):
    def test_no_ocsp_leaves_out_the_url_and_the_responder(self):
        server = StatusServer(extra=["--no-ocsp"]).start()
        try:
            _, der, _ = Issuance(Client(server.flint)).issue(["noocsp.example.com"])
            aia = x509.load_der_x509_certificate(der).extensions.get_extension_for_oid(
                ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
            self.assertEqual([d.access_method for d in aia],
                             [AuthorityInformationAccessOID.CA_ISSUERS])
            req = urllib.request.Request(server.http_base + "/ocsp", data=b"x", method="POST")
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=10)
            self.assertEqual(e.exception.code, 404)
        finally:
            self.assertEqual(server.stop(), 0)
            shutil.rmtree(server.flint.data_dir, ignore_errors=True)


class NoStatusListenerTest(unittest.TestCase):
    def test_without_http_listen_certificates_carry_no_ca_issuers(self):
        # RFC 5280 §4.2.2.1: caIssuers is DER over HTTP; the ACME /acme/issuer is HTTPS and PEM.
        f = Flint(extra_args=["--skip-validation", "--no-ocsp"]).start()
        try:
            _, der, _ = Issuance(Client(f)).issue(["noaia.example.com"])
            exts = x509.load_der_x509_certificate(der).extensions
            with self.assertRaises(x509.ExtensionNotFound):
                exts.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
            with self.assertRaises(x509.ExtensionNotFound):
                exts.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS)
        finally:
            self.assertEqual(f.stop(), 0)
            shutil.rmtree(f.data_dir, ignore_errors=True)


class LifetimesTest(unittest.TestCase):
    """--crl-lifetime and --ocsp-lifetime: nextUpdate - thisUpdate of what the listener serves,
    and an out-of-range value stopping `flint serve` at start."""

    def test_crl_and_ocsp_next_update(self):
        server = StatusServer(extra=["--crl-lifetime", "2h", "--ocsp-lifetime", "3h30m"]).start()
        try:
            _, der, _ = Issuance(Client(server.flint)).issue(["lifetimes.example.com"])
            _, _, body = http_get(server.http_base + "/crl")
            crl = x509.load_der_x509_crl(body)
            self.assertEqual(crl.next_update - crl.last_update, datetime.timedelta(hours=2))

            with open(data_file(server.flint, "intermediate.pem"), "rb") as f:
                issuer = x509.load_pem_x509_certificate(f.read())
            req = (ocsp.OCSPRequestBuilder()
                   .add_certificate(x509.load_der_x509_certificate(der), issuer, hashes.SHA1())
                   .build().public_bytes(serialization.Encoding.DER))
            post = urllib.request.Request(server.http_base + "/ocsp", data=req, method="POST",
                                          headers={"Content-Type": "application/ocsp-request"})
            with urllib.request.urlopen(post, timeout=10) as r:
                resp = ocsp.load_der_ocsp_response(r.read())
            self.assertEqual(resp.response_status, ocsp.OCSPResponseStatus.SUCCESSFUL)
            self.assertEqual(resp.certificate_status, ocsp.OCSPCertStatus.GOOD)
            self.assertEqual(resp.next_update - resp.this_update,
                             datetime.timedelta(hours=3, minutes=30))
        finally:
            self.assertEqual(server.stop(), 0)
            shutil.rmtree(server.flint.data_dir, ignore_errors=True)

    def test_out_of_range_lifetime_is_refused_at_start(self):
        data = tempfile.mkdtemp(prefix="flint-it-life-")
        try:
            out = subprocess.run([FLINT, "serve", "--data", data, "--listen",
                                  f"127.0.0.1:{free_port()}", "--ocsp-lifetime", "10d"],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertIn("--ocsp-lifetime: '10d' is out of range", out.stderr)
        finally:
            shutil.rmtree(data, ignore_errors=True)


def run_client(test, args, env=None, cwd=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    out = subprocess.run(args, capture_output=True, text=True, timeout=CLIENT_TIMEOUT,
                         env=full_env, cwd=cwd, stdin=subprocess.DEVNULL)
    test.assertEqual(out.returncode, 0, f"{args[0]} failed:\n{out.stdout}\n{out.stderr}")
    return out


class RealClientRevokeTest(unittest.TestCase):
    """certbot and lego revoke against flint with --skip-validation (their challenge solvers
    run, but flint does not connect to them)."""

    @classmethod
    def setUpClass(cls):
        cls.server = StatusServer().start()
        cls.flint = cls.server.flint
        cls.work = tempfile.mkdtemp(prefix="flint-it-revcli-")
        cls.root = data_file(cls.flint, "root.pem")
        cls.intermediate = data_file(cls.flint, "intermediate.pem")

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)
        shutil.rmtree(cls.flint.data_dir, ignore_errors=True)
        assert code == 0, f"flint exit code {code}"

    def ocsp_status(self, cert_path):
        out = openssl("ocsp", "-issuer", self.intermediate, "-cert", cert_path, "-url",
                      self.server.http_base + "/ocsp", "-CAfile", self.root)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_certbot_revoke(self):
        if shutil.which("certbot") is None:
            self.skipTest("certbot not installed")
        base = os.path.join(self.work, "certbot")
        dirs = ["--config-dir", os.path.join(base, "config"), "--work-dir",
                os.path.join(base, "work"), "--logs-dir", os.path.join(base, "logs")]
        env = {"REQUESTS_CA_BUNDLE": self.root}
        server = self.flint.base + "/directory"
        run_client(self, ["certbot", "certonly", "--non-interactive", "--agree-tos", "-m",
                          "it@example.com", "--no-eff-email", "--server", server,
                          "--cert-name", "rev", "-d", "certbot-rev.example.com", "--manual",
                          "--preferred-challenges", "http", "--manual-auth-hook", "/bin/true",
                          *dirs], env)
        cert = os.path.join(base, "config", "live", "rev", "cert.pem")
        self.assertIn(": good", self.ocsp_status(cert))
        run_client(self, ["certbot", "revoke", "--non-interactive", "--server", server,
                          "--cert-path", cert, "--reason", "superseded",
                          "--no-delete-after-revoke", *dirs], env)
        status = self.ocsp_status(cert)
        self.assertIn(": revoked", status)
        self.assertIn("Reason: superseded", status)

    def test_certbot_revoke_with_certificate_key(self):
        if shutil.which("certbot") is None:
            self.skipTest("certbot not installed")
        # Issue with the raw client, then revoke with certbot signing with the cert's key.
        _, der, key = Issuance(Client(self.flint)).issue(["certbot-key.example.com"])
        cert = write(os.path.join(self.work, "certbot-key.pem"), der_to_pem(der))
        keyfile = write(os.path.join(self.work, "certbot-key.key"), key_pem(key))
        base = os.path.join(self.work, "certbot-key")
        run_client(self, ["certbot", "revoke", "--non-interactive", "--server",
                          self.flint.base + "/directory", "--cert-path", cert, "--key-path",
                          keyfile, "--reason", "keycompromise", "--no-delete-after-revoke",
                          "--config-dir", os.path.join(base, "config"), "--work-dir",
                          os.path.join(base, "work"), "--logs-dir", os.path.join(base, "logs")],
                   {"REQUESTS_CA_BUNDLE": self.root})
        self.assertIn("Reason: keyCompromise", self.ocsp_status(cert))

    def test_uacme_revoke_signed_with_certificate_key(self):
        if shutil.which("uacme") is None or shutil.which("unshare") is None:
            self.skipTest("uacme or unshare not installed")
        prefix = private_bundle_prefix(self.root)
        if prefix is None:
            self.skipTest("uacme trusts only the system CA bundle and unshare -m is not "
                          "permitted here")
        _, der, key = Issuance(Client(self.flint)).issue(["uacme-rev.example.com"])
        cert = write(os.path.join(self.work, "uacme-rev.pem"), der_to_pem(der))
        keyfile = write(os.path.join(self.work, "uacme-rev.key"), key_pem(key))
        conf = os.path.join(self.work, "uacme")
        base = [*prefix, "uacme", "-v", "-c", conf, "-a", self.flint.base + "/directory"]
        run_client(self, [*base, "-y", "-t", "EC", "new", "it@example.com"])
        # uacme signs with CERTKEYFILE's key as jwk when it is given (RFC 8555 §7.6).
        # uacme renames the file it revoked, so it gets a copy.
        copy = write(os.path.join(self.work, "uacme-rev-copy.pem"), der_to_pem(der))
        run_client(self, [*base, "-r", "1", "revoke", copy, keyfile])
        status = self.ocsp_status(cert)
        self.assertIn(": revoked", status)
        self.assertIn("Reason: keyCompromise", status)

    def test_lego_revoke(self):
        if shutil.which("lego") is None:
            self.skipTest("lego not installed")
        path = os.path.join(self.work, "lego")
        common = ["lego", "--accept-tos", "--email", "it@example.com", "--server",
                  self.flint.base + "/directory", "--path", path, "--domains",
                  "lego-rev.example.com"]
        env = {"LEGO_CA_CERTIFICATES": self.root}
        run_client(self, [*common, "--http", "--http.port", f"127.0.0.1:{free_port()}", "run"],
                   env)
        cert = os.path.join(path, "certificates", "lego-rev.example.com.crt")
        with open(cert) as f:
            pem = f.read()
        leaf = write(os.path.join(self.work, "lego-leaf.pem"), re.findall(
            r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", pem, re.S)[0])
        self.assertIn(": good", self.ocsp_status(leaf))
        run_client(self, [*common, "revoke", "--reason", "4"], env)
        status = self.ocsp_status(leaf)
        self.assertIn(": revoked", status)
        self.assertIn("Reason: superseded", status)


if __name__ == "__main__":
    unittest.main(verbosity=2)
