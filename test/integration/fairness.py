"""The set-up of issue 14's fairness measurement, shared by test_async_validation.py (CTest,
no timing thresholds) and bench/fairness.py (the measured figures).

One flint process with pebble-challtestsrv as its DNS, and two http-01 targets on the same port
of two loopback addresses:
  - a tarpit on 127.0.0.2: accepts every connection and never answers (nor reads);
  - an honest responder on 127.0.0.1 (harness.Http01Responder).
The attacker account's names resolve to 127.0.0.2 (an A record set through challtestsrv), the
victim's to 127.0.0.1 (challtestsrv's default). Everything stays on 127.0.0.0/8.
"""

import os
import socket
import threading
import time

from harness import ChallTestSrv, FlintServer, Http01Responder, RawFlow, free_port  # noqa: F401

TARPIT_IP = "127.0.0.2"


class Tarpit:
    """A TCP server that accepts and never answers; counts connections accepted and open."""

    def __init__(self, ip, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(4096)
        self.conns = []
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(conn)

    def accepted(self):
        with self.lock:
            return len(self.conns)

    def open_connections(self):
        """Connections the client has not closed yet (a closed one reads as EOF)."""
        n = 0
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.setblocking(False)
                data = c.recv(65536, socket.MSG_PEEK)
                if data:  # a request sent and never answered: still open
                    n += 1
            except BlockingIOError:
                n += 1
            except OSError:
                pass
        return n

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped = True
        self.sock.close()
        with self.lock:
            for c in self.conns:
                c.close()


class FairnessSetup:
    """flint + DNS + tarpit + responder; `extra_args` go to flint serve."""

    def __init__(self, workdir, extra_args=()):
        self.workdir = workdir
        self.http01_port = free_port()
        self.dns = ChallTestSrv(workdir)
        self.server = None
        self.extra_args = list(extra_args)
        self.webroot = os.path.join(workdir, "webroot")
        os.makedirs(self.webroot, exist_ok=True)
        self.tarpit = Tarpit(TARPIT_IP, self.http01_port)
        self.responder = Http01Responder(self.http01_port, self.webroot)
        self.serial = 0

    def start(self):
        self.tarpit.__enter__()
        self.responder.__enter__()
        self.dns.start()
        self.server = FlintServer(self.workdir, self.dns.resolver, self.http01_port, free_port())
        self.server.flint.extra_args += self.extra_args
        self.server.start()
        return self

    def stop(self):
        try:
            if self.server is not None:
                self.server.stop()
        finally:
            self.dns.stop()
            self.responder.__exit__()
            self.tarpit.__exit__()

    def pid(self):
        return self.server.flint.proc.pid

    def names(self, prefix, n):
        self.serial += 1
        return [f"{prefix}{self.serial}-{i}.fair.test" for i in range(n)]

    def point_at_tarpit(self, names):
        for n in names:
            self.dns.post("/add-a", {"host": n + ".", "addresses": [TARPIT_IP]})

    @staticmethod
    def pending_http01(flow, names, per_order=50):
        """New orders for `names`; returns their http-01 challenges (authorization URL, chall)."""
        out = []
        for i in range(0, len(names), per_order):
            _, order = flow.new_order(names[i:i + per_order])
            for authz_url in order["authorizations"]:
                out.append((authz_url, flow.challenge(authz_url, "http-01")))
        return out

    def start_attack(self, flow, n):
        """n http-01 challenges of `flow`'s account against the tarpit, all answered."""
        names = self.names("x", n)
        self.point_at_tarpit(names)
        challenges = self.pending_http01(flow, names)
        started = time.monotonic()
        for _, ch in challenges:
            flow.respond(ch)
        return challenges, started

    def victim(self, flow):
        """One http-01 validation of the victim's account; returns (authz, seconds)."""
        (authz_url, ch), = self.pending_http01(flow, self.names("v", 1))
        with open(os.path.join(self.webroot, ch["token"]), "w") as f:
            f.write(flow.key_authorization(ch["token"]))
        t0 = time.monotonic()
        flow.respond(ch)
        while True:
            authz = flow.get(authz_url)
            if authz["status"] != "pending":
                return authz, time.monotonic() - t0
            time.sleep(0.01)


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0
