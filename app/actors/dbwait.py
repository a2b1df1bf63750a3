"""psycopg's wait function for gevent workers: the hub's own readiness waits, without psycopg's poll object and timer.

Under gevent, psycopg's `wait_poll` makes a gevent poll object and a timer for every wait, for an interval that only
lets a blocking program see Ctrl-C; here each wait is one watcher on the hub. Imported by the worker after gevent has
patched the standard library, like psycopg itself. It speaks psycopg's wait protocol (psycopg.waiting): the generator
yields what to wait for and is sent what is ready.
"""
from __future__ import annotations

from gevent.select import select
from gevent.socket import wait_read, wait_write
from psycopg.waiting import READY_R, READY_W, WAIT_R, WAIT_W


def wait(gen, fileno: int, interval: float | None = None):
    try:
        waiting_for = next(gen)
        while True:
            if waiting_for == WAIT_R:
                wait_read(fileno)
                ready = READY_R
            elif waiting_for == WAIT_W:
                wait_write(fileno)
                ready = READY_W
            else:  # both (a large query that fills the send buffer): rare, so gevent's select will do
                readable, writable, _ = select([fileno], [fileno], [])
                ready = (READY_R if readable else 0) | (READY_W if writable else 0)
            waiting_for = gen.send(ready)
    except StopIteration as done:
        return done.value
