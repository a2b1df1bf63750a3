"""The actors app: an HTML page and a JSON API listing actors from PostgreSQL."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from . import logs
from .settings import Settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """App factory. `config` may hold SETTINGS (a Settings) and Flask options; otherwise the environment is read."""
    config = dict(config or {})
    settings: Settings = config.pop("SETTINGS", None) or Settings.from_env()

    app = Flask(__name__)
    app.config.update(SETTINGS=settings, **config)
    # Imported here, not at the top: gunicorn.conf.py imports this package in the arbiter, and psycopg must first be
    # imported in a worker, after gevent has patched the standard library (see worker.py). The metrics module must
    # wait until the multiprocess directory is set.
    from . import metrics, views
    from .db import Database
    from .jsonprovider import OrjsonProvider

    # Keys in the order the API documents them ({"actors", "next", "prev"}; id, name, ... per actor), compact.
    app.json = OrjsonProvider(app)
    # Connections are opened by the first requests that need them: the app starts (and /healthz answers) while the
    # database is still unreachable.
    database = app.extensions["database"] = Database(settings)

    logs.init_app(app, settings.log_level)
    metrics.init_app(app, database)
    views.init_app(app)
    return app
