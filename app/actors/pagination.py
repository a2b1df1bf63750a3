"""Query parameters of the actor listing, checked, and the opaque keyset cursor."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Mapping

import orjson

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 100
MAX_CURSOR_LENGTH = 512
MAX_ID = 2**63 - 1


class BadRequest(ValueError):
    """A query parameter is malformed; the message names it and says what is allowed."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Cursor:
    """A position in the (sort_name, id) order: the row it names is excluded from the next page."""

    sort_name: str
    id: int

    def encode(self) -> str:
        # Compact UTF-8 JSON, as json.dumps(..., ensure_ascii=False, separators=(",", ":")) writes it, in C.
        raw = orjson.dumps([self.sort_name, self.id])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, parameter: str, token: str) -> "Cursor":
        if len(token) > MAX_CURSOR_LENGTH:
            raise BadRequest(parameter, f"cursor is longer than {MAX_CURSOR_LENGTH} characters")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            value = json.loads(raw.decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise BadRequest(parameter, "not a cursor returned by this API") from None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not isinstance(value[0], str)
            or type(value[1]) is not int
            or not 0 < value[1] <= MAX_ID
            or _has_control(value[0])
        ):
            raise BadRequest(parameter, "not a cursor returned by this API")
        return cls(value[0], value[1])


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None
    before: Cursor | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "PageRequest":
        limit = _limit(args.get("limit"))
        after = args.get("after") or None
        before = args.get("before") or None
        if after and before:
            raise BadRequest("after", "give either after or before, not both")
        return cls(
            limit=limit,
            after=Cursor.decode("after", after) if after else None,
            before=Cursor.decode("before", before) if before else None,
            q=_query(args.get("q")),
        )


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or len(raw) > 3 or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _query(raw: str | None) -> str | None:
    if raw is None:
        return None
    if len(raw) > MAX_QUERY_LENGTH:
        raise BadRequest("q", f"must be at most {MAX_QUERY_LENGTH} characters")
    if _has_control(raw):
        raise BadRequest("q", "must not contain control characters")
    # Lower-cased by the database, the same way as the indexed sort_name column.
    value = raw.strip()
    return value or None


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in text)
