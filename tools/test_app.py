"""Runs the app's tests for real: builds the image, starts a throwaway PostgreSQL on the host, runs the pytest
suite inside the built image (app/tests), then the container tests from the host (app/container_tests).

Usage: python3 tools/test_app.py [-k EXPR]   (npm test runs it)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PgServer  # noqa: E402
from podman import ROOT, build, env, podman  # noqa: E402

TEST_IMAGE = "localhost/actors:tests"
APP_IMAGE = "localhost/actors:under-test"


def control_server(pg: PgServer) -> ThreadingHTTPServer:
    """POST /stop and /start let tests inside the container take the database down and bring it back; POST /failover
    replaces it with a new primary (a copy of its data) at the same address."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            action = {"/stop": pg.stop, "/start": pg.start, "/failover": pg.failover}.get(self.path)
            if action is None:
                self.send_error(404)
                return
            action()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-k", default=None, help="pytest -k expression for both suites")
    args = parser.parse_args()
    print("app tests: building images", flush=True)
    build(TEST_IMAGE, target="test")
    build(APP_IMAGE)
    selection = ["-k", args.k] if args.k else []
    with PgServer() as pg:
        control = control_server(pg)
        shared = {"PG_ADMIN_URL": pg.url(), "PG_CONTROL_URL": f"http://127.0.0.1:{control.server_port}"}
        print("app tests: pytest inside the image", flush=True)
        env_args = [a for k, v in shared.items() for a in ("-e", f"{k}={v}")]
        inside = podman(
            "run",
            "--rm",
            "--no-healthcheck",
            "--network",
            "host",
            *env_args,
            TEST_IMAGE,
            "python3",
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-ra",
            "/app/tests",
            *selection,
            check=False,
            capture=False,
        )
        print("app tests: container tests from the host", flush=True)
        outside = subprocess.run(
            [
                "/usr/bin/python3",
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                "-ra",
                str(ROOT / "app" / "container_tests"),
                *selection,
            ],
            env={**env(), **shared, "APP_IMAGE": APP_IMAGE},
            check=False,
        )
        control.shutdown()
    # pytest exits 5 when a -k selection matched nothing in one suite: not a failure of the other.
    codes = [c for c in (inside.returncode, outside.returncode) if not (args.k and c == 5)]
    return max(codes, default=0)


if __name__ == "__main__":
    sys.exit(main())
