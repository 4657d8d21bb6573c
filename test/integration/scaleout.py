"""Several flint instances on one PostgreSQL database behind HAProxy, for the scale-out tests
(issue 13). Everything runs on 127.0.0.1, in the test's work directory, started here and
stopped by PID.

- PgServer: a throwaway PostgreSQL 15 cluster (initdb in a temp dir, fsync off, as user
  postgres when the tests run as root, since initdb refuses root).
- HaProxy: TLS terminated with flint's own listener certificate and re-encrypted to the
  instances, `balance roundrobin` with `option http-server-close`, so every HTTP request opens a
  new connection to the next instance: a client's consecutive requests (newNonce, newAccount,
  newOrder, the challenge, the polls, finalize) land on different instances.
- ClusterServer: the FlintServer interface of harness.py (directory_url, tls_ca, ...) over N
  instances that share the CA by copying the first instance's data directory, as
  docs/SCALE-OUT.md tells operators to.
"""

import os
import pwd
import shutil
import signal
import subprocess
import time

from acmelib import FLINT, free_port
from harness import (CAA_IDENTITY, DIE_WITH_PARENT, Client, stop_process, tail,
                     wait_port)

PG_BIN = "/usr/lib/postgresql/15/bin"
CA_FILES = ("root.pem", "intermediate.pem", "intermediate.key", "tls.pem", "tls.key", "ca.json")


def _as_postgres():
    """Command prefix and uid for running PostgreSQL's programs (initdb refuses root)."""
    if os.geteuid() != 0:
        return [], None
    return ["runuser", "-u", "postgres", "--"], pwd.getpwnam("postgres")


class PgServer:
    """A PostgreSQL server of its own, on a free 127.0.0.1 port."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "pg")
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(workdir, "postgres.log")

    def _run(self, argv):
        prefix, _ = _as_postgres()
        subprocess.run(prefix + argv, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT, timeout=60)

    def start(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            raise RuntimeError(f"PostgreSQL 15 is not installed ({PG_BIN}): scripts/deps.sh --test")
        os.makedirs(self.dir)
        _, user = _as_postgres()
        if user is not None:
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            os.chmod(os.path.dirname(self.dir), 0o755)
        self._run([f"{PG_BIN}/initdb", "-D", self.dir, "-A", "trust", "-U", "postgres",
                   "--no-sync"])
        self.start_server()
        deadline = time.time() + 30
        while True:
            r = subprocess.run([f"{PG_BIN}/psql", "-h", "127.0.0.1", "-p", str(self.port),
                                "-U", "postgres", "-c", "CREATE DATABASE flint"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                return self
            if time.time() > deadline:
                raise RuntimeError("CREATE DATABASE failed: " + r.stderr)
            time.sleep(0.2)

    def start_server(self):
        """Starts (or, after stop(), restarts) the server on the existing data directory."""
        prefix, _ = _as_postgres()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [*DIE_WITH_PARENT, *prefix, f"{PG_BIN}/postgres", "-D", self.dir,
             "-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}",
             "-c", f"unix_socket_directories={self.dir}", "-c", "fsync=off",
             "-c", "max_connections=200"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_port(self.port, self.proc, "postgres")

    @property
    def uri(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/flint"

    def query(self, sql):
        r = subprocess.run([f"{PG_BIN}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                            "postgres", "-d", "flint", "-At", "-c", sql],
                           capture_output=True, text=True, check=True)
        return r.stdout.strip()

    def stop(self):
        """Fast shutdown (SIGINT to the postmaster): open sessions are ended, as when a
        database server goes away under its clients."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                with open(os.path.join(self.dir, "postmaster.pid")) as f:
                    os.kill(int(f.readline()), signal.SIGINT)
                self.proc.wait(timeout=30)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        stop_process(self.proc)
        if getattr(self, "log", None):
            self.log.close()


class HaProxy:
    """HTTPS on a free port, each request sent on a new connection to the next backend."""

    def __init__(self, workdir, cert_pem_path, backends, new_connection_per_request=True):
        """`new_connection_per_request` False: idle connections to the instances are kept and
        reused (HAProxy's default), requests are still balanced one by one."""
        self.workdir = workdir
        self.server_close = "    option http-server-close\n" if new_connection_per_request else ""
        self.port = free_port()
        self.cert = cert_pem_path
        self.backends = backends  # [(name, port)]
        self.proc = None

    def start(self):
        cfg = os.path.join(self.workdir, "haproxy.cfg")
        servers = "\n".join(
            f"    server {name} 127.0.0.1:{port} ssl verify none check check-ssl "
            f"inter 500 fall 2 rise 1" for name, port in self.backends)
        with open(cfg, "w") as f:
            f.write(f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A request to an instance that died is sent to the next one (ACME POSTs are safe to
    # resend when they never reached an instance: its nonce was not spent).
    retries 2
    option redispatch
frontend acme
    bind 127.0.0.1:{self.port} ssl crt {self.cert}
    default_backend flint
backend flint
    balance roundrobin
{self.server_close}    option httpchk GET /directory
{servers}
""")
        self.log = open(os.path.join(self.workdir, "haproxy.log"), "ab")
        self.proc = subprocess.Popen([*DIE_WITH_PARENT, "haproxy", "-f", cfg, "-db"],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        wait_port(self.port, self.proc, "haproxy")
        return self

    def stop(self):
        stop_process(self.proc)
        if getattr(self, "log", None):
            self.log.close()


class Instance:
    """One `flint serve`: on PostgreSQL at `db_uri`, or (db_uri None) on the SQLite file of
    `data_dir`, which several instances may share with --shared-nonces."""

    def __init__(self, workdir, index, db_uri, base_url, args, data_dir=None):
        self.data_dir = data_dir or os.path.join(workdir, f"flint-{index}")
        self.port = free_port()
        self.log_path = os.path.join(workdir, f"flint-{index}.log")
        db = ["--db", db_uri] if db_uri else ["--shared-nonces"]
        self.argv = [*DIE_WITH_PARENT, FLINT, "serve", "--data", self.data_dir, *db,
                     "--listen", f"127.0.0.1:{self.port}", "--base-url", base_url, *args]
        self.proc = None

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        try:
            wait_port(self.port, self.proc, "flint")
        except RuntimeError as e:
            raise RuntimeError(f"{e}: {tail(self.log_path)}") from None
        return self

    def requests_served(self):
        """How many ACME requests this instance logged."""
        with open(self.log_path, "rb") as f:
            return sum(1 for line in f if b"request method=" in line)

    def stop(self):
        code = None
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc, timeout=30)
        if self.proc is not None:
            code = self.proc.returncode
        if getattr(self, "log", None):
            self.log.close()
        return code


class ClusterServer:
    """N flint instances behind HAProxy; harness.FlintServer's interface. On one PostgreSQL
    server of their own (`backend` "postgresql"), or on one SQLite file in a shared data
    directory with --shared-nonces ("sqlite", for bench/scaleout.py). `args`, when given,
    replaces the validation flags built from the test DNS server and challenge ports."""

    def __init__(self, workdir, resolver=None, http01_port=None, tlsalpn01_port=None,
                 instances=2, args=None, backend="postgresql", new_connection_per_request=True):
        self.workdir = workdir
        self.pg = PgServer(workdir) if backend == "postgresql" else None
        self.count = instances
        self.args = args if args is not None else [
            "--dns-resolver", resolver, "--allow-private-targets",
            "--http01-port", str(http01_port), "--tlsalpn01-port", str(tlsalpn01_port),
            "--caa-identity", CAA_IDENTITY]
        self.new_connection_per_request = new_connection_per_request
        self.instances = []
        self.haproxy = None

    def start(self):
        db_uri = self.pg.start().uri if self.pg else None
        shared_dir = None if self.pg else os.path.join(self.workdir, "flint-shared")
        port = free_port()
        base = f"https://localhost:{port}"
        self.instances = [Instance(self.workdir, i, db_uri, base, self.args, data_dir=shared_dir)
                          for i in range(self.count)]
        # The first instance creates the CA; the others get a copy of its files (on SQLite
        # they share its data directory).
        self.instances[0].start()
        for other in self.instances[1:]:
            if other.data_dir != self.instances[0].data_dir:
                os.makedirs(other.data_dir, exist_ok=True)
                for name in CA_FILES:
                    src = os.path.join(self.instances[0].data_dir, name)
                    if os.path.exists(src):
                        shutil.copy2(src, os.path.join(other.data_dir, name))
            other.start()
        combined = os.path.join(self.workdir, "haproxy.pem")
        with open(combined, "w") as out:
            for name in ("tls.pem", "tls.key"):
                with open(os.path.join(self.instances[0].data_dir, name)) as f:
                    out.write(f.read())
        os.chmod(combined, 0o600)
        self.haproxy = HaProxy(self.workdir, combined,
                               [(f"flint{i}", inst.port) for i, inst in enumerate(self.instances)],
                               new_connection_per_request=self.new_connection_per_request)
        self.haproxy.port = port
        self.haproxy.start()
        return self

    @property
    def base(self):
        return f"https://localhost:{self.haproxy.port}"

    @property
    def directory_url(self):
        return self.base + "/directory"

    @property
    def tls_ca(self):
        return os.path.join(self.instances[0].data_dir, "root.pem")

    @property
    def issuer_root(self):
        return self.tls_ca

    @property
    def intermediate(self):
        return os.path.join(self.instances[0].data_dir, "intermediate.pem")

    def raw_client(self):
        return Client(_Endpoint(self))

    def logs(self):
        return "\n".join(f"--- instance {i} ---\n{tail(inst.log_path, 2000)}"
                         for i, inst in enumerate(self.instances))

    def stop(self):
        """0 when every instance still running exits cleanly on SIGTERM."""
        codes = []
        try:
            if self.haproxy:
                self.haproxy.stop()
            for inst in self.instances:
                codes.append(inst.stop())
        finally:
            if self.pg:
                self.pg.stop()
        bad = [c for c in codes if c not in (0, None, -9)]
        return bad[0] if bad else 0


class _Endpoint:
    """What acmelib.Client needs of a server: its base URL and the root to trust."""

    def __init__(self, cluster):
        self.base = cluster.base
        self.data_dir = cluster.instances[0].data_dir

    def context(self):
        import ssl
        return ssl.create_default_context(cafile=os.path.join(self.data_dir, "root.pem"))
