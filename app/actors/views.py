"""Views translate HTTP to queries and back; nothing else lives here."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, NotFound

from . import metrics
from .db import UNAVAILABLE, Database
from .pagination import MAX_ID, BadRequest, PageRequest

bp = Blueprint("actors", __name__)
log = logging.getLogger("actors")
RETRY_AFTER_SECONDS = "5"


def _db() -> Database:
    return current_app.extensions["database"]


@bp.get("/")
def index():
    page_request = PageRequest.from_args(request.args)
    page = _db().page(page_request)
    return render_template(
        "index.html",
        actors=page.actors,
        q=page_request.q or "",
        limit=page_request.limit,
        next=page.next.encode() if page.next else None,
        prev=page.prev.encode() if page.prev else None,
    )


@bp.get("/api/actors")
def list_actors():
    page = _db().page(PageRequest.from_args(request.args))
    return jsonify(
        actors=page.actors,
        next=page.next.encode() if page.next else None,
        prev=page.prev.encode() if page.prev else None,
    )


@bp.get("/api/actors/<int:actor_id>")
def get_actor(actor_id: int):
    actor = _db().actor(actor_id) if 0 < actor_id <= MAX_ID else None
    if actor is None:
        raise NotFound(f"no actor with id {actor_id}")
    return jsonify(actor)


@bp.get("/healthz")
def healthz():
    # Liveness: the process answers. It never touches the database, so an outage does not restart pods.
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        _db().ping(timeout=2.0)
    except UNAVAILABLE:
        return _unavailable("database unreachable")
    return jsonify(status="ready")


@bp.get("/metrics")
def prometheus_metrics():
    body, content_type = metrics.render()
    return Response(body, content_type=content_type)


def _wants_html() -> bool:
    if request.path == "/":
        return True
    if request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _error(status: int, message: str, **extra) -> Response:
    if _wants_html():
        response = Response(render_template("error.html", status=status, message=message), status=status)
    else:
        response = jsonify(error={"status": status, "message": message, **extra})
        response.status_code = status
    return response


def _unavailable(message: str) -> Response:
    metrics.DB_UNAVAILABLE.inc()
    response = _error(503, f"{message}; try again shortly")
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_parameter(exc: BadRequest):
        return _error(400, str(exc), parameter=exc.parameter)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = _error(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    for error_class in UNAVAILABLE:

        @app.errorhandler(error_class)
        def database_unavailable(exc: Exception):
            log.warning("database unavailable", extra={"error": repr(exc), "path": request.path})
            return _unavailable("database unavailable")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error", extra={"path": request.path})
        return _error(500, "internal error")
