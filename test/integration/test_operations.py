"""Issue 15, operations: a real build/flint process started with --log-format json and
--audit-log FILE (and --skip-validation) issues, revokes and changes accounts through the raw
client; every log line must parse as one JSON object, and the audit records (in the log as
fields, and in the 0600 audit file) must name account, identifiers, serial, reason and result.
Account recovery: `flint admin accounts rekey` moves an account to a new key; after SIGHUP (the
single SQLite instance caches accounts) the old key is refused with the errors of an unknown key
and the new one works. `flint admin purge` runs once and reports what it removed."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acmelib import FLINT, Client, Flint  # noqa: E402
from issuance import Issuance  # noqa: E402


def account_id(kid):
    return int(kid.rsplit("/", 1)[1])


def admin(flint, *args):
    return subprocess.run([FLINT, "admin", "--data", flint.data_dir, *args],
                          capture_output=True, text=True, timeout=60)


class OperationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="flint-ops-")
        cls.audit_path = os.path.join(cls.tmp, "audit.jsonl")
        cls.flint = Flint(extra_args=["--skip-validation", "--log-format", "json",
                                      "--audit-log", cls.audit_path]).start()

    @classmethod
    def tearDownClass(cls):
        cls.flint.stop()
        shutil.rmtree(cls.flint.data_dir, ignore_errors=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def audit_file(self):
        with open(self.audit_path) as f:
            return [json.loads(line) for line in f]

    def test_1_issuance_revocation_and_account_changes_are_audited(self):
        c = Client(self.flint)
        issuance = Issuance(c)
        _, leaf_der, _ = issuance.issue(["ops.example.com", "www.ops.example.com"])
        r = issuance.revoke(leaf_der, reason=4)
        self.assertEqual(r.status, 200, r.body)
        r = c.post(c.kid, {"contact": ["mailto:ops@example.com"]})
        self.assertEqual(r.status, 200, r.body)
        new_key = ec.generate_private_key(ec.SECP256R1())
        url = c.directory["keyChange"]
        inner = c.sign(url, {"account": c.kid, "oldKey": c.jwk()}, use_jwk=True, key=new_key,
                       nonce=False)
        self.assertEqual(c.post(url, inner).status, 200)
        c.key = new_key
        r = c.post(c.kid, {"status": "deactivated"})
        self.assertEqual(r.status, 200, r.body)
        acct = account_id(c.kid)

        records = self.audit_file()
        mode = stat.S_IMODE(os.stat(self.audit_path).st_mode)
        self.assertEqual(mode, 0o600)
        mine = [r for r in records if r.get("account_id") == acct or r.get("account") == c.kid]
        events = [(r["event"], r.get("action")) for r in mine]
        for want in [("account", "new_account"), ("validation", None), ("issuance", None),
                     ("revocation", None), ("account", "contact_update"),
                     ("account", "key_change"), ("account", "deactivation")]:
            self.assertIn(want, events)
        for r in mine:
            self.assertRegex(r["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn("result", r)
        issued = next(r for r in mine if r["event"] == "issuance")
        self.assertEqual(issued["result"], "valid")
        self.assertEqual(sorted(i["value"] for i in issued["identifiers"]),
                         ["ops.example.com", "www.ops.example.com"])
        revoked = next(r for r in mine if r["event"] == "revocation")
        self.assertEqual(revoked["serial"], issued["serial"])
        self.assertEqual(revoked["reason"], 4)
        self.assertEqual(revoked["requester"], "account")
        changed = next(r for r in mine if r.get("action") == "key_change")
        self.assertNotEqual(changed["old_key_thumbprint"], changed["new_key_thumbprint"])
        validation = next(r for r in mine if r["event"] == "validation")
        self.assertEqual(validation["result"], "valid")
        # No key material in any record: thumbprints only.
        with open(self.audit_path) as f:
            text = f.read()
        self.assertNotIn("BEGIN", text)
        self.assertNotIn('"x"', text)

    def test_2_rekey_moves_the_account_and_refuses_the_old_key(self):
        c = Client(self.flint)
        self.assertEqual(c.new_account().status, 201)
        old_key = c.key
        acct = account_id(c.kid)
        new_key = ec.generate_private_key(ec.SECP256R1())
        pem = os.path.join(self.tmp, "new.pub.pem")
        with open(pem, "wb") as f:
            f.write(new_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

        # Refusals first: a missing file, a key of another account, an unknown account.
        r = admin(self.flint, "accounts", "rekey", str(acct), "--key", pem + ".missing")
        self.assertEqual(r.returncode, 1, r.stderr)
        other = Client(self.flint)
        other.new_account()
        other_pem = os.path.join(self.tmp, "other.pub.pem")
        with open(other_pem, "wb") as f:
            f.write(other.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        r = admin(self.flint, "accounts", "rekey", str(acct), "--key", other_pem)
        self.assertEqual(r.returncode, 1)
        self.assertIn("belongs to account %d" % account_id(other.kid), r.stderr)
        r = admin(self.flint, "accounts", "rekey", "999999", "--key", pem)
        self.assertEqual(r.returncode, 1)
        self.assertIn("account not found", r.stderr)

        r = admin(self.flint, "--json", "--audit-log", self.audit_path, "accounts", "rekey",
                  str(acct), "--key", pem, "--note", "ticket 42, identity checked by phone")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("audit account", r.stderr)
        self.flint.proc.send_signal(signal.SIGHUP)  # drop the cached account
        time.sleep(0.5)

        # The old key: kid-signed requests no longer verify; as a jwk it names no account.
        r = c.post(c.kid, None)
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "malformed")
        stale = Client(self.flint, key=old_key)
        r = stale.new_account({"onlyReturnExisting": True})
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "accountDoesNotExist")
        # The new key works, as the same account.
        c.key = new_key
        self.assertEqual(c.post(c.kid, None).status, 200)
        fresh = Client(self.flint, key=new_key)
        r = fresh.new_account({"onlyReturnExisting": True})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["Location"], c.kid)

        rekey = [r for r in self.audit_file() if r.get("action") == "rekey"]
        self.assertEqual(len(rekey), 1)
        self.assertEqual(rekey[0]["account_id"], acct)
        self.assertTrue(rekey[0]["operator_command"])
        self.assertIn("ticket 42", rekey[0]["operator"])
        self.assertEqual(rekey[0]["result"], "success")

    def test_3_admin_purge_runs_once(self):
        r = admin(self.flint, "--json", "purge", "--retain-expired-orders", "720h",
                  "--retain-expired-authorizations", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["orders"], 0)
        self.assertTrue(out["complete"])
        r = admin(self.flint, "purge", "--retain-expired-orders", "12x")
        self.assertEqual(r.returncode, 1)

    def test_4_every_log_line_is_json_with_audit_fields(self):
        # Stop to flush the log (buffered when stdout is not a terminal), then restart.
        self.assertEqual(self.flint.stop(), 0)
        with open(self.flint.log_path) as f:
            lines = f.read().splitlines()
        self.assertGreater(len(lines), 10)
        objects = []
        for line in lines:
            o = json.loads(line)  # fails the test on any line that is not one JSON object
            self.assertIsInstance(o, dict)
            for key in ("ts", "level", "msg"):
                self.assertIn(key, o, line)
            self.assertRegex(o["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            objects.append(o)
        audit = [o for o in objects if o.get("audit") is True]
        events = {o["event"] for o in audit}
        self.assertTrue({"account", "validation", "issuance", "revocation"} <= events, events)
        issued = next(o for o in audit if o["event"] == "issuance")
        self.assertIsInstance(issued["identifiers"], list)
        self.assertIsInstance(issued["order"], int)
        self.assertTrue(issued["serial"])
        requests = [o for o in objects if o["msg"] == "request"]
        self.assertTrue(requests)
        self.assertIn("status", requests[0])
        self.assertIn("path", requests[0])
        self.flint.start()


if __name__ == "__main__":
    unittest.main(verbosity=2)
