"""Flask's JSON provider on orjson (Debian's python3-orjson): the API's bodies are encoded in C, straight to bytes."""
from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider, JSONProvider


class OrjsonProvider(JSONProvider):
    """Keys keep their insertion order (the order the API documents); output is compact UTF-8."""

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, default=DefaultJSONProvider.default).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(orjson.dumps(obj, default=DefaultJSONProvider.default), mimetype=self.mimetype)


def dumps_line(obj: Any) -> str:
    """One log line's JSON (anything orjson cannot encode becomes its str())."""
    return orjson.dumps(obj, default=str).decode()
