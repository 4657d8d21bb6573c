"""Apache httpd with mod_md (Debian 12, apache2 2.4 with its bundled mod_md 2.x) as a real web
server getting its certificates from a real flint process. One Apache, started from a
self-contained config in the test's work directory (Debian's /etc/apache2 is not used), manages
three domains, each with one challenge type:

  md-http.example.test  http-01      P-256     answered by mod_md on the plain-HTTP listener
  md-alpn.example.test  tls-alpn-01  RSA 2048  answered by mod_md + mod_ssl (acme-tls/1)
  md-dns.example.test   dns-01       P-384     MDChallengeDns01 sets the TXT record in the
                                               test DNS server

Apache listens on flint's http-01 and tls-alpn-01 ports (MDPortMap tells mod_md that those are
the ports the CA reaches). mod_md drives the whole ACME flow from its watchdog thread, including
following the certificate response's Link rel="up" with POST-as-GET. One test per challenge
type waits for the certificate mod_md stores (staging/<name>/pubcert*.pem, or domains/ once
activated) and checks that chain with `openssl verify` against flint's root and the key mod_md
generated; one checks that no stored chain holds a certificate twice; the last makes Apache
activate the certificates with a graceful restart and checks that it serves them over TLS.
All waits share one deadline (ISSUE_TIMEOUT from Apache's start); on failure the message holds
mod_md's job.json, Apache's error log (md:debug) and flint's log.

Apache runs in the foreground in its own process group, stopped by PID (SIGTERM, then any child
left in that group is killed by PID). When the test runs as root, Apache's children run as
www-data (Apache refuses to serve as root), so the work directory is made traversable."""

import base64
import glob
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography import x509  # noqa: E402
from harness import (DIE_WITH_PARENT, PYTHON, Environment, check_chain, read,  # noqa: E402
                     require_binaries, split_pem, stop_process, tail, wait_port)

APACHE = "/usr/sbin/apache2"
MODULES = "/usr/lib/apache2/modules"
ISSUE_TIMEOUT = 120  # seconds from Apache's start for mod_md to store all certificates
SERVE_TIMEOUT = 30   # seconds for Apache to serve the certificates after a graceful restart

# name -> (challenge, MDPrivateKeys, certificate file mod_md stores, key file, key kind).
# The tls-alpn-01 domain keeps the server-wide key type (RSA 2048): mod_md answers the
# acme-tls/1 handshake with the challenge certificate of the key types configured for the
# connection's base server, not those of the MDomain, so a per-MDomain key type there would
# make it answer with its fallback certificate.
DOMAINS = {
    "md-http.example.test": ("http-01", "secp256r1", "pubcert.secp256r1.pem",
                             "privkey.secp256r1.pem", ("ec", "secp256r1")),
    "md-alpn.example.test": ("tls-alpn-01", "RSA 2048", "pubcert.pem", "privkey.pem",
                             ("rsa", 2048)),
    "md-dns.example.test": ("dns-01", "secp384r1", "pubcert.secp384r1.pem",
                            "privkey.secp384r1.pem", ("ec", "secp384r1")),
}

MODULE_LIST = ["mpm_event", "authz_core", "socache_shmcb", "ssl", "http2", "watchdog", "md"]

HTTPD_CONF = """\
ServerRoot "{dir}"
PidFile "{dir}/run/httpd.pid"
DefaultRuntimeDir "{dir}/run"
ErrorLog "{dir}/error.log"
LogLevel warn md:debug
ServerName localhost
{user}
{modules}
StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
DocumentRoot "{dir}/htdocs"
SSLSessionCache "shmcb:{dir}/run/ssl_scache(512000)"

Listen 127.0.0.1:{http_port}
Listen 127.0.0.1:{https_port} https

MDStoreDir "{dir}/md"
MDCertificateAuthority {directory}
MDCACertificateFile "{ca}"
MDCertificateAgreement accepted
MDContactEmail it@example.test
MDPortMap http:{http_port} https:{https_port}
MDChallengeDns01 {dns_hook}
MDRetryDelay 2s
MDStapling off

{domains}
"""

DOMAIN_CONF = """\
<MDomain {name}>
  MDCAChallenges {challenge}
  MDPrivateKeys {keys}
</MDomain>
<VirtualHost 127.0.0.1:{http_port}>
  ServerName {name}
</VirtualHost>
<VirtualHost 127.0.0.1:{https_port}>
  ServerName {name}
  SSLEngine on
  Protocols {protocols}
</VirtualHost>
"""

# mod_md runs it (as the child's user) as `hook setup DOMAIN TXT-VALUE` and
# `hook teardown DOMAIN [TXT-VALUE]`; it sets _acme-challenge.DOMAIN in the test DNS server.
DNS_HOOK = """\
#!{python}
import json, sys, urllib.request

def post(path, obj):
    req = urllib.request.Request({mgmt_url!r} + path, data=json.dumps(obj).encode(),
                                 method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            raise SystemExit("challtestsrv " + path + ": HTTP " + str(r.status))

args = sys.argv[1:]
print("mod_md dns-01 hook:", *args, file=sys.stderr)
if len(args) == 3 and args[0] == "setup":
    post("/set-txt", {{"host": "_acme-challenge." + args[1].rstrip(".") + ".", "value": args[2]}})
elif len(args) in (2, 3) and args[0] == "teardown":
    post("/clear-txt", {{"host": "_acme-challenge." + args[1].rstrip(".") + "."}})
else:
    sys.exit(2)
"""


# Run next to Apache, outside its process group: when the test process is gone, however it
# ended, its end of the stdin pipe closes and this kills Apache's process group (a parent killed
# by DIE_WITH_PARENT leaves its children running). A normal stop kills it by PID first.
GUARD = """\
import os, signal, sys
sys.stdin.read()
try:
    os.killpg(int(sys.argv[1]), signal.SIGKILL)
except ProcessLookupError:
    pass
"""


def group_members(pgid):
    """PIDs of the live processes in process group `pgid` (from /proc)."""
    pids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.split("/")[2]))
    return pids


class Apache:
    """One /usr/sbin/apache2 -DFOREGROUND with a generated config, stopped by PID."""

    def __init__(self, env):
        self.env = env
        self.dir = env.new_dir("apache")
        self.store = os.path.join(self.dir, "md")
        self.error_log = os.path.join(self.dir, "error.log")
        self.stdout_log = os.path.join(self.dir, "apache.out")
        self.config = os.path.join(self.dir, "httpd.conf")
        self.proc = None
        self.guard = None
        self.deadline = None
        for sub in ("run", "htdocs"):
            os.makedirs(os.path.join(self.dir, sub))
        # The watchdog in Apache's child (not root) reads the CA file and runs the DNS hook.
        ca = os.path.join(self.dir, "acme-server-ca.pem")
        shutil.copyfile(env.server.tls_ca, ca)
        os.chmod(ca, 0o644)
        hook = os.path.join(self.dir, "md-dns01-hook.py")
        with open(hook, "w") as f:
            f.write(DNS_HOOK.format(python=PYTHON, mgmt_url=env.dns.mgmt_url))
        os.chmod(hook, 0o755)
        user = ""
        if os.geteuid() == 0:
            os.chmod(env.workdir, 0o711)  # mkdtemp's 0700 would lock the child out
            pw = pwd.getpwnam("www-data") if self._has_user("www-data") else pwd.getpwnam("nobody")
            user = f"User {pw.pw_name}\nGroup {grp.getgrgid(pw.pw_gid).gr_name}"
        # Debian builds some modules (mod_watchdog) into the binary.
        modules = "\n".join(f"<IfModule !{m}_module>\n  LoadModule {m}_module "
                            f"{MODULES}/mod_{m}.so\n</IfModule>" for m in MODULE_LIST)
        domains = "".join(
            DOMAIN_CONF.format(name=name, challenge=challenge, keys=keys,
                               http_port=env.http01_port, https_port=env.tlsalpn01_port,
                               protocols="h2 http/1.1 acme-tls/1" if challenge == "tls-alpn-01"
                               else "h2 http/1.1")
            for name, (challenge, keys, *_rest) in DOMAINS.items())
        with open(self.config, "w") as f:
            f.write(HTTPD_CONF.format(
                dir=self.dir, user=user, modules=modules, http_port=env.http01_port,
                https_port=env.tlsalpn01_port, directory=env.directory_url, ca=ca,
                dns_hook=hook, domains=domains))

    @staticmethod
    def _has_user(name):
        try:
            pwd.getpwnam(name)
            return True
        except KeyError:
            return False

    def start(self):
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["LANG"] = "C"
        self.deadline = time.time() + ISSUE_TIMEOUT
        with open(self.stdout_log, "ab") as log:
            self.proc = subprocess.Popen(
                [*DIE_WITH_PARENT, APACHE, "-d", self.dir, "-f", self.config, "-DFOREGROUND"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                cwd=self.dir, start_new_session=True)
        self.guard = subprocess.Popen(
            [PYTHON, "-c", GUARD, str(self.proc.pid)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_port(self.env.http01_port, self.proc, "apache2")
            wait_port(self.env.tlsalpn01_port, self.proc, "apache2")
        except RuntimeError as e:
            self.stop()
            raise RuntimeError(f"{e}\n{self.diagnostics()}") from None
        return self

    def graceful_restart(self):
        self.proc.send_signal(signal.SIGUSR1)

    def stop(self):
        if self.proc is None:
            return
        stop_process(self.proc, timeout=20)
        # Apache stops its children before it exits; kill (by PID) any that did not, and
        # any dns-01 hook still running, all in the process group this start() created.
        for pid in group_members(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.guard is not None:
            self.guard.kill()
            self.guard.wait()
            self.guard.stdin.close()

    def job_files(self, name):
        out = []
        for path in sorted(glob.glob(os.path.join(self.store, "*", name, "job.json"))):
            out.append(f"--- {os.path.relpath(path, self.store)} ---\n{tail(path, 4000)}")
        return "\n".join(out) or "(no job.json)"

    def server_log(self):
        time.sleep(1.5)  # flint flushes its log once a second
        return self.env.server.logs()

    def diagnostics(self, name=None):
        jobs = self.job_files(name) if name else "\n".join(self.job_files(n) for n in DOMAINS)
        return (f"--- mod_md job state ---\n{jobs}\n"
                f"--- apache stdout/stderr ---\n{tail(self.stdout_log, 2000)}\n"
                f"--- apache error log ({self.error_log}) ---\n{tail(self.error_log, 10000)}\n"
                f"--- ACME server log ---\n{self.server_log()}")

    def chain_log(self):
        """The error log lines in which mod_md retrieves certificate chains."""
        keys = ("certificate chain", "certs parsed", "up link", "next chain cert",
                "chain cert parsed", "chain retrieved")
        with open(self.error_log, errors="replace") as f:
            return "".join(line for line in f if any(k in line for k in keys))[-4000:]

    def stored(self, name):
        """(certificate path, key path) mod_md stored for `name`, or None."""
        _, _, cert_file, key_file, _ = DOMAINS[name]
        for group in ("domains", "staging"):
            cert = os.path.join(self.store, group, name, cert_file)
            key = os.path.join(self.store, group, name, key_file)
            if os.path.exists(cert) and os.path.exists(key):
                return cert, key
        return None

    def private_key_pem(self, path):
        """The key mod_md stored, as unencrypted PEM: in staging/ mod_md encrypts it with
        the store's own key (md_store.json "key", base64url)."""
        data = read(path).encode()
        password = None
        if b"ENCRYPTED" in data:
            with open(os.path.join(self.store, "md_store.json")) as f:
                store_key = json.load(f)["key"]
            password = base64.urlsafe_b64decode(store_key + "=" * (-len(store_key) % 4))
        key = serialization.load_pem_private_key(data, password=password)
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()

    def wait_certificate(self, test, name):
        """(chain PEM, unencrypted key PEM) mod_md stored for `name`. All domains share one
        deadline counted from Apache's start, which bounds the whole test file."""
        while time.time() < self.deadline:
            if self.proc.poll() is not None:
                test.fail(f"apache2 exited with {self.proc.returncode}\n"
                          f"{self.diagnostics(name)}")
            found = self.stored(name)
            if found:
                try:
                    return read(found[0]), self.private_key_pem(found[1])
                except OSError:
                    pass  # moved from staging to domains between the check and the read
            time.sleep(0.5)
        test.fail(f"mod_md stored no certificate for {name} within {ISSUE_TIMEOUT}s of "
                  f"Apache's start\n"
                  f"{self.diagnostics(name)}")

    def served_certificate(self, name):
        """The leaf Apache's HTTPS listener serves for SNI `name`, verified against the ACME
        server's root (raises ssl.SSLError while Apache still serves mod_md's fallback)."""
        ctx = ssl.create_default_context(cafile=self.env.server.issuer_root)
        with socket.create_connection(("127.0.0.1", self.env.tlsalpn01_port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                return tls.getpeercert()


class ModMdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binaries(APACHE, "openssl", "pebble-challtestsrv")
        if not os.path.exists(os.path.join(MODULES, "mod_md.so")):
            raise unittest.SkipTest(f"not installed: {MODULES}/mod_md.so (apache2-bin)")
        cls.env = Environment("mod_md").start()
        try:
            cls.apache = Apache(cls.env).start()
        except BaseException:
            cls.env.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.apache.stop()
        finally:
            code = cls.env.stop()
        assert code == 0, f"flint exit code {code}"

    def check_domain(self, name):
        chain, key = self.apache.wait_certificate(self, name)
        try:
            # pubcert*.pem is the certificate response's chain plus what its rel="up" answered.
            check_chain(self, self.env, chain, [name], DOMAINS[name][4], key)
        except AssertionError as e:
            self.fail(f"{e}\n{self.apache.diagnostics(name)}")

    def test_http01(self):
        self.check_domain("md-http.example.test")

    def test_tlsalpn01(self):
        self.check_domain("md-alpn.example.test")

    def test_dns01(self):
        self.check_domain("md-dns.example.test")

    def test_chains_hold_each_certificate_once(self):
        # mod_md builds its chain from the certificate response and then follows any
        # Link rel="up" it was given, appending what that answers; a server that sends the
        # whole chain and also links "up" to the issuer leaves the issuer in it twice.
        for name in DOMAINS:
            chain, _ = self.apache.wait_certificate(self, name)
            certs = split_pem(chain)
            subjects = [x509.load_pem_x509_certificate(c.encode()).subject.rfc4514_string()
                        for c in certs]
            if len(set(certs)) != len(certs):
                self.fail(f"{name}: mod_md stored a chain with a duplicate certificate: "
                          f"{subjects}\n--- apache log (chain retrieval) ---\n"
                          f"{self.apache.chain_log()}\n--- ACME server log ---\n"
                          f"{self.apache.server_log()}")

    def test_zz_graceful_restart_serves_certificates(self):
        # Named to run last (unittest sorts by name): the restart moves staging/ to domains/.
        for name in DOMAINS:
            self.apache.wait_certificate(self, name)
        self.apache.graceful_restart()
        for name in DOMAINS:
            deadline = time.time() + SERVE_TIMEOUT
            while True:
                try:
                    cert = self.apache.served_certificate(name)
                    break
                except (OSError, ssl.SSLError) as e:
                    if time.time() > deadline:
                        self.fail(f"Apache does not serve a certificate from the ACME server "
                                  f"for {name}: {e}\n{self.apache.diagnostics(name)}")
                    time.sleep(0.5)
            if ("DNS", name) not in cert.get("subjectAltName", ()):
                self.fail(f"Apache serves {cert} for {name}\n{self.apache.diagnostics(name)}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
