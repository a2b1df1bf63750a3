"""Host-side tests of the shipped image, run by tools/test_app.py (APP_IMAGE, PG_ADMIN_URL)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from pgserver import free_port  # noqa: E402
from podman import podman  # noqa: E402

IMAGE = os.environ.get("APP_IMAGE", "")
ADMIN_URL = os.environ.get("PG_ADMIN_URL", "")
if not (IMAGE and ADMIN_URL):
    raise pytest.UsageError("run the container tests with `npm test` or tools/test_app.py")


def get(path_url: str, timeout: float = 5.0):
    try:
        with urllib.request.urlopen(path_url, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Container:
    def __init__(self, *run_args: str, env: dict[str, str], name: str | None = None):
        self.name = name or f"actors-test-{uuid.uuid4().hex[:8]}"
        env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        podman("run", "-d", "--no-healthcheck", "--name", self.name, "--network", "host", *env_args, *run_args, IMAGE)

    def wait_http(self, url: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if get(url, timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            if self.state()["Status"] == "exited":
                raise AssertionError(f"container exited: {self.logs()}")
            time.sleep(0.1)
        raise TimeoutError(f"{url} did not answer 200 within {timeout}s: {self.logs()}")

    def state(self) -> dict:
        return json.loads(podman("inspect", "--format", "{{json .State}}", self.name).stdout)

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def wait_exit(self, timeout: float) -> int:
        return int(podman("wait", self.name, timeout=timeout).stdout.strip())

    def remove(self) -> None:
        podman("rm", "-f", "-t", "0", self.name, check=False)


@pytest.fixture(scope="session")
def database_url():
    """A database migrated by the image itself, as Heroku's release phase would."""
    name = f"c_{uuid.uuid4().hex[:10]}"
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    subprocess.run(["psql", "-X", "-q", "-d", ADMIN_URL, "-c", f'CREATE DATABASE "{name}"'], check=True)
    yield url
    subprocess.run(
        ["psql", "-X", "-q", "-d", ADMIN_URL, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False
    )


@pytest.fixture
def container():
    started: list[Container] = []

    def start(*run_args: str, env: dict[str, str]) -> Container:
        c = Container(*run_args, env=env)
        started.append(c)
        return c

    yield start
    for c in started:
        c.remove()


@pytest.fixture
def port() -> int:
    return free_port()
