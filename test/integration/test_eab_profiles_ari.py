"""Issue 4, part EAB / profiles / ARI / admin, against real flint processes over real TLS:

- a flint started with --external-account-required: lego without --eab is refused, a raw client
  without a binding gets externalAccountRequired, lego with --eab --kid --hmac (a key made by
  `flint admin eab create` while the server runs) gets a certificate, and the key then shows as
  bound in `flint admin eab list`;
- a raw JWS client (acmelib) asks for profile "shortlived" and gets a 6-day certificate
  without a common name; an unknown profile is invalidProfile;
- profiles from a --config file: key_usages in the issued certificate, keyCertSign refused;
- ARI: GET renewalInfo/{certID} of an issued certificate, a `replaces` order, and a second one
  refused with alreadyReplaced; a certificate revoked with `flint admin certs revoke` gets a
  window in the past;
- `flint admin` listings and `ca status` while the server runs.

Issuance uses --skip-validation: validation is not what these tests are about.
"""

import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import FLINT, Client, Flint, free_port  # noqa: E402
from acmelib_lifecycle import (Issuance, admin_json, cert_id, eab_binding,  # noqa: E402
                               run_admin)
from cryptography import x509  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID  # noqa: E402

CLIENT_TIMEOUT = 120


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


class EabRequiredTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.flint = Flint(extra_args=["--external-account-required", "--skip-validation"]).start()
        cls.workdir = tempfile.mkdtemp(prefix="flint-it-eab-")

    @classmethod
    def tearDownClass(cls):
        code = cls.flint.stop()
        shutil.rmtree(cls.flint.data_dir, ignore_errors=True)
        shutil.rmtree(cls.workdir, ignore_errors=True)
        assert code == 0, f"flint exit code {code}"

    def lego(self, path, *extra):
        if shutil.which("lego") is None:
            self.skipTest("lego is not installed")
        env = dict(os.environ, LEGO_CA_CERTIFICATES=os.path.join(self.flint.data_dir, "root.pem"))
        argv = ["lego", "--accept-tos", "--email", "eab@example.test",
                "--server", self.flint.base + "/directory", "--path", path, *extra,
                "-d", "eab.example.test", "--http", "--http.port", f"127.0.0.1:{free_port()}",
                "run"]
        return subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=CLIENT_TIMEOUT, stdin=subprocess.DEVNULL)

    def test_directory_says_required(self):
        self.assertTrue(Client(self.flint).directory["meta"]["externalAccountRequired"])

    def test_raw_client_without_binding_is_refused(self):
        c = Client(self.flint)
        r = c.new_account({"termsOfServiceAgreed": True})
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(r.problem_type(), "externalAccountRequired")

    def test_raw_client_with_unknown_or_reused_key_is_unauthorized(self):
        key = admin_json(self.flint.data_dir, "eab", "create", "--note", "raw")
        first = Client(self.flint)
        r = first.new_account({"termsOfServiceAgreed": True,
                               "externalAccountBinding": eab_binding(first, key["key_id"],
                                                                     key["hmac_key"])})
        self.assertEqual(r.status, 201, r.body)
        second = Client(self.flint)
        r = second.new_account({"termsOfServiceAgreed": True,
                                "externalAccountBinding": eab_binding(second, key["key_id"],
                                                                      key["hmac_key"])})
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(r.problem_type(), "unauthorized")
        third = Client(self.flint)
        r = third.new_account({"termsOfServiceAgreed": True,
                               "externalAccountBinding": eab_binding(third, "eab-nope",
                                                                     key["hmac_key"])})
        self.assertEqual(r.problem_type(), "unauthorized", r.body)

    def test_lego_without_eab_fails(self):
        out = self.lego(os.path.join(self.workdir, "lego-noeab"))
        self.assertNotEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("xternal", out.stdout + out.stderr)  # External Account Binding / external...

    def test_lego_with_eab_gets_a_certificate_and_the_key_is_bound(self):
        key = admin_json(self.flint.data_dir, "eab", "create", "--note", "lego")
        path = os.path.join(self.workdir, "lego-eab")
        out = self.lego(path, "--eab", "--kid", key["key_id"], "--hmac", key["hmac_key"])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr + self.flint.logs())
        with open(os.path.join(path, "certificates", "eab.example.test.crt"), "rb") as f:
            leaf = x509.load_pem_x509_certificate(f.read())
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        self.assertEqual(san.get_values_for_type(x509.DNSName), ["eab.example.test"])
        keys = {k["key_id"]: k for k in admin_json(self.flint.data_dir, "eab", "list")}
        self.assertEqual(keys[key["key_id"]]["status"], "bound")
        account = admin_json(self.flint.data_dir, "accounts", "show",
                             str(keys[key["key_id"]]["account"]))
        self.assertEqual(account["eab_key_id"], key["key_id"])

    def test_revoked_key_is_refused(self):
        key = admin_json(self.flint.data_dir, "eab", "create")
        run_admin(self.flint.data_dir, "eab", "revoke", key["key_id"])
        c = Client(self.flint)
        r = c.new_account({"termsOfServiceAgreed": True,
                           "externalAccountBinding": eab_binding(c, key["key_id"],
                                                                 key["hmac_key"])})
        self.assertEqual(r.problem_type(), "unauthorized", r.body)


class ProfilesAriTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.flint = Flint(extra_args=["--skip-validation"]).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.flint.stop()
        shutil.rmtree(cls.flint.data_dir, ignore_errors=True)
        assert code == 0, f"flint exit code {code}"

    def setUp(self):
        self.client = Client(self.flint)
        r = self.client.new_account({"termsOfServiceAgreed": True})
        self.assertEqual(r.status, 201, r.body)
        self.flow = Issuance(self, self.client)

    def test_directory_lists_profiles_and_renewal_info(self):
        d = self.client.directory
        self.assertEqual(d["renewalInfo"], self.flint.base + "/acme/renewal-info")
        self.assertEqual(sorted(d["meta"]["profiles"]), ["default", "shortlived", "tlsclient"])

    def test_shortlived_profile_is_six_days_without_cn(self):
        order, leaf = self.flow.issue(["short.example.test"], profile="shortlived")
        self.assertEqual(order["profile"], "shortlived")
        self.assertEqual(leaf.not_valid_after - leaf.not_valid_before, datetime.timedelta(days=6))
        self.assertEqual(len(leaf.subject), 0)

    def test_default_and_tlsclient_profiles(self):
        order, leaf = self.flow.issue(["default.example.test"])
        self.assertEqual(order["profile"], "default")
        self.assertEqual(leaf.not_valid_after - leaf.not_valid_before,
                         datetime.timedelta(days=90))
        _, client_leaf = self.flow.issue(["client.example.test"], profile="tlsclient")
        eku = client_leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        self.assertIn(ExtendedKeyUsageOID.CLIENT_AUTH, list(eku))

    def test_unknown_profile_is_invalid_profile(self):
        r = self.flow.new_order(["x.example.test"], profile="no-such-profile")
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "invalidProfile")

    def test_renewal_info_and_replaces(self):
        _, leaf = self.flow.issue(["ari.example.test", "www.ari.example.test"])
        url = self.client.directory["renewalInfo"] + "/" + cert_id(leaf)
        r = self.client.get(url)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["Retry-After"], "21600")
        window = r.json()["suggestedWindow"]
        start, end = parse_time(window["start"]), parse_time(window["end"])
        lifetime = leaf.not_valid_after - leaf.not_valid_before
        self.assertEqual(start, leaf.not_valid_before + lifetime * 2 / 3)
        self.assertEqual(end, leaf.not_valid_before + lifetime * 3 / 4)

        first = self.flow.new_order(["ari.example.test"], replaces=cert_id(leaf))
        self.assertEqual(first.status, 201, first.body)
        self.assertEqual(first.json()["replaces"], cert_id(leaf))
        second = self.flow.new_order(["www.ari.example.test"], replaces=cert_id(leaf))
        self.assertEqual(second.status, 409, second.body)
        self.assertEqual(second.problem_type(), "alreadyReplaced")

        unknown = self.client.get(self.client.directory["renewalInfo"] + "/AAEC.AQ")
        self.assertEqual(unknown.status, 404, unknown.body)
        bad = self.client.get(self.client.directory["renewalInfo"] + "/not-a-cert-id")
        self.assertEqual(bad.status, 400, bad.body)
        self.assertEqual(bad.problem_type(), "malformed")

    def test_admin_revoke_moves_the_window_into_the_past(self):
        _, leaf = self.flow.issue(["revoked.example.test"])
        serial = format(leaf.serial_number, "x")
        run_admin(self.flint.data_dir, "certs", "revoke", serial, "--reason", "4")
        shown = admin_json(self.flint.data_dir, "certs", "show", serial)
        self.assertEqual(shown["status"], "revoked")
        self.assertEqual(shown["reason"], 4)
        r = self.client.get(self.client.directory["renewalInfo"] + "/" + cert_id(leaf))
        self.assertEqual(r.status, 200, r.body)
        end = parse_time(r.json()["suggestedWindow"]["end"])
        self.assertLess(end, datetime.datetime.utcnow())

    def test_admin_listings_and_ca_status_while_serving(self):
        _, leaf = self.flow.issue(["listed.example.test"])
        serial = format(leaf.serial_number, "x")
        certs = admin_json(self.flint.data_dir, "certs", "list")
        self.assertIn(serial, [c["serial"].lstrip("0") for c in certs])
        orders = admin_json(self.flint.data_dir, "orders", "list")
        self.assertTrue(any("dns:listed.example.test" in o["identifiers"] for o in orders))
        code, text, _ = run_admin(self.flint.data_dir, "accounts", "list")
        self.assertEqual(code, 0)
        self.assertIn("status=valid", text)
        status = admin_json(self.flint.data_dir, "ca", "status")
        self.assertGreaterEqual(status["certificates_issued"], 1)
        with open(os.path.join(self.flint.data_dir, "intermediate.pem"), "rb") as f:
            inter = x509.load_pem_x509_certificate(f.read())
        from cryptography.hazmat.primitives import hashes
        self.assertEqual(status["intermediate_sha256"], inter.fingerprint(hashes.SHA256()).hex())



class ConfiguredProfileKeyUsagesTest(unittest.TestCase):
    """[profiles.*] tables from a --config file: key_usages reaches the issued certificate's
    KeyUsage (as the P-256 CSR key allows it), and keyCertSign stops `flint serve` at start."""

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="flint-it-ku-")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def config(self, text):
        path = os.path.join(self.work, "flint.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_key_usages_reach_the_certificate(self):
        path = self.config('[profiles.default]\n'
                           '[profiles.ecdh]\n'
                           'key_usages = ["digitalSignature", "keyAgreement", "keyEncipherment"]\n')
        flint = Flint(extra_args=["--skip-validation", "--config", path]).start()
        try:
            client = Client(flint)
            self.assertEqual(client.new_account({"termsOfServiceAgreed": True}).status, 201)
            flow = Issuance(self, client)
            _, ecdh = flow.issue(["ecdh.example.test"], profile="ecdh")
            ku = ecdh.extensions.get_extension_for_class(x509.KeyUsage)
            self.assertTrue(ku.critical)
            self.assertTrue(ku.value.digital_signature)
            self.assertTrue(ku.value.key_agreement)
            self.assertFalse(ku.value.key_encipherment)  # RSA keys only
            self.assertFalse(ku.value.content_commitment)
            self.assertFalse(ku.value.data_encipherment)
            self.assertFalse(ku.value.key_cert_sign)
            self.assertFalse(ku.value.crl_sign)
            _, default = flow.issue(["default.example.test"])
            ku = default.extensions.get_extension_for_class(x509.KeyUsage).value
            self.assertEqual((ku.digital_signature, ku.key_agreement, ku.key_encipherment),
                             (True, False, False))
        finally:
            self.assertEqual(flint.stop(), 0)
            shutil.rmtree(flint.data_dir, ignore_errors=True)

    def test_key_cert_sign_is_refused_at_start(self):
        path = self.config('[profiles.default]\n'
                           'key_usages = ["digitalSignature", "keyCertSign"]\n')
        out = subprocess.run([FLINT, "serve", "--data", os.path.join(self.work, "data"),
                              "--listen", f"127.0.0.1:{free_port()}", "--config", path],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("profiles.default.key_usages: 'keyCertSign' is for CA certificates",
                      out.stderr)

if __name__ == "__main__":
    unittest.main(verbosity=2)
