"""The actors app: an HTML page and a JSON API listing actors from PostgreSQL."""
from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, Mapping

from flask import Flask, g, request

from . import logs
from .settings import Settings

log = logging.getLogger("actors")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,200}$")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """App factory. `config` may hold SETTINGS (a Settings) and Flask options; otherwise the environment is read."""
    config = dict(config or {})
    settings: Settings = config.pop("SETTINGS", None) or Settings.from_env()
    logs.configure(settings.log_level)

    app = Flask(__name__)
    app.config.update(SETTINGS=settings, **config)
    # Keys in the order the API documents them ({"actors", "next", "prev"}; id, name, ... per actor), not sorted.
    app.json.sort_keys = False
    app.json.compact = True

    # Imported here, not at the top: gunicorn.conf.py imports this package in the arbiter, and psycopg must first be
    # imported in a worker, after gevent has patched the standard library (see worker.py).
    from . import views
    from .db import Database

    # Connections are opened by the first requests that need them: the app starts (and /healthz answers) while the
    # database is still unreachable.
    app.extensions["database"] = Database(settings)

    app.register_blueprint(views.bp)
    views.register_error_handlers(app)
    _instrument(app)
    return app


def _instrument(app: Flask) -> None:
    # Imported here, not at the top: gunicorn.conf.py imports this package before the metrics directory exists.
    from . import metrics

    pool_observed = [float("-inf"), -1]  # when, and the pool's size then
    # Metric children by (method, route, status): label lookups once, not on every request. Bounded: routes are the
    # app's rules (or "unmatched"), and methods and statuses are few.
    children: dict[tuple[str, str, int], tuple] = {}

    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def record(response):
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule else "unmatched"
        key = (request.method, route, response.status_code)
        pair = children.get(key)
        if pair is None:
            pair = (metrics.REQUESTS.labels(key[0], route, str(key[2])), metrics.LATENCY.labels(key[0], route))
            if len(children) < 1000:
                children[key] = pair
        pair[0].inc()
        pair[1].observe(elapsed)
        # Pool gauges: refreshed at most once a second per worker, not on every request, and whenever the number of
        # connections changed (connections open on demand: a worker's first requests may need none).
        size = app.extensions["database"].pool.size
        if g.started - pool_observed[0] > 1.0 or size != pool_observed[1]:
            pool_observed[:] = [g.started, size]
            metrics.observe_pool(app.extensions["database"].stats())
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
                "request_id": g.get("request_id"),
                "remote": request.access_route[0] if request.access_route else request.remote_addr,
            },
        )
        return response
