"""gunicorn workers that answer what is already queued before they stop.

Stock workers stop accepting as soon as SIGTERM arrives, and the connections still waiting in the listen backlog are
reset when the last process holding the socket exits (gunicorn issues #2529, #3380). Here a worker that has been told
to stop first accepts and serves every connection already queued (until the backlog is empty, for at most
DRAIN_SECONDS), then exits, so no request sent before the signal fails. The bound keeps a worker from serving a steady
stream of new connections for the whole grace period.

DrainingGeventWorker is the one the image runs: one greenlet per connection, so slow clients (slowloris headers, slow
bodies) hold a greenlet each and never a whole worker, which a sync worker cannot avoid without a buffering proxy in
front. (The benchmark's sync-worker contrast lives in bench/workers/, outside the image.)

Requests gunicorn refuses itself (a malformed or oversized request line or header) are answered in the API's JSON
error format, not gunicorn's HTML page.
"""
from __future__ import annotations

import errno
import functools
import json
import os
import sys
import time

import gevent

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.ggevent import GeventWorker

# A full backlog (gunicorn's default 2048) is served in well under this at this app's speed.
DRAIN_SECONDS = 5.0
# The exit code gunicorn's arbiter reads as "the worker failed to boot": it stops instead of restarting it forever.
BOOT_ERROR = 3


class Draining:
    """The drain loop; a worker class says how to take one queued connection (`serve_queued`)."""

    def drain_deadline(self) -> float:
        # Never past the arbiter's SIGKILL at graceful_timeout.
        return time.monotonic() + min(DRAIN_SECONDS, max(self.cfg.graceful_timeout - 2, 1))

    def drain_backlog(self, deadline: float) -> None:
        # A worker orphaned by a dead arbiter has nobody to hand the socket back to: just exit.
        if self.ppid != os.getppid():
            return
        served = 0
        for index in range(len(self.sockets)):
            while time.monotonic() < deadline:
                self.notify()
                if not self.serve_queued(index):
                    break
                served += 1
        if served:
            self.log.info("served %d queued connection(s) before stopping", served)

    def serve_queued(self, index: int) -> bool:
        """Take one connection from listener `index` without waiting; False when none is queued."""
        raise NotImplementedError


class DrainingGeventWorker(Draining, GeventWorker):
    """gunicorn's gevent worker (gunicorn's own HTTP parser, keep-alive) with the drain on SIGTERM.

    psycopg picks its wait function when it is first imported: it must be imported after gevent has patched the
    standard library, or every database wait would block the whole worker. The worker checks this at start.
    """

    def init_process(self) -> None:
        # gunicorn writes its own refusals through util.write_error (HTML): in this process, they are JSON.
        util.write_error = write_json_error
        # wsgi.create makes each request's response from this module-level name.
        wsgi.Response = OneSendResponse
        # Every response's Date header comes from util.http_date.
        util.http_date = _http_date_once_a_second
        if "psycopg" in sys.modules:
            # The arbiter imported it (a module imported from gunicorn.conf.py): refuse rather than serve blocking.
            self.log.error("psycopg was imported before gevent patched the standard library; refusing to start")
            sys.exit(BOOT_ERROR)
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        import psycopg.waiting

        if getattr(psycopg.waiting, "wait_c", None) is psycopg.waiting.wait:
            self.log.error("psycopg waits with wait_c, which blocks gevent's hub; refusing to start")
            sys.exit(BOOT_ERROR)
        from . import dbwait

        psycopg.waiting.wait = dbwait.wait  # psycopg's connections call it through the module, at each wait

    def run(self) -> None:
        import gevent
        from gevent.pool import Pool
        from gevent.server import StreamServer

        self.servers = []
        for listener in self.sockets:
            handle = functools.partial(self.handle, listener)
            server = StreamServer(listener, handle=handle, spawn=Pool(self.worker_connections))
            if self.cfg.workers > 1:
                server.max_accept = 1  # leave the rest of a burst to the other workers
            server.start()
            self.servers.append(server)
        while self.alive:
            self.notify()
            gevent.sleep(0.5)

        deadline = self.drain_deadline()
        for server in self.servers:
            server.stop_accepting()
        self.drain_backlog(deadline)
        # Let what is in flight finish (keep-alive connections close after their current response once the worker is
        # no longer alive; idle ones time out after `keepalive` seconds), bounded by the grace period.
        # The listeners stay open until then: a handler asks its listener for its address when it starts.
        finish_by = time.monotonic() + max(self.cfg.graceful_timeout - 1, 1)
        for server in self.servers:
            server.pool.join(timeout=max(finish_by - time.monotonic(), 0))
        busy = sum(len(server.pool) for server in self.servers)
        if busy:
            self.log.warning("stopping with %d connection(s) still open after the grace period", busy)
            for server in self.servers:
                server.pool.kill(timeout=1)
        for server in self.servers:
            server.close()

    def timeout_ctx(self) -> "_KeepaliveTimeout":
        # gunicorn makes a new gevent.Timeout (a new libev timer) for every request on a keep-alive connection; one
        # per connection, restarted for each request, bounds the wait the same way.
        current = gevent.getcurrent()
        timeout = getattr(current, "keepalive_timeout", None)
        if timeout is None:
            timeout = current.keepalive_timeout = _KeepaliveTimeout(self.cfg.keepalive)
        return timeout

    def handle_error(self, req, client, addr, exc) -> None:
        # The limits' own statuses and a message that says what to shorten (gunicorn answers 400 for both).
        if isinstance(exc, LimitRequestLine):
            self.log.warning("request line too long from %s: %s", (addr or ("",))[0], exc)
            write_json_error(
                client,
                414,
                "URI Too Long",
                f"the request line is longer than {self.cfg.limit_request_line} bytes: shorten the query",
            )
            return
        if isinstance(exc, LimitRequestHeaders):
            self.log.warning("request headers too large from %s: %s", (addr or ("",))[0], exc)
            write_json_error(client, 431, "Request Header Fields Too Large", f"request headers too large: {exc}")
            return
        super().handle_error(req, client, addr, exc)

    def serve_queued(self, index: int) -> bool:
        server = self.servers[index]
        queued = server.do_read()  # None when nothing is waiting (the listener is non-blocking under gevent)
        if not queued:
            return False
        server.do_handle(*queued)
        return True


_formatted_date = [-1, ""]  # the second last formatted, and its Date header text
_http_date = util.http_date


def _http_date_once_a_second(timestamp: float | None = None) -> str:
    """gunicorn's Date header text (RFC 7231, whole seconds), formatted once a second rather than per response."""
    if timestamp is not None:
        return _http_date(timestamp)
    now = int(time.time())
    if now != _formatted_date[0]:
        _formatted_date[:] = [now, _http_date(now)]
    return _formatted_date[1]


class OneSendResponse(wsgi.Response):
    """gunicorn's response, with the headers and the first piece of the body in one send (gunicorn sends them apart:
    two system calls, and two trips through gevent's socket, per response)."""

    def write(self, arg: bytes) -> None:
        if self.headers_sent or self.chunked or not isinstance(arg, bytes):
            return super().write(arg)
        if self.response_length is not None and len(arg) > self.response_length:
            return super().write(arg)  # gunicorn trims what exceeds Content-Length
        lines = self.default_headers()
        lines.extend(["%s: %s\r\n" % (k, v) for k, v in self.headers])
        head = util.to_bytestring("%s\r\n" % "".join(lines), "latin-1")
        self.headers_sent = True
        self.sent += len(arg)
        util.write(self.sock, head + arg)


class _KeepaliveTimeout:
    """A context that gives the greenlet `seconds` to send a request's line and headers, reusable (gevent.Timeout's
    own context closes its timer on exit). If the time runs out, the block ends quietly, as gunicorn's does."""

    __slots__ = ("timeout",)

    def __init__(self, seconds: float):
        self.timeout = gevent.Timeout(seconds, False)

    def __enter__(self) -> "_KeepaliveTimeout":
        self.timeout.start()
        return self

    def __exit__(self, typ, value, tb) -> bool:
        self.timeout.cancel()
        return value is self.timeout


def write_json_error(sock, status: int, reason: str, message: str) -> None:
    """gunicorn's error answer (util.write_error's signature), as the API's JSON error; the connection then closes."""
    body = json.dumps({"error": {"status": status, "message": message or reason}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)
