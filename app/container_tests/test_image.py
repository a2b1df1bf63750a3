"""The shipped image, run the way each platform runs it."""
import http.client
import json
import os
import signal
import threading
import time

import pytest

from conftest import IMAGE, get, podman

HARDENED = [
    "--read-only",
    "--read-only-tmpfs=false",
    "--tmpfs",
    "/tmp:rw,size=64m",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
]


@pytest.fixture(scope="module", autouse=True)
def migrated(database_url):
    """Heroku's release phase: the same image with DYNO=release.N runs the migrations and exits 0."""
    result = podman(
        "run",
        "--rm",
        "--no-healthcheck",
        "--network",
        "host",
        "--user",
        "48213:48213",
        *HARDENED,
        "-e",
        f"DATABASE_URL={database_url}",
        "-e",
        "DYNO=release.1",
        IMAGE,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"migrations up to date"' in result.stdout


def test_image_metadata():
    image = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    config = image["Config"]
    assert config["User"] == "10001:10001"
    assert config["Cmd"] == ["/app/bin/start"]
    assert "PORT=5000" in config["Env"]
    assert image["Healthcheck"]["Test"] == ["CMD", "/app/bin/healthcheck"]
    assert image["Architecture"] == "amd64"


def test_heroku_needs_are_in_the_image():
    script = "command -v bash curl ssh ip python3 >/dev/null && test -r /app/.profile.d/heroku-exec.sh && echo ok"
    result = podman("run", "--rm", "--user", "31337", "--entrypoint", "bash", IMAGE, "-c", script)
    assert result.stdout.strip() == "ok"


def test_no_file_in_the_app_is_writable_by_the_app_user():
    result = podman(
        "run",
        "--rm",
        "--entrypoint",
        "bash",
        IMAGE,
        "-c",
        "find /app -writable -print -quit; find /app -user 10001 -print -quit",
    )
    assert result.stdout.strip() == ""


def test_read_only_random_uid_serves_page_api_and_readiness(container, database_url, port):
    app = container("--user", "54321:54321", *HARDENED, env={"DATABASE_URL": database_url, "PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    app.wait_http(f"{base}/healthz")
    status, _, body = get(f"{base}/")
    assert status == 200 and b"<h1>Actors</h1>" in body
    status, _, body = get(f"{base}/api/actors?limit=3")
    assert status == 200 and len(json.loads(body)["actors"]) == 3
    assert get(f"{base}/readyz")[0] == 200
    status, _, body = get(f"{base}/metrics")
    assert status == 200 and b'actors_http_requests_total{method="GET",route="/api/actors",status="200"}' in body
    logs = [json.loads(l) for l in app.logs().splitlines() if l.startswith("{")]
    assert any(l.get("msg") == "request" and l.get("path") == "/api/actors" for l in logs)


def test_bad_setting_stops_start_up_with_one_line(container, port):
    app = container(env={"DATABASE_URL": "mysql://u:hunter2@h/db", "PORT": str(port)})
    assert app.wait_exit(timeout=30) == 2
    output = app.logs().strip()
    assert (
        output
        == "actors: configuration error: DATABASE_URL must use the postgres:// or postgresql:// scheme (got 'mysql')"
    )


def test_sigterm_finishes_every_request_sent_before_it(container, database_url, port):
    app = container(
        "--user",
        "54321:54321",
        *HARDENED,
        env={"DATABASE_URL": database_url, "PORT": str(port), "WEB_CONCURRENCY": "2"},
    )
    app.wait_http(f"http://127.0.0.1:{port}/readyz")
    signal_at = [float("inf")]
    results, lock = [], threading.Lock()  # (sent_at, ok, detail)

    def client():
        for _ in range(300):  # bounded: stops by itself
            if time.monotonic() > signal_at[0] + 1:
                return
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=25)
            sent_at, ok, detail = None, False, ""
            try:
                conn.request("GET", "/api/actors?limit=20")
                sent_at = time.monotonic()  # the whole request is in the kernel's hands now
                response = conn.getresponse()
                response.read()
                ok, detail = response.status == 200, str(response.status)
            except OSError as exc:
                detail = repr(exc)
            finally:
                conn.close()
            with lock:
                results.append((sent_at, ok, detail))

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    pid = app.state()["Pid"]  # gunicorn's master, PID 1 in the container: signal it directly, with no delay
    signal_at[0] = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    code = app.wait_exit(timeout=30)
    took = time.monotonic() - signal_at[0]
    for t in threads:
        t.join(30)
    before = [r for r in results if r[0] is not None and r[0] < signal_at[0]]
    failed = [r for r in before if not r[1]]
    assert len(before) > 50
    assert failed == [], f"{len(failed)} of {len(before)} requests sent before SIGTERM failed: {failed[:3]}"
    assert code == 0 and took < 20, (code, took, app.logs()[-3000:])
