"""The connection pool: at most `max_size` connections per process, each opened by the request that needs it."""
from __future__ import annotations

import collections
import select
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Protocol

import psycopg
from psycopg.pq import TransactionStatus

try:  # a zero-timeout poll never blocks: the plain one serves under gevent too, without a hub round trip
    from gevent.monkey import get_original

    _select = get_original("select", "select")
except ImportError:
    _select = select.select


class Connection(Protocol):
    """What the pool needs of a connection (a psycopg.Connection; the unit tests pass stand-ins)."""

    closed: bool
    broken: bool
    info: object

    def fileno(self) -> int:
        ...

    def close(self) -> None:
        ...


class PoolTimeout(psycopg.OperationalError):
    """Every connection stayed busy for longer than the caller would wait."""


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

    def __init__(self, connect: Callable[[], Connection], max_size: int, timeout: float, max_lifetime: float):
        self.connect = connect
        self.max_size, self.timeout, self.max_lifetime = max_size, timeout, max_lifetime
        self._idle: list[Connection] = []  # most recently used last
        self._born: dict[Connection, float] = {}  # every open connection, idle or lent, and when it opened
        self._queue: collections.deque[_Waiter] = collections.deque()  # requests waiting for a connection, in order
        self._closed = False
        self._lock = threading.Lock()

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Connection]:
        conn = self._checkout(self.timeout if timeout is None else timeout)
        try:
            yield conn
        finally:
            self._checkin(conn)

    def _checkout(self, timeout: float) -> Connection:
        deadline = time.monotonic() + timeout
        stale: list[Connection] = []
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

    def _connect_in(self, stale: list[Connection]) -> Connection:
        """Open a connection in a slot this request holds (called with the lock held; connects without it)."""
        placeholder = object()
        self._born[placeholder] = time.monotonic()
        self._lock.release()
        try:
            for conn in stale:
                conn.close()
            stale.clear()
            conn = self.connect()
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

    def _usable(self, conn: Connection) -> bool:
        if conn.closed or conn.broken or time.monotonic() - self._born[conn] > self.max_lifetime:
            return False
        readable, _, _ = _select([conn.fileno()], [], [], 0)
        return not readable

    def _checkin(self, conn: Connection) -> None:
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
