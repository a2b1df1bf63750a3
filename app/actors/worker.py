"""A gunicorn sync worker that answers what is already queued before it stops.

Stock sync and gthread workers stop accepting as soon as SIGTERM arrives, and the connections still waiting in the
listen backlog are reset when the last process holding the socket exits (gunicorn issues #2529, #3380). Here a
worker that has been told to stop first accepts and serves every connection already queued (until the backlog is
empty, for at most DRAIN_SECONDS), then exits, so no request sent before the signal fails. The bound keeps a worker
from serving a steady stream of new connections for the whole grace period.
"""
from __future__ import annotations

import errno
import time

from gunicorn.workers.sync import SyncWorker

_EMPTY = (errno.EAGAIN, errno.EWOULDBLOCK)
# A full backlog (gunicorn's default 2048) is served in well under this at this app's speed.
DRAIN_SECONDS = 5.0


class DrainingSyncWorker(SyncWorker):
    def run(self) -> None:
        super().run()
        self.drain_backlog()

    def drain_backlog(self) -> None:
        # A worker orphaned by a dead arbiter has nobody to hand the socket back to: just exit.
        if not self.is_parent_alive():
            return
        # Never past the arbiter's SIGKILL at graceful_timeout.
        deadline = time.monotonic() + min(DRAIN_SECONDS, max(self.cfg.graceful_timeout - 2, 1))
        served = 0
        for listener in self.sockets:
            listener.setblocking(False)
            while time.monotonic() < deadline:
                self.notify()
                try:
                    self.accept(listener)
                except OSError as exc:
                    if exc.errno in _EMPTY:
                        break
                    if exc.errno == errno.ECONNABORTED:
                        continue
                    raise
                served += 1
        if served:
            self.log.info("served %d queued connection(s) before stopping", served)
