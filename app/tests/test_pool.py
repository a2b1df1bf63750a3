"""The pool alone, with stand-in connections: sizes, order, stale and broken connections, time-outs, closing.
(The database tests reach it through the app against a real PostgreSQL.)"""
import socket
import threading
import time

import pytest
from psycopg.pq import TransactionStatus

from actors.pool import ConnectionPool, PoolTimeout


class Info:
    transaction_status = TransactionStatus.IDLE


class FakeConnection:
    """A socket pair stands for the server: what the server end writes makes the connection's socket readable."""

    def __init__(self):
        self.sock, self.server = socket.socketpair()
        self.closed = self.broken = False
        self.info = Info()

    def fileno(self):
        return self.sock.fileno()

    def close(self):
        self.closed = True
        self.sock.close()
        self.server.close()


class Opener:
    def __init__(self, fail: bool = False):
        self.opened: list[FakeConnection] = []
        self.fail = fail

    def __call__(self):
        if self.fail:
            raise PoolTimeout("refused")
        conn = FakeConnection()
        self.opened.append(conn)
        return conn


def make(max_size=2, timeout=0.5, max_lifetime=3600, opener=None):
    opener = opener or Opener()
    return ConnectionPool(opener, max_size=max_size, timeout=timeout, max_lifetime=max_lifetime), opener


def test_connections_open_on_demand_and_are_reused():
    pool, opener = make()
    assert pool.size == 0
    with pool.connection() as a:
        pass
    with pool.connection() as b:
        assert b is a
    assert len(opener.opened) == 1 and pool.stats() == {"pool_size": 1, "pool_available": 1, "requests_waiting": 0}


def test_never_more_than_max_size_and_a_waiter_times_out():
    pool, opener = make(max_size=2, timeout=0.2)
    with pool.connection(), pool.connection():
        with pytest.raises(PoolTimeout, match="no database connection free"):
            with pool.connection():
                pass
        assert pool.stats()["requests_waiting"] == 0
    assert len(opener.opened) == 2


def test_a_returned_connection_goes_to_the_longest_waiting_request():
    pool, opener = make(max_size=1, timeout=5)
    served: list[int] = []

    def request(n):
        with pool.connection():
            served.append(n)

    threads = []
    with pool.connection():
        for n in range(3):
            threads.append(threading.Thread(target=request, args=(n,)))
            threads[-1].start()
            while pool.stats()["requests_waiting"] < n + 1:
                time.sleep(0.01)
    for t in threads:
        t.join(5)
    assert served == [0, 1, 2] and len(opener.opened) == 1


def test_an_idle_connection_whose_server_spoke_or_went_away_is_dropped_without_use():
    pool, opener = make()
    with pool.connection() as first:
        pass
    first.server.sendall(b"E")  # the server's goodbye (or EOF) makes an idle socket readable
    with pool.connection() as second:
        assert second is not first
    assert first.closed and pool.size == 1


def test_broken_or_mid_transaction_connections_are_not_reused():
    pool, opener = make()
    with pool.connection() as conn:
        conn.info = type("Busy", (), {"transaction_status": TransactionStatus.ACTIVE})()
    assert conn.closed and pool.size == 0
    with pool.connection() as conn:
        conn.broken = True
    with pool.connection() as fresh:
        assert fresh is not conn
    assert len(opener.opened) == 3


def test_old_connections_are_replaced():
    pool, opener = make(max_lifetime=0.05)
    with pool.connection() as old:
        pass
    time.sleep(0.1)
    with pool.connection() as new:
        assert new is not old
    assert old.closed


def test_a_failed_connect_frees_its_slot_for_a_waiting_request():
    opener = Opener(fail=True)
    pool, _ = make(max_size=1, opener=opener)
    with pytest.raises(PoolTimeout, match="refused"):
        pool.connection().__enter__()
    assert pool.size == 0
    opener.fail = False
    with pool.connection():
        assert pool.size == 1


def test_close_closes_idle_connections_and_refuses_new_requests():
    pool, opener = make()
    with pool.connection() as lent:
        with pool.connection():
            pass
        pool.close()
    assert all(c.closed for c in opener.opened)
    assert lent.closed
    with pytest.raises(PoolTimeout, match="closed"):
        pool.connection().__enter__()
