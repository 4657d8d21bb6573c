"""A small raw ACME (RFC 8555) client for flint's integration tests: JWS signing with ES256,
nonce handling, and a flint process it starts and stops by PID. Standard library plus
python3-cryptography only."""

import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLINT = os.environ.get("FLINT_BIN", os.path.join(ROOT, "build", "flint"))


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Flint:
    """A flint process on a free port with its own data directory."""

    def __init__(self, data_dir=None, extra_args=()):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="flint-it-")
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(tempfile.gettempdir(), f"flint-it-{self.port}.log")

    @property
    def base(self):
        return f"https://localhost:{self.port}"

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [FLINT, "serve", "--data", self.data_dir, "--listen", f"127.0.0.1:{self.port}"]
            + self.extra_args, stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"flint exited with {self.proc.returncode}: {self.logs()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("flint did not start listening")

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def context(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.data_dir, "root.pem"))
        return ctx


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def problem_type(self):
        try:
            return self.json()["type"].rsplit(":", 1)[1]
        except Exception:
            return None


class Client:
    """An ES256 ACME account client."""

    def __init__(self, flint: Flint, key=None):
        self.flint = flint
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.kid = None
        self.nonce = None
        self.directory = self.get("/directory").json()

    def request(self, method, url, body=None, headers=None):
        if url.startswith("/"):
            url = self.flint.base + url
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, context=self.flint.context(), timeout=30) as r:
                resp = Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            resp = Response(e.code, e.headers, e.read())
        n = resp.headers.get("Replay-Nonce")
        if n:
            self.nonce = n
        return resp

    def get(self, url):
        return self.request("GET", url)

    def new_nonce(self):
        return self.request("HEAD", self.directory["newNonce"]).headers["Replay-Nonce"]

    def jwk(self, key=None):
        nums = (key or self.key).public_key().public_numbers()
        return {"crv": "P-256", "kty": "EC", "x": b64u(nums.x.to_bytes(32, "big")),
                "y": b64u(nums.y.to_bytes(32, "big"))}

    def sign(self, url, payload, use_jwk=False, key=None, nonce=True, extra=None):
        key = key or self.key
        protected = {"alg": "ES256", "url": url}
        if nonce:
            protected["nonce"] = self.nonce or self.new_nonce()
            self.nonce = None
        if use_jwk or self.kid is None:
            protected["jwk"] = self.jwk(key)
        else:
            protected["kid"] = self.kid
        if extra:
            protected.update(extra)
        p64 = b64u(json.dumps(protected).encode())
        pl64 = "" if payload is None else b64u(json.dumps(payload).encode())
        der = key.sign(f"{p64}.{pl64}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        sig = b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        return {"protected": p64, "payload": pl64, "signature": sig}

    def post(self, url, payload, use_jwk=False, raw=None):
        if url.startswith("/"):
            url = self.flint.base + url
        body = raw if raw is not None else json.dumps(self.sign(url, payload, use_jwk)).encode()
        return self.request("POST", url, body, {"Content-Type": "application/jose+json"})

    def new_account(self, payload=None):
        r = self.post(self.directory["newAccount"],
                      payload if payload is not None else {"termsOfServiceAgreed": True},
                      use_jwk=True)
        if r.status in (200, 201):
            self.kid = r.headers["Location"]
        return r
