"""Remote validation perspectives for the integration tests (issue 14, BR §3.2.2.9): flint serve
with three `flint va-agent` processes, their mutual-TLS credentials minted with
`flint admin perspective add`, each agent on a free 127.0.0.1 port.

PerspectiveFlintServer fits harness.Environment's `server` slot, so any test built on
Environment (certbot, lego) runs through three perspectives that share the test DNS server.
SeparateViewsFlintServer gives each agent a pebble-challtestsrv of its own instead, so that a
test can show a record to some perspectives and not to others."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DIE_WITH_PARENT, FLINT, ChallTestSrv, FlintServer,  # noqa: E402
                     stop_process, tail, wait_port)
from acmelib import free_port  # noqa: E402

AGENT_NAMES = ("east", "west", "north")


class Agent:
    """One `flint va-agent`, its directory minted by `flint admin perspective add`."""

    def __init__(self, name, workdir, data_dir, resolver, http01_port, tlsalpn01_port, dns=None):
        self.name = name
        self.dir = os.path.join(workdir, f"agent-{name}")
        self.data_dir = data_dir
        self.resolver = resolver
        self.dns = dns  # a ChallTestSrv of its own, or None (shares the CA's)
        self.http01_port = http01_port
        self.tlsalpn01_port = tlsalpn01_port
        self.port = free_port()
        self.log_path = os.path.join(workdir, f"agent-{name}.log")
        self.proc = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def mint(self):
        out = subprocess.run([FLINT, "admin", "--data", self.data_dir, "perspective", "add",
                              self.name, "--out", self.dir],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"perspective add {self.name}: {out.stderr}")

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*DIE_WITH_PARENT, FLINT, "va-agent", "--data", self.dir,
                 "--listen", f"127.0.0.1:{self.port}", "--dns-resolver", self.resolver,
                 "--http01-port", str(self.http01_port),
                 "--tlsalpn01-port", str(self.tlsalpn01_port), "--allow-private-targets"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_port(self.port, self.proc, f"va-agent {self.name}")
        return self

    def kill(self):
        """SIGKILL by PID: a dead perspective."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM; returns the exit code (0 for a clean stop)."""
        if not self.alive():
            return self.proc.returncode if self.proc else 0
        stop_process(self.proc)
        return self.proc.returncode

    def logs(self):
        return tail(self.log_path)


class PerspectiveFlintServer(FlintServer):
    """flint serve --perspective NAME=URL for three agents sharing the CA's DNS server."""

    SEPARATE_DNS = False

    def __init__(self, workdir, resolver, http01_port, tlsalpn01_port):
        super().__init__(workdir, resolver, http01_port, tlsalpn01_port)
        self.agents = []
        for name in AGENT_NAMES:
            dns = None
            agent_resolver = resolver
            if self.SEPARATE_DNS:
                dns_dir = os.path.join(workdir, f"dns-{name}")
                os.makedirs(dns_dir, exist_ok=True)
                dns = ChallTestSrv(dns_dir)
                agent_resolver = dns.resolver
            self.agents.append(Agent(name, workdir, self.flint.data_dir, agent_resolver,
                                     http01_port, tlsalpn01_port, dns))

    def agent(self, name):
        return [a for a in self.agents if a.name == name][0]

    def start(self):
        os.makedirs(self.flint.data_dir, exist_ok=True)
        for a in self.agents:
            if a.dns is not None:
                a.dns.start()
            a.mint()
            a.start()
            self.flint.extra_args += ["--perspective", f"{a.name}={a.url}"]
        return super().start()

    def logs(self):
        return super().logs() + "".join(f"\n--- agent {a.name}\n{a.logs()}" for a in self.agents)

    def stop(self):
        try:
            code = super().stop()
        finally:
            codes = [a.stop() for a in self.agents]
            for a in self.agents:
                if a.dns is not None:
                    a.dns.stop()
        return code if code != 0 else next((c for c in codes if c not in (0, -9)), 0)


class SeparateViewsFlintServer(PerspectiveFlintServer):
    """Each agent with a DNS server of its own: a different DNS view per perspective."""

    SEPARATE_DNS = True
