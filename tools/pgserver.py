"""A throwaway PostgreSQL for the app's Python tests and benchmarks (stdlib only; run as root or postgres).

The server itself is the project's one recipe, cli/moveData/scratchServer.ts (initdb, pg_ctl, the port, the
`postgres` user when root, the network namespace, the failover), driven through its command-line entry
tools/scratchServer.ts: this module only speaks to that process (one JSON line per command) and keeps the Python
API its callers use. Node is the one on PATH, else the repository's .node/bin/node.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# max_connections: the app's tests and benchmarks open more connections than a move-data restore check.
SETTINGS = {"max_connections": "200"}


def _node() -> str:
    found = shutil.which("node") or os.path.join(ROOT, ".node", "bin", "node")
    if not os.path.exists(found):
        raise SystemExit("pgserver: no node on PATH nor in .node/bin: the scratch server is tools/scratchServer.ts")
    return found


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for the app's own servers; the database's port is the scratch server's)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """The scratch server (trust auth, superuser `postgres`), made at construction and started by `start` or `with`.

    With `netns`, the server runs inside that network namespace and listens on `host` (see netns.py)."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", netns: str | None = None):
        args = ["--host", host, *[f"--set={k}={v}" for k, v in SETTINGS.items()]]
        if port:
            args += ["--port", str(port)]
        if netns:
            args += ["--netns", netns]
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [_node(), "-r", "ts-node/register/transpile-only", os.path.join(ROOT, "tools", "scratchServer.ts"), *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read("initdb")

    def _read(self, what: str) -> dict:
        """The scratch server's answer: its state (kept here too, even when the command failed), or an error."""
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"pgserver: {what}: tools/scratchServer.ts exited ({self._process.wait()})")
        answer = json.loads(line)
        if "dir" in answer:
            self.dir, self.data, self.host, self.port = answer["dir"], answer["data"], answer["host"], answer["port"]
            self.bindir, self.running, self.failovers = answer["bindir"], answer["running"], answer["failovers"]
        if "error" in answer:
            raise RuntimeError(f"pgserver: {what}: {answer['error']}")
        return answer

    def _command(self, *words: str) -> dict:
        with self._lock:  # one command at a time (tools/test_app.py's control server is threaded)
            self._process.stdin.write(" ".join(words) + "\n")
            self._process.stdin.flush()
            return self._read(" ".join(words))

    def start(self, wait: bool = True) -> None:
        """Start the server; with wait=False return at once (see `accepting`)."""
        self._command("start", *(() if wait else ("nowait",)))

    def stop(self) -> None:
        """A clean (fast) shutdown; `start` brings the same server back."""
        self._command("stop")

    def failover(self, wait: bool = True) -> None:
        """A new primary at the same address: this server stops, a copy of its data directory starts on the same port.

        Every connection to the old server is dead; the data (as a synchronous replica would have it) is all there.
        Works on a stopped server too (an outage that ends in a failover).
        """
        self._command("failover", *(() if wait else ("nowait",)))

    def accepting(self) -> bool:
        """Whether the server accepts connections now (pg_isready)."""
        return self._command("accepting")["accepting"]

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
        """Stop the server and remove its directory: the scratch server does both when its input ends."""
        try:
            self._process.stdin.close()
        except OSError:
            pass
        self._process.wait()

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
