"""Issue 17: `flint pebble` as a drop-in for Pebble 2.4 in ACME clients' CI.

Each test class starts `flint pebble -config FILE -dnsserver HOST:PORT [-strict]` exactly as a
client project's CI starts `pebble`: a Pebble JSON configuration in the shape that project's
repository uses, Pebble's environment variables, pebble-challtestsrv as the DNS server, and the
client's own challenge servers on httpPort/tlsPort. Ports are free 127.0.0.1 ports instead of
the projects' fixed ones, so tests can run side by side.

  CertbotSetupTest     certbot-ci's set-up (certbot_integration_tests/utils/pebble_artifacts.py
                       and acme_server.py): management API, OCSP URL, EAB keys, -strict,
                       PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0, PEBBLE_AUTHZREUSE=100,
                       PEBBLE_ALTERNATE_ROOTS=2; certbot standalone http-01, --preferred-chain for
                       an alternate root, revocation seen in /cert-status-by-serial.
  EabSetupTest         Pebble's example EAB configuration: lego without a binding, with a wrong
                       MAC key, and with the file's key.
  LegoSetupTest        lego's e2e set-up (e2e/fixtures/pebble-config.json: no management API,
                       profiles), -strict, PEBBLE_VA_NOSLEEP=1 and PEBBLE_WFE_NONCEREJECT=20 (lego
                       must retry badNonce); http-01 and tls-alpn-01.
  ManagementApiTest    Debian's pebble 2.4 and flint pebble side by side with the same file and
                       environment: every management resource's status, content type and Link
                       headers, the exact JSON layout of /cert-status-by-serial before and after
                       revocation, and PEBBLE_CHAIN_LENGTH's chain.
  NonceRejectTest      PEBBLE_WFE_NONCEREJECT: 0 refuses none, 50 about half, unset Pebble's 5%,
                       counted over a few hundred requests with bounds a correct server misses
                       with probability below 1e-4.

FLINT_PEBBLE_SERVER=pebble runs the client set-ups against Debian's pebble instead (a development
aid: the tests are meant to pass unchanged against both).
"""

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import FLINT, Client  # noqa: E402
from harness import (DIE_WITH_PARENT, Environment, free_port, make_tls_files,  # noqa: E402
                     read, require_binaries, split_pem, stop_process, tail, wait_port)

SERVER = os.environ.get("FLINT_PEBBLE_SERVER", "flint")

# certbot-ci's EAB keys (the same as Pebble's example configuration).
EAB_KEYS = {"kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W",
            "kid-2": "b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH"}


def argv_for(kind):
    return [FLINT, "pebble"] if kind == "flint" else ["pebble"]


class PebbleProcess:
    """`flint pebble` (or Debian's pebble) started from a Pebble JSON file and environment.

    `make_config(ports, tls_files)` returns the {"pebble": {...}} object; `ports` holds the
    listen, management, http01 and tlsalpn01 ports."""

    def __init__(self, workdir, resolver, http01_port, tlsalpn01_port, make_config, env,
                 args=(), kind=SERVER, name="pebble"):
        self.workdir = workdir
        self.resolver = resolver
        self.kind = kind
        self.name = name
        self.ports = {"listen": free_port(), "management": free_port(),
                      "http01": http01_port, "tlsalpn01": tlsalpn01_port}
        self.make_config = make_config
        self.env = env
        self.args = list(args)
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.proc = None

    def start(self):
        self.tls = make_tls_files(self.workdir)
        self.config = self.make_config(self.ports, self.tls)
        self.config_path = os.path.join(self.workdir, f"{self.name}-config.json")
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PEBBLE_")}
        env.update(self.env)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*DIE_WITH_PARENT, *argv_for(self.kind), "-config", self.config_path,
                 "-dnsserver", self.resolver, *self.args],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        wait_port(self.ports["listen"], self.proc, self.name)
        if "managementListenAddress" in self.config["pebble"]:
            wait_port(self.ports["management"], self.proc, self.name)
        return self

    @property
    def base(self):
        return f"https://localhost:{self.ports['listen']}"

    @property
    def directory_url(self):
        return self.base + "/dir"

    @property
    def tls_ca(self):
        return self.tls["ca"]

    def context(self):
        return ssl.create_default_context(cafile=self.tls_ca)

    def management(self, path):
        """GET on the management API: (status, headers, body bytes)."""
        url = f"https://localhost:{self.ports['management']}/{path}"
        try:
            with urllib.request.urlopen(url, context=self.context(), timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def management_ok(self, path):
        status, _, body = self.management(path)
        if status != 200:
            raise AssertionError(f"{self.name} /{path}: HTTP {status} {body[:200]!r}")
        return body

    def logs(self):
        return tail(self.log_path)

    def stop(self):
        """The exit code after SIGTERM (Debian's pebble dies of the signal: reported as 0)."""
        stop_process(self.proc)
        code = self.proc.returncode if self.proc else 0
        return 0 if self.kind != "flint" else code


def certbot_config(ports, tls):
    """certbot-ci's Pebble configuration (pebble_artifacts.py), with free ports."""
    return {"pebble": {
        "listenAddress": f"127.0.0.1:{ports['listen']}",
        "managementListenAddress": f"127.0.0.1:{ports['management']}",
        "certificate": tls["cert"],
        "privateKey": tls["key"],
        "httpPort": ports["http01"],
        "tlsPort": ports["tlsalpn01"],
        "ocspResponderURL": "http://127.0.0.1:4002",
        "externalAccountMACKeys": EAB_KEYS,
    }}


def lego_config(ports, tls):
    """lego's e2e/fixtures/pebble-config.json, with free ports."""
    return {"pebble": {
        "listenAddress": f"127.0.0.1:{ports['listen']}",
        "certificate": tls["cert"],
        "privateKey": tls["key"],
        "httpPort": ports["http01"],
        "tlsPort": ports["tlsalpn01"],
        "profiles": {
            "default": {"description": "The profile you know and love",
                        "validityPeriod": 7776000},
            "shortlived": {"description": "A short-lived cert profile, without actual enforcement",
                           "validityPeriod": 518400},
        },
    }}


def pebble_example_config(ports, tls):
    """Pebble 2.4's own test/config/pebble-config.json, with free ports."""
    return {"pebble": {
        "listenAddress": f"127.0.0.1:{ports['listen']}",
        "managementListenAddress": f"127.0.0.1:{ports['management']}",
        "certificate": tls["cert"],
        "privateKey": tls["key"],
        "httpPort": ports["http01"],
        "tlsPort": ports["tlsalpn01"],
        "ocspResponderURL": "",
        "externalAccountBindingRequired": False,
    }}


def server_factory(make_config, env, args=(), kind=SERVER, name="pebble"):
    def make(workdir, resolver, http01_port, tlsalpn01_port):
        return PebbleProcess(workdir, resolver, http01_port, tlsalpn01_port, make_config, env,
                             args, kind, name)
    return make


def cert_of(pem_text):
    return x509.load_pem_x509_certificate(pem_text.encode() if isinstance(pem_text, str)
                                          else pem_text)


def common_name(cert):
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def openssl_verify(workdir, fullchain, root_pem):
    """`openssl verify` of the chain's leaf with the rest untrusted and `root_pem` trusted;
    returns (ok, output)."""
    d = tempfile.mkdtemp(dir=workdir, prefix="verify-")
    certs = split_pem(fullchain)
    paths = {}
    for name, content in (("leaf", certs[0]), ("untrusted", "".join(certs[1:])),
                          ("root", root_pem)):
        paths[name] = os.path.join(d, name + ".pem")
        with open(paths[name], "w") as f:
            f.write(content)
    out = subprocess.run(["openssl", "verify", "-x509_strict", "-purpose", "sslserver",
                          "-CAfile", paths["root"], "-untrusted", paths["untrusted"],
                          paths["leaf"]], capture_output=True, text=True, timeout=30)
    return out.returncode == 0, out.stdout + out.stderr


class CertbotSetupTest(unittest.TestCase):
    ALTERNATE_ROOTS = 2

    @classmethod
    def setUpClass(cls):
        require_binaries("certbot", "openssl", "pebble-challtestsrv")
        env = {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0",
               "PEBBLE_AUTHZREUSE": "100", "PEBBLE_ALTERNATE_ROOTS": str(cls.ALTERNATE_ROOTS)}
        cls.env = Environment("pebble-certbot",
                              server=server_factory(certbot_config, env, ["-strict"])).start()
        base = cls.env.new_dir("certbot")
        cls.dirs = ["--config-dir", os.path.join(base, "config"),
                    "--work-dir", os.path.join(base, "work"),
                    "--logs-dir", os.path.join(base, "logs")]
        cls.live = os.path.join(base, "config", "live")
        cls.roots = [cls.env.server.management_ok(f"roots/{k}").decode()
                     for k in range(cls.ALTERNATE_ROOTS + 1)]

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint pebble exit code {code}"

    def certbot(self, *args):
        return self.env.run(["certbot", *args, *self.dirs, "--non-interactive"],
                            env={"REQUESTS_CA_BUNDLE": self.env.server.tls_ca})

    def certonly(self, cert_name, names, *args):
        domains = [a for n in names for a in ("-d", n)]
        return self.certbot("certonly", "--agree-tos", "-m", "it@example.test", "--no-eff-email",
                            "--server", self.env.directory_url, "--cert-name", cert_name,
                            "--standalone", "--preferred-challenges", "http",
                            "--http-01-port", str(self.env.http01_port),
                            "--http-01-address", "127.0.0.1", *domains, *args)

    def test_http01_chain_verifies_under_root_0_with_the_configured_ocsp_url(self):
        self.certonly("default", ["certbot.example.test"])
        fullchain = read(os.path.join(self.live, "default", "fullchain.pem"))
        ok, out = openssl_verify(self.env.workdir, fullchain, self.roots[0])
        self.assertTrue(ok, out)
        leaf = cert_of(split_pem(fullchain)[0])
        aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp = [d.access_location.value for d in aia
                if d.access_method == AuthorityInformationAccessOID.OCSP]
        self.assertEqual(ocsp, ["http://127.0.0.1:4002"])

    def test_preferred_chain_picks_each_alternate_root(self):
        for k in range(1, self.ALTERNATE_ROOTS + 1):
            name = f"alt{k}"
            self.certonly(name, [f"alt{k}.certbot.example.test"], "--preferred-chain",
                          common_name(cert_of(self.roots[k])))
            fullchain = read(os.path.join(self.live, name, "fullchain.pem"))
            ok, out = openssl_verify(self.env.workdir, fullchain, self.roots[k])
            self.assertTrue(ok, f"alternate {k}: {out}")
            ok, _ = openssl_verify(self.env.workdir, fullchain, self.roots[0])
            self.assertFalse(ok, f"alternate {k}'s chain also verified under root 0")

    def test_revocation_shows_in_cert_status_by_serial(self):
        self.certonly("revoked", ["revoked.certbot.example.test"])
        cert_path = os.path.join(self.live, "revoked", "cert.pem")
        leaf = cert_of(read(cert_path))
        serial = format(leaf.serial_number, "x")
        status = json.loads(self.env.server.management_ok(f"cert-status-by-serial/{serial}"))
        self.assertEqual(status["Status"], "Valid")
        self.assertEqual(status["Serial"], serial)
        self.certbot("revoke", "--server", self.env.directory_url, "--cert-path", cert_path,
                     "--reason", "keycompromise", "--no-delete-after-revoke")
        status = json.loads(self.env.server.management_ok(f"cert-status-by-serial/{serial}"))
        self.assertEqual(status["Status"], "Revoked")
        self.assertEqual(status["Reason"], 1)
        self.assertEqual(cert_of(status["Certificate"]), leaf)


class LegoSetupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries("lego", "openssl", "pebble-challtestsrv")
        env = {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "20"}
        cls.env = Environment("pebble-lego",
                              server=server_factory(lego_config, env, ["-strict"])).start()
        cls.path = cls.env.new_dir("lego")

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint pebble exit code {code}"

    def lego(self, name, *challenge_args):
        self.env.run(["lego", "--accept-tos", "--email", "it@example.test",
                      "--server", self.env.directory_url, "--path", self.path,
                      "--key-type", "ec256", "-d", name, *challenge_args, "run"],
                     env={"LEGO_CA_CERTIFICATES": self.env.server.tls_ca})
        chain = read(os.path.join(self.path, "certificates", name + ".crt"))
        certs = split_pem(chain)
        self.assertEqual(len(certs), 2, chain)
        leaf = cert_of(certs[0])
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(san.get_values_for_type(x509.DNSName), [name])
        self.assertEqual(leaf.issuer, cert_of(certs[1]).subject)

    def test_http01(self):
        self.lego("lego-http.example.test", "--http",
                  "--http.port", f"127.0.0.1:{self.env.http01_port}")

    def test_tlsalpn01(self):
        self.lego("lego-tls.example.test", "--tls",
                  "--tls.port", f"127.0.0.1:{self.env.tlsalpn01_port}")


class EabSetupTest(unittest.TestCase):
    """Pebble's example pebble-config-external-account-bindings.json: newAccount needs a binding
    with one of the file's MAC keys (lego --eab)."""

    @classmethod
    def setUpClass(cls):
        require_binaries("lego", "pebble-challtestsrv")

        def config(ports, tls):
            c = pebble_example_config(ports, tls)
            c["pebble"]["externalAccountBindingRequired"] = True
            c["pebble"]["externalAccountMACKeys"] = EAB_KEYS
            return c

        cls.env = Environment("pebble-eab", server=server_factory(
            config, {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"})).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.env.stop()
        assert code == 0, f"flint pebble exit code {code}"

    def lego(self, name, *eab):
        return self.env.run(["lego", "--accept-tos", "--email", "it@example.test",
                             "--server", self.env.directory_url,
                             "--path", os.path.join(self.env.workdir, "lego-" + name),
                             "-d", name, "--http", "--http.port",
                             f"127.0.0.1:{self.env.http01_port}", *eab, "run"],
                            env={"LEGO_CA_CERTIFICATES": self.env.server.tls_ca}, check=False)

    def test_binding_with_a_configured_key_is_required(self):
        code, out = self.lego("no-eab.example.test")
        self.assertNotEqual(code, 0, out)
        self.assertIn("External Account Binding", out)  # lego reads the directory's meta
        code, out = self.lego("wrong-eab.example.test", "--eab", "--kid", "kid-1",
                              "--hmac", EAB_KEYS["kid-2"])
        self.assertNotEqual(code, 0, out)
        code, out = self.lego("eab.example.test", "--eab", "--kid", "kid-1",
                              "--hmac", EAB_KEYS["kid-1"])
        self.assertEqual(code, 0, out)


def json_template(text):
    """The layout of a cert-status-by-serial body with its values blanked out."""
    text = re.sub(r'"Certificate": "[^"]*"', '"Certificate": "<pem>"', text)
    text = re.sub(r'"Serial": "[0-9a-f]+"', '"Serial": "<hex>"', text)
    text = re.sub(r'"RevokedAt": "[^"]*"', '"RevokedAt": "<time>"', text)
    return text


class ManagementApiTest(unittest.TestCase):
    """Debian's pebble 2.4 and flint pebble, same file and environment, compared."""

    ENV = {"PEBBLE_VA_ALWAYS_VALID": "1", "PEBBLE_WFE_NONCEREJECT": "0",
           "PEBBLE_ALTERNATE_ROOTS": "1", "PEBBLE_CHAIN_LENGTH": "2"}

    @classmethod
    def setUpClass(cls):
        require_binaries("pebble", "lego", "pebble-challtestsrv")
        cls.envs = {}
        try:
            for kind in ("pebble", "flint"):
                cls.envs[kind] = Environment(
                    f"pebble-mgmt-{kind}",
                    server=server_factory(pebble_example_config, cls.ENV, kind=kind,
                                          name=kind)).start()
            cls.certs = {kind: cls.issue(env, f"{kind}.mgmt.example.test")
                         for kind, env in cls.envs.items()}
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for env in cls.envs.values():
            env.stop()

    @staticmethod
    def lego(env, name, *command):
        env.run(["lego", "--accept-tos", "--email", "it@example.test",
                 "--server", env.directory_url, "--path", os.path.join(env.workdir, "lego"),
                 "--key-type", "ec256", "-d", name, "--http",
                 "--http.port", f"127.0.0.1:{env.http01_port}", *command],
                env={"LEGO_CA_CERTIFICATES": env.server.tls_ca})

    @classmethod
    def issue(cls, env, name):
        cls.lego(env, name, "run")
        return read(os.path.join(env.workdir, "lego", "certificates", name + ".crt"))

    def fetch_both(self, path_for):
        return {kind: env.server.management(path_for(kind)) for kind, env in self.envs.items()}

    def serial(self, kind):
        return format(cert_of(split_pem(self.certs[kind])[0]).serial_number, "x")

    def test_pem_resources_status_content_type_and_links_match(self):
        paths = ["roots/0", "roots/1", "roots/2", "roots/x", "roots/-1", "roots/01",
                 "root-keys/0", "root-keys/1", "root-keys/2", "intermediates/0",
                 "intermediates/1", "intermediates/2", "intermediate-keys/0",
                 "intermediate-keys/1", "intermediate-keys/2", "nothing-here/0"]
        for path in paths:
            got = self.fetch_both(lambda kind: path)
            statuses = {kind: r[0] for kind, r in got.items()}
            self.assertEqual(statuses["flint"], statuses["pebble"], f"/{path}: {statuses}")
            if statuses["pebble"] != 200:
                continue
            for header in ("Content-Type",):
                self.assertEqual(got["flint"][1].get(header), got["pebble"][1].get(header),
                                 f"/{path} {header}")
            links = {kind: sorted(re.sub(r":\d+/", ":PORT/", v)
                                  for v in r[1].get_all("Link") or [])
                     for kind, r in got.items()}
            self.assertEqual(links["flint"], links["pebble"], f"/{path} Link")

    def test_keys_match_their_certificates_and_the_chain(self):
        server = self.envs["flint"].server
        for k in (0, 1):
            root = cert_of(server.management_ok(f"roots/{k}"))
            root_key = serialization.load_pem_private_key(
                server.management_ok(f"root-keys/{k}"), password=None)
            self.assertEqual(root.public_key().public_numbers(),
                             root_key.public_key().public_numbers())
            inter = cert_of(server.management_ok(f"intermediates/{k}"))
            inter_key = serialization.load_pem_private_key(
                server.management_ok(f"intermediate-keys/{k}"), password=None)
            self.assertEqual(inter.public_key().public_numbers(),
                             inter_key.public_key().public_numbers())
        # The leaf came with the default hierarchy's chain and verifies under /roots/0.
        ok, out = openssl_verify(self.envs["flint"].workdir, self.certs["flint"],
                                 server.management_ok("roots/0").decode())
        self.assertTrue(ok, out)
        self.assertEqual(split_pem(self.certs["flint"])[1],
                         server.management_ok("intermediates/0").decode())

    def test_chain_length_matches_pebble(self):
        counts = {kind: len(split_pem(chain)) for kind, chain in self.certs.items()}
        self.assertEqual(counts["flint"], counts["pebble"], counts)
        self.assertEqual(counts["flint"], 1 + int(self.ENV["PEBBLE_CHAIN_LENGTH"]))

    def test_cert_status_by_serial_json_is_pebbles(self):
        bodies = {}
        for kind in ("pebble", "flint"):
            serial = self.serial(kind)
            status, headers, body = self.envs[kind].server.management(
                f"cert-status-by-serial/{serial}")
            self.assertEqual(status, 200, f"{kind}: {body!r}")
            self.assertEqual(headers.get("Content-Type"), "application/json; charset=utf-8")
            bodies[kind] = body.decode()
            doc = json.loads(bodies[kind])
            self.assertEqual(doc["Serial"], serial)
            self.assertEqual(cert_of(doc["Certificate"]),
                             cert_of(split_pem(self.certs[kind])[0]))
            # Upper case and leading zeros name the same certificate.
            self.assertEqual(self.envs[kind].server.management_ok(
                f"cert-status-by-serial/00{serial.upper()}").decode(), bodies[kind])
        self.assertEqual(json_template(bodies["flint"]), json_template(bodies["pebble"]))
        self.assertIn('"Status": "Valid"', bodies["flint"])

        # Revoked with reason 4 (superseded) by each server's own lego account.
        for kind, env in self.envs.items():
            self.lego(env, f"{kind}.mgmt.example.test", "revoke", "--reason", "4", "--keep")
            bodies[kind] = env.server.management_ok(
                f"cert-status-by-serial/{self.serial(kind)}").decode()
        self.assertEqual(json_template(bodies["flint"]), json_template(bodies["pebble"]))
        doc = json.loads(bodies["flint"])
        self.assertEqual((doc["Status"], doc["Reason"]), ("Revoked", 4))
        # Go's time.Time.String() in UTC.
        self.assertRegex(doc["RevokedAt"],
                         r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d*[1-9])? \+0000 UTC$")

    def test_cert_status_by_serial_errors_match(self):
        for path in ("cert-status-by-serial/zz", "cert-status-by-serial/abc123",
                     "cert-status-by-serial/"):
            got = self.fetch_both(lambda kind: path)
            self.assertEqual(got["flint"][0], got["pebble"][0], f"/{path}")


class NonceRejectTest(unittest.TestCase):
    """PEBBLE_WFE_NONCEREJECT: the share of good nonces refused with badNonce."""

    def rejections(self, env_value, requests):
        env = {"PEBBLE_VA_NOSLEEP": "1"}
        if env_value is not None:
            env["PEBBLE_WFE_NONCEREJECT"] = env_value
        stack = Environment("pebble-nonce", server=server_factory(pebble_example_config, env))
        stack.start()
        try:
            client = Client(stack.server)
            # The account itself may meet a refusal: retry as a client must.
            for _ in range(20):
                r = client.new_account()
                if r.status in (200, 201):
                    break
                self.assertEqual(r.problem_type(), "badNonce", r.body)
            self.assertIsNotNone(client.kid)
            refused = 0
            for _ in range(requests):
                r = client.post(client.kid, None)  # POST-as-GET of the account
                if r.status == 400:
                    self.assertEqual(r.problem_type(), "badNonce", r.body)
                    refused += 1
                else:
                    self.assertEqual(r.status, 200, r.body)
            return refused
        finally:
            self.assertEqual(stack.stop(), 0)

    def test_zero_refuses_none(self):
        self.assertEqual(self.rejections("0", 100), 0)

    def test_fifty_percent(self):
        # Binomial(300, 0.5): mean 150, sd 8.7; [100, 200] is +-5.8 sd.
        refused = self.rejections("50", 300)
        self.assertGreaterEqual(refused, 100)
        self.assertLessEqual(refused, 200)

    def test_unset_is_pebbles_five_percent(self):
        # Binomial(400, 0.05): mean 20, sd 4.4; P(X <= 4) and P(X >= 45) are each below 1e-4.
        refused = self.rejections(None, 400)
        self.assertGreaterEqual(refused, 5)
        self.assertLessEqual(refused, 44)


if __name__ == "__main__":
    unittest.main(verbosity=2)
