"""The queries the views run, over the connection pool (pool.py). Every statement text is fixed; values are parameters."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import psycopg

from .pagination import Cursor, PageRequest
from .pool import ConnectionPool
from .settings import Settings

PUBLIC_COLUMNS = ("id", "name", "birth_year", "country", "known_for")
COLUMNS = ", ".join(PUBLIC_COLUMNS) + ", sort_name"

# Keyset pagination over the (sort_name, id) index: a page costs the same at any depth and table size.
# Each variant is complete text, so the server can prepare and reuse a plan for it.
_WHERE_Q = "sort_name >= lower(%(q)s) AND sort_name < lower(%(q)s) || chr(1114111)"
_WHERE_AFTER = "(sort_name, id) > (%(key)s, %(id)s)"
_WHERE_BEFORE = "(sort_name, id) < (%(key)s, %(id)s)"
_ACTOR_SQL = f"SELECT {COLUMNS} FROM actors WHERE id = %(id)s"


@lru_cache(maxsize=16)
def _list_sql(conditions: tuple[str, ...], descending: bool) -> str:
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = "sort_name DESC, id DESC" if descending else "sort_name, id"
    return f"SELECT {COLUMNS} FROM actors{where} ORDER BY {order} LIMIT %(limit)s"


# Database errors that mean "not reachable right now" (refused, dropped, timed out, no free connection): the views
# answer 503 and the pool heals by itself.
UNAVAILABLE = (psycopg.OperationalError,)


@dataclass(frozen=True)
class Page:
    actors: list[dict[str, Any]]
    next: Cursor | None
    prev: Cursor | None


class Database:
    def __init__(self, settings: Settings):
        self.settings = settings
        # One cursor per connection, reused by each request that borrows it: a new cursor per query set up its
        # adapters again, about half of a query's client CPU. A connection serves one request at a time.
        self._cursors: dict[psycopg.Connection, psycopg.Cursor] = {}
        self.pool = ConnectionPool(
            # Autocommit: each read is one round trip, not BEGIN + SELECT + COMMIT. Rows come as tuples and become
            # the API's dicts once (see _public). prepare_threshold=0: every statement is prepared on its first use,
            # so the server parses and plans each of the few fixed texts once per connection.
            partial(
                psycopg.Connection.connect,
                settings.database_url,
                **settings.conninfo_kwargs,
                autocommit=True,
                prepare_threshold=0,
            ),
            max_size=settings.db_pool_max,
            timeout=settings.db_wait_seconds,
            # Reconnect now and then: credentials rotate (Heroku), and new primaries or poolers spread the load.
            max_lifetime=3600,
        )

    def _cursor(self, conn: psycopg.Connection) -> psycopg.Cursor:
        cursor = self._cursors.get(conn)
        if cursor is None:
            # Forget the cursors of connections the pool has closed since (a cursor holds its connection).
            for gone in [c for c in self._cursors if c.closed]:
                del self._cursors[gone]
            cursor = self._cursors[conn] = conn.cursor()
        return cursor

    def close(self) -> None:
        self.pool.close()

    def stats(self) -> dict[str, int]:
        return self.pool.stats()

    def ping(self, timeout: float) -> None:
        with self.pool.connection(timeout=timeout) as conn:
            self._cursor(conn).execute("SELECT 1")

    def actor(self, actor_id: int) -> dict[str, Any] | None:
        with self.pool.connection() as conn:
            row = self._cursor(conn).execute(_ACTOR_SQL, {"id": actor_id}).fetchone()
        return _public(row) if row else None

    def page(self, req: PageRequest) -> Page:
        params: dict[str, Any] = {"limit": req.limit + 1, "q": req.q}
        conditions = (_WHERE_Q,) if req.q else ()
        cursor = req.after or req.before
        if cursor:
            conditions += (_WHERE_BEFORE if req.before else _WHERE_AFTER,)
            params.update(key=cursor.sort_name, id=cursor.id)
        backwards = req.before is not None
        with self.pool.connection() as conn:
            rows = self._cursor(conn).execute(_list_sql(conditions, backwards), params).fetchall()
        more = len(rows) > req.limit
        rows = rows[: req.limit]
        if backwards:
            rows.reverse()
        first = _cursor(rows[0]) if rows else None
        last = _cursor(rows[-1]) if rows else None
        if backwards:
            return Page([_public(r) for r in rows], next=last, prev=first if more else None)
        return Page([_public(r) for r in rows], next=last if more else None, prev=first if req.after else None)


def _cursor(row: tuple) -> Cursor:
    return Cursor(row[5], row[0])


def _public(row: tuple) -> dict[str, Any]:
    return dict(zip(PUBLIC_COLUMNS, row))
