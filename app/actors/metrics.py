"""Prometheus metrics, correct across gunicorn workers (multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set)."""
from __future__ import annotations

import glob
import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "actors_http_requests_total", "HTTP requests answered, by route and status.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "actors_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_POOL = Gauge(
    "actors_db_pool_connections",
    "Database pool connections, by state (size, available, waiting), summed over live workers.",
    ["state"],
    multiprocess_mode="livesum",
)
DB_UNAVAILABLE = Counter("actors_db_unavailable_total", "Requests answered 503 because the database was unreachable.")

# A metrics file's header: the used length (4 bytes) and padding. A file shorter than this is one a worker has
# created and not yet sized (prometheus_client opens it, then truncates it to its initial size).
_HEADER_BYTES = 8


class WorkersCollector(multiprocess.MultiProcessCollector):
    """The multiprocess collector, minus the files a starting worker has created but not yet written a header into.

    prometheus_client reads every *.db file; one caught between its creation and its first truncate is empty, and
    reading it raised struct.error, so that scrape answered 500 (seen under load, when workers restart). Such a file
    holds no sample yet; files only grow after that, so a file that passed this check stays readable.
    """

    def collect(self):
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            try:
                if os.stat(path).st_size >= _HEADER_BYTES:
                    files.append(path)
            except FileNotFoundError:  # a dead worker's live gauge, removed since the glob
                continue
        return self.merge(files, accumulate=True)


def observe_pool(stats: dict[str, int]) -> None:
    DB_POOL.labels("size").set(stats.get("pool_size", 0))
    DB_POOL.labels("available").set(stats.get("pool_available", 0))
    DB_POOL.labels("waiting").set(stats.get("requests_waiting", 0))


def render() -> tuple[bytes, str]:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        registry = CollectorRegistry()
        WorkersCollector(registry, path=directory)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def init_app(app: Flask, database) -> None:
    """Count and time every request by route and status, keep the pool gauges fresh, serve GET /metrics."""
    pool_observed = [float("-inf"), -1]  # when, and the pool's size then
    # Metric children by (method, route, status): label lookups once, not on every request. Bounded: routes are the
    # app's rules (or "unmatched"), and methods and statuses are few.
    children: dict[tuple[str, str, int], tuple] = {}

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def record(response: Response) -> Response:
        now = time.perf_counter()
        started = g.get("started", now)
        g.elapsed = now - started
        rule = request.url_rule
        key = (request.method, rule.rule if rule is not None else "unmatched", response.status_code)
        pair = children.get(key)
        if pair is None:
            pair = (REQUESTS.labels(key[0], key[1], str(key[2])), LATENCY.labels(key[0], key[1]))
            if len(children) < 1000:
                children[key] = pair
        pair[0].inc()
        pair[1].observe(g.elapsed)
        # Pool gauges: refreshed at most once a second per worker, not on every request, and whenever the number of
        # connections changed (connections open on demand: a worker's first requests may need none).
        size = database.pool.size
        if started - pool_observed[0] > 1.0 or size != pool_observed[1]:
            pool_observed[:] = [started, size]
            observe_pool(database.stats())
        return response

    def prometheus_metrics() -> Response:
        body, content_type = render()
        return Response(body, content_type=content_type)

    app.add_url_rule("/metrics", "metrics", prometheus_metrics, methods=["GET"])
