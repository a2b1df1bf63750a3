"""A throwaway PostgreSQL on 127.0.0.1 for the app's tests and benchmarks (stdlib only; run as root or postgres)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time


def _bindir() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise SystemExit("pgserver: no PostgreSQL server found; install Debian's postgresql package (.ci/setup does)")
    return os.path.dirname(candidates[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """initdb + pg_ctl in a temporary directory; trust auth on loopback, superuser `postgres`.

    With `netns`, the server runs inside that network namespace and listens on `host` (see netns.py)."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", netns: str | None = None):
        self.bindir = _bindir()
        self.host, self.netns = host, netns
        self.port = port or (5432 if netns else free_port())
        self.dir = tempfile.mkdtemp(prefix="actors-pg-")
        self.data = f"{self.dir}/data"
        self.failovers = 0
        self.running = False
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        if netns:  # clients reach it over the namespace's own link (a /30), not loopback
            with open(f"{self.data}/pg_hba.conf", "a") as f:
                f.write("host all all samenet trust\n")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [tool if tool.startswith("/") else f"{self.bindir}/{tool}", *args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, wait: bool = True) -> None:
        """Start the server; with wait=False return at once (see `accepting`)."""
        opts = (
            f"-p {self.port} -k {self.dir} -c listen_addresses={self.host} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", self.data, "-l", f"{self.dir}/log", "-w" if wait else "-W", "-o", opts, "start")
        self.running = True

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        self.running = False

    def failover(self, wait: bool = True) -> None:
        """A new primary at the same address: stop this server, start a copy of its data directory on the same port.

        Every connection to the old server is dead; the data (as a synchronous replica would have it) is all there.
        Works on a stopped server too (an outage that ends in a failover).
        """
        if self.running:
            self.stop()
        self.failovers += 1
        previous, self.data = self.data, f"{self.dir}/data-{self.failovers}"
        self._run("/bin/cp", "-a", previous, self.data)
        shutil.rmtree(previous)
        self.start(wait)

    def accepting(self) -> bool:
        """Whether the server accepts connections now (pg_isready)."""
        return (
            subprocess.run(
                [f"{self.bindir}/pg_isready", "-q", "-t", "1", "-h", self.host, "-p", str(self.port)]
            ).returncode
            == 0
        )

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        out = subprocess.run(
            [f"{self.bindir}/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.url(dbname), "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PgServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")
