"""gunicorn's sync worker with the image's drain on SIGTERM: the one-request-per-process contrast the benchmark runs.

Not in the image (the image serves with gevent only); bench/run.py mounts this folder into the container.
"""
from __future__ import annotations

import errno

from gunicorn.workers.sync import SyncWorker

from actors.worker import Draining


class DrainingSyncWorker(Draining, SyncWorker):
    def run(self) -> None:
        super().run()
        for listener in self.sockets:
            listener.setblocking(False)
        self.drain_backlog(self.drain_deadline())

    def serve_queued(self, index: int) -> bool:
        while True:
            try:
                self.accept(self.sockets[index])
                return True
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return False
                if exc.errno != errno.ECONNABORTED:
                    raise
