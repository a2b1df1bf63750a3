"""JSON log lines on stdout: one per request (the access log), and errors (with their traceback as a field)."""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import traceback

from flask import Flask, Response, g, request
from gunicorn import glogging

from .jsonprovider import dumps_line

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,200}$")
access_log = logging.getLogger("actors.access")


_second = [-1, ""]  # the last whole second formatted, and its text: formatted once a second, not per line


def _timestamp(created: float) -> str:
    whole = int(created)
    if whole != _second[0]:
        _second[:] = [whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))]
    return f"{_second[1]}.{int(created * 1000) % 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["error"] = repr(record.exc_info[1])
            entry["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time of the record (test capture replaces it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def configure(level: str = "info") -> None:
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_app(app: Flask, level: str = "info") -> None:
    """JSON logs for the app; a request ID (X-Request-ID, or a new one) and one access line for every request."""
    configure(level)

    @app.before_request
    def request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        # A new ID is 32 random hex digits (uuid4().hex's shape, without building a UUID object per request).
        g.request_id = incoming if _REQUEST_ID.match(incoming) else os.urandom(16).hex()

    @app.after_request
    def access(response: Response) -> Response:
        request_id = g.get("request_id", "")
        response.headers["X-Request-ID"] = request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # The line is written directly, not through a LogRecord: the same JSON as JsonFormatter's, for a fraction
        # of the CPU (the access log is the one record every request makes).
        if access_log.isEnabledFor(logging.INFO):
            now = time.time()
            entry = {
                "ts": _timestamp(now),
                "level": "info",
                "logger": "actors",
                "msg": "request",
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(g.get("elapsed", 0.0) * 1000, 2),
                "request_id": request_id,
                "remote": _remote(),
            }
            sys.stdout.write(dumps_line(entry) + "\n")
        return response


def _remote() -> str | None:
    # The first X-Forwarded-For address (the proxies in front are trusted, as in gunicorn.conf.py), else the peer.
    forwarded = request.environ.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        return forwarded.split(",", 1)[0].strip()
    return request.environ.get("REMOTE_ADDR")


class GunicornLogger(glogging.Logger):
    """gunicorn's logger without its access log: the app writes one JSON line per request itself, and gunicorn built
    every request's access-log fields (then dropped them) because a logging config is set."""

    def access(self, resp, req, environ, request_time) -> None:
        return None


# The dict gunicorn.conf.py hands to gunicorn, so the server's own lines are JSON too.
GUNICORN_LOGCONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "actors.logs.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": ["stdout"], "propagate": False},
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
}
