"""Extensions of acmelib.Client for the certificate-lifecycle tests (flint issue 4): external
account binding (RFC 8555 §7.3.4), orders with a profile (draft-aaron-acme-profiles) or
`replaces` (RFC 9773 §5), the ARI CertID of a certificate (RFC 9773 §4.1), and `flint admin`.
Standard library plus python3-cryptography only."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import FLINT, b64u  # noqa: E402

POLL_TIMEOUT = 60  # seconds


def b64u_decode(text):
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def eab_binding(client, kid, hmac_key_b64u):
    """The externalAccountBinding member for `client`'s next newAccount: a flattened JWS with
    alg HS256, the EAB key id, the newAccount url, and the account's JWK as payload."""
    protected = {"alg": "HS256", "kid": kid, "url": client.directory["newAccount"]}
    p64 = b64u(json.dumps(protected).encode())
    pl64 = b64u(json.dumps(client.jwk()).encode())
    mac = hmac.new(b64u_decode(hmac_key_b64u), f"{p64}.{pl64}".encode(), hashlib.sha256)
    return {"protected": p64, "payload": pl64, "signature": b64u(mac.digest())}


def cert_id(cert):
    """RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial DER content octets)."""
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    serial = cert.serial_number
    content = serial.to_bytes((serial.bit_length() + 8) // 8, "big")  # keeps a leading 00
    return f"{b64u(aki.key_identifier)}.{b64u(content)}"


def make_csr(names, key=None, cn=True):
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, names[0])] if cn else []
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name(subject))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                          critical=False)
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.DER)


class Issuance:
    """RFC 8555 §7.4 on an acmelib.Client whose account exists, against a flint started with
    --skip-validation (challenges become valid once answered)."""

    def __init__(self, test, client):
        self.test = test
        self.client = client

    def get(self, url):
        r = self.client.post(url, None)  # POST-as-GET
        self.test.assertEqual(r.status, 200, r.body)
        return r.json()

    def new_order(self, names, **extra):
        payload = {"identifiers": [{"type": "dns", "value": n} for n in names]}
        payload.update(extra)
        return self.client.post(self.client.directory["newOrder"], payload)

    def poll(self, url, pending):
        deadline = time.time() + POLL_TIMEOUT
        while True:
            obj = self.get(url)
            if obj["status"] not in pending:
                return obj
            if time.time() > deadline:
                self.test.fail(f"{url} still {obj['status']}")
            time.sleep(0.1)

    def issue(self, names, **extra):
        """newOrder (with `extra` members such as profile or replaces), answers the first
        challenge of each authorization, finalizes; returns (order, leaf x509.Certificate)."""
        r = self.new_order(names, **extra)
        self.test.assertEqual(r.status, 201, r.body)
        order_url, order = r.headers["Location"], r.json()
        for authz_url in order["authorizations"]:
            authz = self.get(authz_url)
            if authz["status"] == "pending":
                ch = authz["challenges"][0]
                self.test.assertEqual(self.client.post(ch["url"], {}).status, 200)
        order = self.poll(order_url, ("pending",))
        self.test.assertEqual(order["status"], "ready", order)
        r = self.client.post(order["finalize"], {"csr": b64u(make_csr(names))})
        self.test.assertEqual(r.status, 200, r.body)
        order = self.poll(order_url, ("processing",))
        self.test.assertEqual(order["status"], "valid", order)
        r = self.client.post(order["certificate"], None)
        self.test.assertEqual(r.status, 200, r.body)
        leaf = x509.load_pem_x509_certificate(r.body)  # the first certificate: the leaf
        return order, leaf


def run_admin(data_dir, *args, check=True):
    """`flint admin --data DIR ARGS...`; returns (returncode, stdout, stderr)."""
    out = subprocess.run([FLINT, "admin", "--data", data_dir, *args], capture_output=True,
                         text=True, timeout=60)
    if check and out.returncode != 0:
        raise AssertionError(f"flint admin {' '.join(args)}: {out.returncode}\n{out.stderr}")
    return out.returncode, out.stdout, out.stderr


def admin_json(data_dir, *args):
    return json.loads(run_admin(data_dir, *args, "--json")[1])
