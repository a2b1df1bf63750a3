"""Views translate HTTP to queries and back; nothing else lives here."""
from __future__ import annotations

import logging
from typing import Callable

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import BaseConverter

from . import metrics
from .db import UNAVAILABLE, Database
from .pagination import MAX_ID, BadRequest, PageRequest
from .settings import READY_TIMEOUT_SECONDS

bp = Blueprint("actors", __name__)
log = logging.getLogger("actors")
RETRY_AFTER_SECONDS = "5"
PAGE_PARAMETERS = ("limit", "after", "before", "q")


class MissingResource(NotFound):
    """A path names no resource: a malformed or unknown value of one of its parameters (404 naming it)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class IdConverter(BaseConverter):
    """`<id(name="id"):actor_id>`: a whole number from 1 to MAX_ID; anything else in that segment is a JSON 404 that
    names the parameter, not Werkzeug's generic one (a converter that only declined would leave the URL unmatched)."""

    regex = r"[^/]+"

    def __init__(self, url_map, name: str = "id"):
        super().__init__(url_map)
        self.name = name

    def to_python(self, value: str) -> int:
        if not (value.isascii() and value.isdigit() and len(value) <= 19 and 0 < int(value) <= MAX_ID):
            shown = value if len(value) <= 40 else value[:40] + "…"
            raise MissingResource(self.name, f"must be a whole number from 1 to {MAX_ID} (got {shown!r})")
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


def query_parameters(*names: str) -> Callable:
    """Declares the query parameters a view takes: any other is refused with a 400 naming it."""

    def declare(view: Callable) -> Callable:
        view.query_parameters = frozenset(names)
        return view

    return declare


def _db() -> Database:
    return current_app.extensions["database"]


@bp.get("/")
@query_parameters(*PAGE_PARAMETERS)
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


@bp.get('/actors/<id(name="id"):actor_id>')
@query_parameters()
def actor_page(actor_id: int):
    return render_template("actor.html", actor=_actor(actor_id))


@bp.get("/api/actors")
@query_parameters(*PAGE_PARAMETERS)
def list_actors():
    page = _db().page(PageRequest.from_args(request.args))
    return jsonify(
        actors=page.actors,
        next=page.next.encode() if page.next else None,
        prev=page.prev.encode() if page.prev else None,
    )


@bp.get('/api/actors/<id(name="id"):actor_id>')
@query_parameters()
def get_actor(actor_id: int):
    return jsonify(_actor(actor_id))


def _actor(actor_id: int) -> dict:
    actor = _db().actor(actor_id)
    if actor is None:
        raise MissingResource("id", f"no actor with id {actor_id}")
    return actor


@bp.get("/healthz")
def healthz():
    # Liveness: the process answers. It never touches the database, so an outage does not restart pods.
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        _db().ping(timeout=READY_TIMEOUT_SECONDS)
    except UNAVAILABLE:
        return _unavailable("database unreachable")
    return jsonify(status="ready")


def check_query_parameters() -> None:
    """Every route: a parameter given twice is refused (which one would count is a guess); a view that declares its
    parameters refuses any other. Both name the parameter."""
    if request.routing_exception is not None or not request.args:
        return
    for name, values in request.args.lists():
        if len(values) > 1:
            raise BadRequest(name, f"given {len(values)} times; give it once")
    allowed = getattr(current_app.view_functions.get(request.endpoint), "query_parameters", None)
    if allowed is not None:
        for name in request.args:
            if name not in allowed:
                takes = ", ".join(sorted(allowed)) if allowed else "no parameters"
                shown = name if len(name) <= 40 else name[:40] + "…"
                raise BadRequest(shown, f"unknown parameter; this address takes {takes}")


def _wants_html() -> bool:
    path = request.path
    if path == "/" or path.startswith("/actors/"):
        return True
    if path.startswith("/api/"):
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


def init_app(app: Flask) -> None:
    """The routes, the parameter rules, and errors as the API's JSON (HTML on the pages)."""
    app.url_map.converters["id"] = IdConverter
    app.register_blueprint(bp)
    app.before_request(check_query_parameters)

    @app.errorhandler(BadRequest)
    def bad_parameter(exc: BadRequest):
        return _error(400, str(exc), parameter=exc.parameter)

    @app.errorhandler(MissingResource)
    def missing_resource(exc: MissingResource):
        return _error(404, exc.description, parameter=exc.parameter)

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
