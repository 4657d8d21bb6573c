"""Issuance and revocation on top of acmelib's raw client, for a flint started with
--skip-validation (challenges turn valid without any network check): newOrder, challenge,
finalize, download, revokeCert (RFC 8555 §7.4-7.6). Standard library plus python3-cryptography.
"""

import base64
import json
import os
import subprocess
import time
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from acmelib import b64u

POLL_TIMEOUT = 30  # seconds


class AcmeError(Exception):
    def __init__(self, what, response):
        super().__init__(f"{what}: HTTP {response.status} {response.body[:500]!r}")
        self.response = response


def make_csr(names, key=None):
    """(DER CSR for `names`, the P-256 private key)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                          critical=False)
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.DER), key


def split_pem(text):
    marker = "-----END CERTIFICATE-----"
    return [p[p.find("-----BEGIN"):] + marker + "\n" for p in text.split(marker)[:-1]]


def pem_to_der(pem):
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def der_to_pem(der):
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(
        base64.b64encode(der)[i:i + 64].decode() for i in range(0, len(base64.b64encode(der)), 64)
    ) + "\n-----END CERTIFICATE-----\n"


class Issuance:
    """One account (an acmelib.Client with an account) issuing and revoking certificates."""

    def __init__(self, client):
        self.client = client
        if client.kid is None:
            r = client.new_account({"termsOfServiceAgreed": True})
            if r.status not in (200, 201):
                raise AcmeError("newAccount", r)

    def post(self, url, payload, what):
        r = self.client.post(url, payload)
        if r.status not in (200, 201):
            raise AcmeError(what, r)
        return r

    def poll(self, url, pending):
        deadline = time.time() + POLL_TIMEOUT
        while True:
            obj = self.post(url, None, "poll").json()
            if obj["status"] not in pending:
                return obj
            if time.time() > deadline:
                raise TimeoutError(f"{url} still {obj['status']}")
            time.sleep(0.05)

    def ready_order(self, names):
        """newOrder, answer the first challenge of each authorization, wait for `ready`."""
        ids = [{"type": "dns", "value": n} for n in names]
        r = self.post(self.client.directory["newOrder"], {"identifiers": ids}, "newOrder")
        order_url, order = r.headers["Location"], r.json()
        for authz_url in order["authorizations"]:
            authz = self.post(authz_url, None, "authorization").json()
            if authz["status"] == "pending":
                self.post(authz["challenges"][0]["url"], {}, "challenge")
        return order_url, self.poll(order_url, ("pending",))

    def finalize(self, order_url, order, csr_der):
        """The raw finalize response (for refusals) and, if it was accepted, the order."""
        return self.client.post(order["finalize"], {"csr": b64u(csr_der)})

    def issue(self, names, key=None):
        """(PEM chain, leaf DER, private key) of a new certificate for `names`."""
        order_url, order = self.ready_order(names)
        if order["status"] != "ready":
            raise RuntimeError(f"order not ready: {order}")
        csr, key = make_csr(names, key)
        r = self.finalize(order_url, order, csr)
        if r.status != 200:
            raise AcmeError("finalize", r)
        order = self.poll(order_url, ("processing",))
        if order["status"] != "valid":
            raise RuntimeError(f"order not valid: {order}")
        chain = self.post(order["certificate"], None, "certificate").body.decode()
        return chain, pem_to_der(split_pem(chain)[0]), key

    def revoke(self, cert_der, reason=None, cert_key=None):
        """revokeCert signed with the account (kid), or with `cert_key` as jwk."""
        payload = {"certificate": b64u(cert_der)}
        if reason is not None:
            payload["reason"] = reason
        url = self.client.directory["revokeCert"]
        if cert_key is None:
            return self.client.post(url, payload)
        body = json.dumps(self.client.sign(url, payload, use_jwk=True, key=cert_key)).encode()
        return self.client.request("POST", url, body, {"Content-Type": "application/jose+json"})


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30,
                          input=input)


def write(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)
    return path


def http_get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers, r.read()


def data_file(flint, name):
    return os.path.join(flint.data_dir, name)
