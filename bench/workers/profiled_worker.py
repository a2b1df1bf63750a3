"""The image's gevent worker with a CPU sampler, for the benchmark's breakdown of where a worker's CPU goes.

Mounted into the container by bench/run.py (never part of the image). Every millisecond of CPU time (ITIMER_PROF) the
interrupted Python stack is put in one group, by the innermost frame that belongs to a known library or to the app;
at exit the counts go to $PROFILE_DIR/profile-<pid>.json. It runs the same way in the image before and after a change.
"""
from __future__ import annotations

import collections
import json
import os
import signal

from actors.worker import DrainingGeventWorker

# (path fragment, group): first match wins, innermost frame first; stdlib frames outside these pass to their caller.
GROUPS = (
    ("/psycopg", "database (psycopg)"),
    ("/actors/jsonprovider", "JSON encoding"),
    ("/flask/json", "JSON encoding"),
    ("/json/", "JSON encoding"),
    ("/orjson", "JSON encoding"),
    ("/logging/", "logging"),
    ("/actors/logs", "logging"),
    ("/prometheus_client/", "metrics"),
    ("/actors/metrics", "metrics"),
    ("/gunicorn/", "server (gunicorn, gevent)"),
    ("/gevent/", "server (gunicorn, gevent)"),
    ("/actors/worker", "server (gunicorn, gevent)"),
    ("/flask/", "Flask/Werkzeug"),
    ("/werkzeug/", "Flask/Werkzeug"),
    ("/jinja2/", "Flask/Werkzeug"),
    ("/markupsafe/", "Flask/Werkzeug"),
    ("/actors/", "app code"),
)


def group_of(frame) -> str:
    while frame is not None:
        path = frame.f_code.co_filename
        for fragment, group in GROUPS:
            if fragment in path:
                return group
        frame = frame.f_back
    return "other"


class ProfiledGeventWorker(DrainingGeventWorker):
    def run(self) -> None:
        counts: collections.Counter[str] = collections.Counter()
        signal.signal(signal.SIGPROF, lambda signum, frame: counts.update((group_of(frame),)))
        signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
        try:
            super().run()
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            path = os.path.join(os.environ.get("PROFILE_DIR", "/tmp"), f"profile-{os.getpid()}.json")
            with open(path, "w") as f:
                json.dump(dict(counts), f)
