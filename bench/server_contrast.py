"""The same app under a server that parses HTTP in C: uWSGI with its gevent loop (Debian's uwsgi packages), beside the
shipped image (gunicorn, gevent workers), alternating rounds; CPU per request and requests/s from the same run, with a
new connection per request for both.

Usage: /usr/bin/python3 bench/server_contrast.py [ROUNDS]   (writes bench/server_contrast.json)
A measurement of what stands in the way of the serving goals, not a way the image runs: uWSGI would have to earn the
SIGTERM drain and the slow-client guarantees again before it could replace gunicorn.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402
from pgserver import PgServer  # noqa: E402
from podman import build  # noqa: E402

UWSGI_IMAGE = "localhost/actors:bench-uwsgi"
# A new connection per request for both servers: uWSGI's HTTP/1.1 keep-alive socket stalled about 1 s per request in
# gevent mode here, so keep-alive would measure that stall, not the parsing.
CLOSE = ("Connection: close",)
# The shipped image plus uWSGI; the app's files and settings are the same.
DOCKERFILE = f"""FROM {bench.IMAGE}
USER root
RUN apt-get update && apt-get install -y --no-install-recommends uwsgi-core uwsgi-plugin-python3 \\
    uwsgi-plugin-gevent-python3 && rm -rf /var/lib/apt/lists/*
USER 10001:10001
"""


def uwsgi_command(port: int) -> list[str]:
    # Two processes like WEB_CONCURRENCY's default, 1000 greenlets each like worker_connections.
    return [
        "uwsgi", "--plugins", "python3,gevent_python3", "--master", "--processes", "2", "--gevent", "1000",
        "--gevent-monkey-patch", "--http-socket", f"0.0.0.0:{port}", "--chdir", "/app", "--module", "actors.wsgi:app", "--disable-logging",
        "--die-on-term", "--env", "PROMETHEUS_MULTIPROC_DIR=/tmp",
    ]  # fmt: skip


def uwsgi_app(database_url: str) -> bench.App:
    port = bench.free_port()
    return bench.App(database_url, image=UWSGI_IMAGE, command=uwsgi_command(port), port=port)


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    build(bench.IMAGE)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Dockerfile").write_text(DOCKERFILE)
        build(UWSGI_IMAGE, context=Path(tmp))
    figures: dict[str, list[dict]] = {"gunicorn (shipped)": [], "uwsgi": []}
    with PgServer() as pg:
        url = bench.create_db(pg, "contrast", bench.SMALL)
        for _ in range(rounds):
            for name in figures:
                app = bench.App(url) if name.startswith("gunicorn") else uwsgi_app(url)
                try:
                    bench.wrk(f"{app.base}/api/actors?limit=25", duration=2, headers=CLOSE)
                    figures[name].append(bench.measured_wrk(pg, app, f"{app.base}/api/actors?limit=25", CLOSE))
                finally:
                    app.stop()
    result = {
        name: {
            "rps": statistics.median(r["rps"] for r in runs),
            "app_cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"]["app"] for r in runs),
            "non_2xx": sum(r["non_2xx"] for r in runs),
            "rounds": [(r["rps"], r["cpu_ms_per_request"]["app"]) for r in runs],
        }
        for name, runs in figures.items()
    }
    result["uwsgi_vs_gunicorn_app_cpu"] = round(
        result["uwsgi"]["app_cpu_ms_per_request"] / result["gunicorn (shipped)"]["app_cpu_ms_per_request"], 2
    )
    (Path(__file__).resolve().parent / "server_contrast.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
