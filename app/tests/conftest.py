"""Fixtures for the app's tests, which run inside the built image against a PostgreSQL the harness started.

PG_ADMIN_URL: a superuser URL of that server; PG_CONTROL_URL: where to POST /stop and /start it.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from actors import create_app
from actors.migrate import migrate
from actors.settings import Settings

ADMIN_URL = os.environ.get("PG_ADMIN_URL", "")
CONTROL_URL = os.environ.get("PG_CONTROL_URL", "")

if not ADMIN_URL:
    raise pytest.UsageError("PG_ADMIN_URL is not set: run the app tests with `npm test` or tools/test_app.py")


def database_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def make_database():
    """Factory: a new, empty (or migrated) database; all are dropped at the end of the session."""
    created: list[str] = []

    def make(migrated: bool = True) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        url = database_url(name)
        if migrated:
            migrate(url)
        return url

    yield make
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.OperationalError:
        pass


@pytest.fixture(scope="session")
def seeded_url(make_database) -> str:
    """A migrated database holding exactly the seed. Tests must not write to it."""
    return make_database()


def make_app(url: str, **overrides):
    settings = Settings(database_url=url, db_wait_seconds=1.0, db_connect_timeout=2, **overrides)
    return create_app({"SETTINGS": settings})


@pytest.fixture
def app(seeded_url):
    app = make_app(seeded_url)
    yield app
    app.extensions["database"].close()


@pytest.fixture
def client(app):
    return app.test_client()


class PgControl:
    def _post(self, action: str) -> None:
        request = urllib.request.Request(f"{CONTROL_URL}/{action}", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 204

    def stop(self) -> None:
        self._post("stop")
        self.running = False

    def start(self) -> None:
        self._post("start")
        self.running = True

    def failover(self) -> None:
        """A new primary at the same address (a copy of the data): connections to the old one are dead."""
        self._post("failover")
        self.running = True


@pytest.fixture
def pg_control():
    if not CONTROL_URL:
        pytest.fail("PG_CONTROL_URL is not set: run the app tests with `npm test` or tools/test_app.py")
    control = PgControl()
    control.running = True
    yield control
    if not control.running:
        control.start()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, timeout: float = 10.0, headers: dict | None = None):
    """(status, headers, body) for any status, without raising on 4xx/5xx."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def http_json(url: str, **kwargs):
    status, headers, body = http("GET", url, **kwargs)
    return status, headers, json.loads(body)


class Gunicorn:
    """The app under the image's own gunicorn.conf.py, as a subprocess."""

    def __init__(self, url: str, workers: int = 2, extra_env: dict | None = None):
        self.port = free_port()
        self.metrics_dir = f"/tmp/metrics-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir,
            **(extra_env or {}),
        }
        self.process = subprocess.Popen(
            ["gunicorn", "--config", "/app/gunicorn.conf.py"],
            cwd="/app",
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stdout.read()}")
            try:
                if http("GET", f"{self.base}/healthz", timeout=1)[0] == 200 and len(self.worker_pids()) == workers:
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("gunicorn did not answer /healthz within 20 s")

    def worker_pids(self) -> set[int]:
        children = set()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    children.add(int(entry))
        return children

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.stdout.read()


@pytest.fixture
def gunicorn(seeded_url):
    servers: list[Gunicorn] = []

    def start(url: str | None = None, **kwargs) -> Gunicorn:
        server = Gunicorn(url or seeded_url, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        # Shown by pytest when the test failed: the server's own log lines (workers booting, exiting, errors).
        print("\n".join(line for line in server.stop().splitlines() if '"msg": "request"' not in line))
