"""The connection pool and the queries the views run. Every statement text is fixed; values are parameters."""
from __future__ import annotations

import collections
import select
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import psycopg
from psycopg.pq import TransactionStatus

from .pagination import Cursor, PageRequest
from .settings import Settings

PUBLIC_COLUMNS = ("id", "name", "birth_year", "country", "known_for")
COLUMNS = ", ".join(PUBLIC_COLUMNS) + ", sort_name"

# Keyset pagination over the (sort_name, id) index: a page costs the same at any depth and table size.
# Each variant is complete text, so the server can prepare and reuse a plan for it.
_WHERE_Q = "sort_name >= lower(%(q)s) AND sort_name < lower(%(q)s) || chr(1114111)"
_WHERE_AFTER = "(sort_name, id) > (%(key)s, %(id)s)"
_WHERE_BEFORE = "(sort_name, id) < (%(key)s, %(id)s)"


def _list_sql(conditions: list[str], descending: bool) -> str:
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = "sort_name DESC, id DESC" if descending else "sort_name, id"
    return f"SELECT {COLUMNS} FROM actors{where} ORDER BY {order} LIMIT %(limit)s"


class PoolTimeout(psycopg.OperationalError):
    """Every connection stayed busy for longer than the caller would wait."""


# Database errors that mean "not reachable right now" (refused, dropped, timed out, no free connection): the views
# answer 503 and the pool heals by itself.
UNAVAILABLE = (psycopg.OperationalError,)


_SLOT = object()  # handed to a waiting request instead of a connection: room to open one


class _Waiter:
    """A request waiting for a connection: woken once, with what it was given."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.given: object = None


class ConnectionPool:
    """At most `max_size` connections per process, opened by the request that needs one.

    Why not psycopg_pool: it reconnects in the background with exponential backoff (1, 2, 4, ... s), so after an
    outage the app answered 200 again only seconds after the database did; and its checkout check costs a round trip.
    Here nothing runs in the background: a request that finds no usable idle connection connects itself, so the first
    request after the database accepts connections again is served. An idle connection whose server went away (a
    restart, a failover to a new primary at the same address) has a readable socket, the server's goodbye or EOF,
    where a healthy idle connection has nothing to read; it is dropped before use, without a round trip.
    Thread- and greenlet-safe (under gevent the lock and events are gevent's). Waiting requests are served in order,
    each woken only when a connection (or room for one) is handed to it.
    """

    def __init__(self, conninfo: str, kwargs: dict[str, Any], max_size: int, timeout: float, max_lifetime: float):
        self.conninfo, self.kwargs = conninfo, kwargs
        self.max_size, self.timeout, self.max_lifetime = max_size, timeout, max_lifetime
        self._idle: list[psycopg.Connection] = []  # most recently used last
        self._born: dict[psycopg.Connection, float] = {}  # every open connection, idle or lent, and when it opened
        self._queue: collections.deque[_Waiter] = collections.deque()  # requests waiting for a connection, in order
        self._closed = False
        self._lock = threading.Lock()

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection]:
        conn = self._checkout(self.timeout if timeout is None else timeout)
        try:
            yield conn
        finally:
            self._checkin(conn)

    def _checkout(self, timeout: float) -> psycopg.Connection:
        deadline = time.monotonic() + timeout
        stale: list[psycopg.Connection] = []
        try:
            with self._lock:
                if self._closed:
                    raise PoolTimeout("the pool is closed")
                # First come, first served: while others wait, a newcomer queues behind them (under gevent, barging
                # starved some requests for 100s of ms).
                if not self._queue:
                    while self._idle:
                        conn = self._idle.pop()
                        if self._usable(conn):
                            return conn
                        stale.append(conn)
                        del self._born[conn]
                    if len(self._born) < self.max_size:
                        return self._connect_in(stale)
                waiter = _Waiter()
                self._queue.append(waiter)
        finally:
            for conn in stale:
                conn.close()
        # Woken only when it is this request's turn: handed a connection, or a free slot to open one in.
        waiter.event.wait(max(deadline - time.monotonic(), 0))
        with self._lock:
            if waiter.given is None:
                self._queue.remove(waiter)
                raise PoolTimeout(f"no database connection free within {timeout:.1f} s")
            if waiter.given is _SLOT:
                return self._connect_in([])
            return waiter.given

    def _connect_in(self, stale: list[psycopg.Connection]) -> psycopg.Connection:
        """Open a connection in a slot this request holds (called with the lock held; connects without it)."""
        placeholder = object()
        self._born[placeholder] = time.monotonic()
        self._lock.release()
        try:
            for conn in stale:
                conn.close()
            stale.clear()
            conn = psycopg.Connection.connect(self.conninfo, **self.kwargs)
        except BaseException:
            with self._lock:
                del self._born[placeholder]
                self._hand_over(_SLOT)
            raise
        finally:
            self._lock.acquire()
        self._born[conn] = self._born.pop(placeholder)
        return conn

    def _hand_over(self, what: object) -> bool:
        """Give a connection, or a free slot, to the longest-waiting request (lock held); False if none waits."""
        if not self._queue:
            return False
        waiter = self._queue.popleft()
        waiter.given = what
        waiter.event.set()
        return True

    def _usable(self, conn: psycopg.Connection) -> bool:
        if conn.closed or conn.broken or time.monotonic() - self._born[conn] > self.max_lifetime:
            return False
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
        return not readable

    def _checkin(self, conn: psycopg.Connection) -> None:
        # A connection left mid-statement (an interrupted request) or broken is not reused.
        reuse = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE and not self._closed
        with self._lock:
            if not reuse:
                del self._born[conn]
                self._hand_over(_SLOT)
            elif not self._hand_over(conn):
                self._idle.append(conn)
        if not reuse:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            for conn in idle:
                del self._born[conn]
        for conn in idle:
            conn.close()

    @property
    def size(self) -> int:
        """Connections open or opening, idle or lent (read without the lock: a snapshot)."""
        return len(self._born)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "pool_size": len(self._born),
                "pool_available": len(self._idle),
                "requests_waiting": len(self._queue),
            }


@dataclass(frozen=True)
class Page:
    actors: list[dict[str, Any]]
    next: Cursor | None
    prev: Cursor | None


class Database:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.pool = ConnectionPool(
            settings.database_url,
            # Autocommit: each read is one round trip, not BEGIN + SELECT + COMMIT. Rows come as tuples and become
            # the API's dicts once (see _public).
            {**settings.conninfo_kwargs, "autocommit": True},
            max_size=settings.db_pool_max,
            timeout=settings.db_wait_seconds,
            # Reconnect now and then: credentials rotate (Heroku), and new primaries or poolers spread the load.
            max_lifetime=3600,
        )

    def close(self) -> None:
        self.pool.close()

    def stats(self) -> dict[str, int]:
        return self.pool.stats()

    def ping(self, timeout: float) -> None:
        with self.pool.connection(timeout=timeout) as conn:
            conn.execute("SELECT 1")

    def actor(self, actor_id: int) -> dict[str, Any] | None:
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM actors WHERE id = %(id)s", {"id": actor_id}).fetchone()
        return _public(row) if row else None

    def page(self, req: PageRequest) -> Page:
        params: dict[str, Any] = {"limit": req.limit + 1, "q": req.q}
        conditions = [_WHERE_Q] if req.q else []
        cursor = req.after or req.before
        if cursor:
            conditions.append(_WHERE_BEFORE if req.before else _WHERE_AFTER)
            params.update(key=cursor.sort_name, id=cursor.id)
        backwards = req.before is not None
        with self.pool.connection() as conn:
            rows = conn.execute(_list_sql(conditions, backwards), params).fetchall()
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
