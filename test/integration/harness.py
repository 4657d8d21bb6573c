"""Shared setup for the real-client integration tests (flint issue 3).

An Environment is one `flint serve` process plus one pebble-challtestsrv process used as the
test DNS server (A 127.0.0.1 for every name, TXT and CAA records set through its management API),
both on free 127.0.0.1 ports, with their own temporary directory. Everything listens on and talks
to 127.0.0.1 only. Processes are started by this module and stopped by PID.

Also here: an http-01 responder (a python http.server thread on the port flint validates
http-01 against), a runner for the client programs (bounded timeout, output kept for the failure
message), chain verification with `openssl verify`, and a raw RFC 8555 flow on top of
acmelib.Client for the negative cases.

Environment variables:
  FLINT_BIN       the flint binary (see acmelib)
  FLINT_IT_KEEP   when set, temporary directories are kept (their path is printed)
  FLINT_IT_SERVER "pebble" runs the same tests against Debian's pebble instead of flint; a
                  development aid to tell client wiring problems from flint problems.
"""

import datetime
import hashlib
import ipaddress
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from acmelib import FLINT, Client, Flint, b64u, free_port  # noqa: E402

PYTHON = "/usr/bin/python3"
HOOK = os.path.join(HERE, "challtest_hook.py")
CLIENT_TIMEOUT = 120  # seconds, per client invocation
POLL_TIMEOUT = 60     # seconds, raw-client polling of an authorization or order
CAA_IDENTITY = "flint.test"
KEEP = bool(os.environ.get("FLINT_IT_KEEP"))
SERVER_KIND = os.environ.get("FLINT_IT_SERVER", "flint")


# Every process this harness starts gets SIGKILL when the test process dies (a ctest timeout,
# ^C), so no server or client outlives its test. setpriv sets that and execs the command.
DIE_WITH_PARENT = (["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else [])


def require_binaries(*names):
    """Skips the calling test class when a client program is not installed."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise unittest.SkipTest(f"not installed: {', '.join(missing)} (scripts/deps.sh --test)")


def free_dns_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (the DNS server binds both)."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free TCP+UDP port")


def wait_port(port, proc, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start listening on {port}")


def stop_process(proc, timeout=15):
    """SIGTERM, then SIGKILL, to one process we started (by PID)."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def tail(path, limit=4000):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")[-limit:]
    except OSError:
        return ""


class ChallTestSrv:
    """pebble-challtestsrv as a mock DNS server only (its challenge responders are disabled)."""

    def __init__(self, workdir):
        self.dns_port = free_dns_port()
        self.mgmt_port = free_port()
        self.log_path = os.path.join(workdir, "challtestsrv.log")
        self.proc = None

    @property
    def mgmt_url(self):
        return f"http://127.0.0.1:{self.mgmt_port}"

    @property
    def resolver(self):
        return f"127.0.0.1:{self.dns_port}"

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*DIE_WITH_PARENT, "pebble-challtestsrv", "-dns01", self.resolver,
                 "-management", f"127.0.0.1:{self.mgmt_port}", "-http01", "", "-https01", "",
                 "-tlsalpn01", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # The management server starts after the DNS server, so it answering means both are up.
        wait_port(self.mgmt_port, self.proc, "pebble-challtestsrv")
        return self

    def post(self, path, obj):
        req = urllib.request.Request(self.mgmt_url + path, data=json.dumps(obj).encode(),
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status != 200:
                raise RuntimeError(f"challtestsrv {path}: HTTP {r.status}")

    @staticmethod
    def fqdn(name):
        return name if name.endswith(".") else name + "."

    def set_txt(self, host, value):
        """Adds a TXT value at `host` (values accumulate until clear_txt)."""
        self.post("/set-txt", {"host": self.fqdn(host), "value": value})

    def clear_txt(self, host):
        self.post("/clear-txt", {"host": self.fqdn(host)})

    def add_caa(self, host, policies):
        """policies: [{"tag": "issue", "value": "ca.example"}, ...]"""
        self.post("/add-caa", {"host": self.fqdn(host), "policies": policies})

    def clear_caa(self, host):
        self.post("/clear-caa", {"host": self.fqdn(host)})

    def stop(self):
        stop_process(self.proc)


class _Flint(Flint):
    """acmelib.Flint, started so that it dies with the test process."""

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [*DIE_WITH_PARENT, FLINT, "serve", "--data", self.data_dir,
             "--listen", f"127.0.0.1:{self.port}"] + self.extra_args,
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if wait:
            self.wait_ready()
        return self


class FlintServer:
    """flint serve, wired to the test DNS server and the test challenge ports."""

    def __init__(self, workdir, resolver, http01_port, tlsalpn01_port):
        args = ["--dns-resolver", resolver, "--allow-private-targets",
                "--http01-port", str(http01_port), "--tlsalpn01-port", str(tlsalpn01_port),
                "--caa-identity", CAA_IDENTITY]
        self.flint = _Flint(data_dir=os.path.join(workdir, "flint-data"), extra_args=args)
        self.flint.log_path = os.path.join(workdir, "flint.log")

    def start(self):
        os.makedirs(self.flint.data_dir, exist_ok=True)
        self.flint.start()
        return self

    @property
    def directory_url(self):
        return self.flint.base + "/directory"

    @property
    def tls_ca(self):
        """The CA file a client must trust to reach the ACME server."""
        return os.path.join(self.flint.data_dir, "root.pem")

    @property
    def issuer_root(self):
        """The root that issued certificates must chain to."""
        return os.path.join(self.flint.data_dir, "root.pem")

    @property
    def intermediate(self):
        return os.path.join(self.flint.data_dir, "intermediate.pem")

    def raw_client(self):
        return Client(self.flint)

    def logs(self):
        return self.flint.logs()

    def stop(self):
        """flint's exit code after SIGTERM (0 for a clean shutdown)."""
        try:
            return self.flint.stop()
        except subprocess.TimeoutExpired:
            self.flint.proc.kill()
            self.flint.proc.wait()
            return "no exit within 30 s of SIGTERM (killed)"
        finally:
            if getattr(self.flint, "log", None):
                self.flint.log.close()


def make_tls_files(workdir):
    """A throwaway TLS root and a localhost/127.0.0.1 listener certificate signed by it, as
    Pebble's test/certs (minica) are: {"ca", "cert", "key"} -> PEM file paths in `workdir`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pebble test TLS root")])
    now = datetime.datetime.utcnow()
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
          .public_key(key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(key, hashes.SHA256()))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(name).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    paths = {n: os.path.join(workdir, f"pebble-{n}.pem") for n in ("ca", "cert", "key")}
    with open(paths["ca"], "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(paths["cert"], "wb") as f:
        f.write(leaf.public_bytes(pem))
    with open(paths["key"], "wb") as f:
        f.write(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return paths


class PebbleServer:
    """Development aid (FLINT_IT_SERVER=pebble): Debian's pebble in flint's place."""

    def __init__(self, workdir, resolver, http01_port, tlsalpn01_port):
        self.workdir = workdir
        self.resolver = resolver
        self.port = free_port()
        self.mgmt_port = free_port()
        self.http01_port = http01_port
        self.tlsalpn01_port = tlsalpn01_port
        self.log_path = os.path.join(workdir, "pebble.log")
        self.proc = None

    def _tls_files(self):
        return make_tls_files(self.workdir)

    def start(self):
        files = self._tls_files()
        self._tls_ca = files["ca"]
        config = {"pebble": {"listenAddress": f"127.0.0.1:{self.port}",
                             "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
                             "certificate": files["cert"], "privateKey": files["key"],
                             "httpPort": self.http01_port, "tlsPort": self.tlsalpn01_port,
                             "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        config_path = os.path.join(self.workdir, "pebble.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0",
                   PEBBLE_AUTHZREUSE="0")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*DIE_WITH_PARENT, "pebble", "-config", config_path, "-dnsserver", self.resolver],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        wait_port(self.port, self.proc, "pebble")
        wait_port(self.mgmt_port, self.proc, "pebble")
        ctx = ssl.create_default_context(cafile=self._tls_ca)
        for what in ("roots", "intermediates"):
            url = f"https://localhost:{self.mgmt_port}/{what}/0"
            with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
                with open(os.path.join(self.workdir, f"pebble-{what}.pem"), "wb") as f:
                    f.write(r.read())
        return self

    @property
    def directory_url(self):
        return f"https://localhost:{self.port}/dir"

    @property
    def tls_ca(self):
        return self._tls_ca

    @property
    def issuer_root(self):
        return os.path.join(self.workdir, "pebble-roots.pem")

    @property
    def intermediate(self):
        return os.path.join(self.workdir, "pebble-intermediates.pem")

    def raw_client(self):
        raise unittest.SkipTest("raw-client tests run against flint only")

    def logs(self):
        return tail(self.log_path)

    def stop(self):
        stop_process(self.proc)
        return 0


class Environment:
    """One ACME server, one DNS server, two free challenge ports and a work directory."""

    def __init__(self, name, server=None):
        """`server`: the ACME server's class (FlintServer's interface); default flint, or
        pebble with FLINT_IT_SERVER=pebble."""
        self.name = name
        self.server_kind = server
        self.workdir = tempfile.mkdtemp(prefix=f"flint-it-{name}-")
        self.http01_port = free_port()
        self.tlsalpn01_port = free_port()
        self.dns = ChallTestSrv(self.workdir)
        self.server = None
        self.counter = 0

    def start(self):
        try:
            self.dns.start()
            kind = self.server_kind or (PebbleServer if SERVER_KIND == "pebble" else FlintServer)
            self.server = kind(self.workdir, self.dns.resolver, self.http01_port,
                               self.tlsalpn01_port).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Stops both servers; returns the ACME server's exit code."""
        code = 0
        try:
            if self.server is not None:
                code = self.server.stop()
        finally:
            self.dns.stop()
        if KEEP:
            print(f"kept {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return code

    @property
    def directory_url(self):
        return self.server.directory_url

    def new_dir(self, prefix):
        self.counter += 1
        path = os.path.join(self.workdir, f"{prefix}-{self.counter}")
        os.makedirs(path)
        return path

    def hook_env(self, webroot=None):
        """Environment for challtest_hook.py (inherited by the clients that run hooks)."""
        env = {"FLINT_IT_CTS": self.dns.mgmt_url}
        if webroot:
            env["FLINT_IT_WEBROOT"] = webroot
        return env

    def hook_wrapper(self, mode):
        """An executable that runs challtest_hook.py in `mode` with the caller's arguments,
        for clients that exec a path rather than run a shell command."""
        path = os.path.join(self.workdir, f"hook-{mode}.sh")
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\nexec {PYTHON} {HOOK} {mode} "$@"\n')
        os.chmod(path, 0o755)
        return path

    def run(self, argv, env=None, cwd=None, timeout=CLIENT_TIMEOUT, check=True, stdout=None):
        """Runs a client program (in its own process group, killed by PID on timeout).
        Returns (returncode, output); output is stdout and stderr, or only stderr when
        `stdout` names a file to write stdout to. With check, a non-zero exit is a test failure
        that shows the client's output and the server's log."""
        self.counter += 1
        log_path = os.path.join(self.workdir, f"client-{self.counter}.log")
        full_env = dict(os.environ)
        full_env.update(env or {})
        with open(log_path, "wb") as log, open(stdout or os.devnull, "wb") as out:
            log.write((" ".join(argv) + "\n").encode())
            log.flush()
            proc = subprocess.Popen([*DIE_WITH_PARENT, *argv], stdout=out if stdout else log,
                                    stderr=log if stdout else subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=full_env,
                                    cwd=cwd or self.workdir, start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the group this call created
                proc.wait()
                raise AssertionError(f"{argv[0]} timed out after {timeout}s:\n"
                                     f"{tail(log_path)}\n--- server log ---\n"
                                     f"{self.server.logs()}")
        output = tail(log_path, 1 << 20)
        if check and proc.returncode != 0:
            raise AssertionError(f"{argv[0]} exited with {proc.returncode}:\n{output[-6000:]}\n"
                                 f"--- server log ---\n{self.server.logs()}")
        return proc.returncode, output


class Http01Responder:
    """An http-01 responder on 127.0.0.1:<port>: GET /.well-known/acme-challenge/<token>
    answers the file <webroot>/<token> (webroot is what uacme, dehydrated and acme-tiny write
    into), or an override set with put()."""

    def __init__(self, port, webroot):
        self.port = port
        self.webroot = webroot
        self.overrides = {}
        self.requests = []
        responder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                responder.requests.append(self.path)
                prefix = "/.well-known/acme-challenge/"
                body = None
                if self.path.startswith(prefix):
                    token = self.path[len(prefix):]
                    if token in responder.overrides:
                        body = responder.overrides[token].encode()
                    elif token and "/" not in token and not token.startswith("."):
                        try:
                            with open(os.path.join(responder.webroot, token), "rb") as f:
                                body = f.read()
                        except OSError:
                            body = None
                if body is None:
                    self.send_response(404)
                    body = b"not found"
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def put(self, token, content):
        self.overrides[token] = content

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


# --- certificate checks -------------------------------------------------------------------

def split_pem(text):
    marker = "-----END CERTIFICATE-----"
    blocks = []
    for part in text.split(marker)[:-1]:
        start = part.find("-----BEGIN CERTIFICATE-----")
        if start >= 0:
            blocks.append(part[start:] + marker + "\n")
    return blocks


def read(path):
    with open(path) as f:
        return f.read()


def key_description(public_key):
    if isinstance(public_key, rsa.RSAPublicKey):
        return ("rsa", public_key.key_size)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ("ec", public_key.curve.name)
    return (type(public_key).__name__, None)


def check_chain(test, env, fullchain, names, key, private_key_pem=None):
    """Asserts that `fullchain` (PEM: leaf first, then the intermediate) verifies with
    `openssl verify` against the server's root, names exactly `names` in its SAN, carries a
    key of kind `key` (("rsa", 2048) or ("ec", "secp256r1")) and, when given, the public half of
    `private_key_pem`. Returns the leaf as a cryptography x509.Certificate."""
    certs = split_pem(fullchain)
    test.assertGreaterEqual(len(certs), 2, f"expected leaf + intermediate, got:\n{fullchain}")
    server = env.server
    want_intermediate = split_pem(read(server.intermediate))[0]
    test.assertEqual(
        x509.load_pem_x509_certificate(certs[1].encode()),
        x509.load_pem_x509_certificate(want_intermediate.encode()),
        "the chain's second certificate is not the server's intermediate")
    check_dir = tempfile.mkdtemp(dir=env.workdir, prefix="verify-")
    leaf_path = os.path.join(check_dir, "leaf.pem")
    untrusted_path = os.path.join(check_dir, "untrusted.pem")
    with open(leaf_path, "w") as f:
        f.write(certs[0])
    with open(untrusted_path, "w") as f:
        f.write("".join(certs[1:]))
    out = subprocess.run(
        ["openssl", "verify", "-CAfile", server.issuer_root, "-untrusted", untrusted_path,
         "-purpose", "sslserver", "-x509_strict", leaf_path],
        capture_output=True, text=True, timeout=30)
    test.assertEqual(out.returncode, 0, f"openssl verify: {out.stdout}{out.stderr}")
    test.assertEqual(out.stdout.strip(), f"{leaf_path}: OK")

    leaf = x509.load_pem_x509_certificate(certs[0].encode())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    got = sorted(san.get_values_for_type(x509.DNSName) +
                 [str(ip) for ip in san.get_values_for_type(x509.IPAddress)])
    test.assertEqual(got, sorted(names))
    test.assertEqual(key_description(leaf.public_key()), key)
    bc = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
    test.assertFalse(bc.ca)
    now = datetime.datetime.utcnow()
    test.assertLessEqual(leaf.not_valid_before, now)
    test.assertGreater(leaf.not_valid_after, now)
    if private_key_pem is not None:
        priv = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        der = serialization.Encoding.DER
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        test.assertEqual(priv.public_key().public_bytes(der, spki),
                         leaf.public_key().public_bytes(der, spki),
                         "certificate key is not the client's private key")
    return leaf


# --- raw RFC 8555 flow for negative cases -------------------------------------------------

def thumbprint(jwk):
    """RFC 7638 JWK thumbprint of an EC P-256 key."""
    canon = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, sort_keys=True,
                       separators=(",", ":"))
    return b64u(hashlib.sha256(canon.encode()).digest())


def dns01_txt(key_authorization):
    """RFC 8555 §8.4 TXT value: base64url(SHA-256(key authorization))."""
    return b64u(hashlib.sha256(key_authorization.encode()).digest())


class RawFlow:
    """An account on the server and the RFC 8555 §7.4-7.5 steps, each checked for status."""

    def __init__(self, test, env):
        self.test = test
        self.env = env
        self.client = env.server.raw_client()
        r = self.client.new_account({"termsOfServiceAgreed": True})
        test.assertEqual(r.status, 201, r.body)

    def key_authorization(self, token):
        return f"{token}.{thumbprint(self.client.jwk())}"

    def new_order(self, names):
        ids = [{"type": "dns", "value": n} for n in names]
        r = self.client.post(self.client.directory["newOrder"], {"identifiers": ids})
        self.test.assertEqual(r.status, 201, r.body)
        return r.headers["Location"], r.json()

    def get(self, url):
        r = self.client.post(url, None)  # POST-as-GET, RFC 8555 §6.3
        self.test.assertEqual(r.status, 200, r.body)
        return r.json()

    def challenge(self, authz_url, kind):
        authz = self.get(authz_url)
        found = [c for c in authz["challenges"] if c["type"] == kind]
        self.test.assertEqual(len(found), 1, authz)
        return found[0]

    def respond(self, challenge):
        r = self.client.post(challenge["url"], {})
        self.test.assertEqual(r.status, 200, r.body)
        return r.json()

    def poll(self, url, pending=("pending", "processing")):
        deadline = time.time() + POLL_TIMEOUT
        while True:
            obj = self.get(url)
            if obj["status"] not in pending:
                return obj
            if time.time() > deadline:
                self.test.fail(f"{url} still {obj['status']} after {POLL_TIMEOUT}s")
            time.sleep(0.2)

    def download(self, url):
        r = self.client.post(url, None)
        self.test.assertEqual(r.status, 200, r.body)
        return r.headers.get("Content-Type", ""), r.body.decode()

    def finalize(self, order_url, order, csr_der):
        r = self.client.post(order["finalize"], {"csr": b64u(csr_der)})
        self.test.assertEqual(r.status, 200, r.body)
        return self.poll(order_url, pending=("processing",))


def make_csr(names, key=None):
    """A CSR (DER) for `names` with a new P-256 key (or `key`); returns (der, key PEM)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                          critical=False)
           .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return csr.public_bytes(serialization.Encoding.DER), key_pem
