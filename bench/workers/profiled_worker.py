"""The image's gevent worker with a CPU sampler, for the benchmark's breakdown of where a worker's CPU goes.

Mounted into the container by bench/run.py (never part of the image). Every millisecond of CPU time (ITIMER_PROF) the
interrupted Python stack is put in one group, by the innermost frame that belongs to a known library or to the app;
at exit the counts (by group, and the 40 busiest innermost functions) go to $PROFILE_DIR/profile-<pid>.json. It runs the same way in the image before and after a change.
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
    ("/actors/dbwait", "database (psycopg)"),
    ("/actors/jsonprovider", "JSON encoding"),
    ("/flask/json", "JSON encoding"),
    ("/json/", "JSON encoding"),
    ("/orjson", "JSON encoding"),
    ("/logging/", "logging"),
    ("/actors/logs", "logging"),
    ("/prometheus_client/", "metrics"),
    ("/actors/metrics", "metrics"),
    ("/gunicorn/", "server (gunicorn)"),
    ("/actors/worker", "server (gunicorn)"),
    ("/gevent/", "gevent"),
    ("/flask/", "Flask/Werkzeug"),
    ("/werkzeug/", "Flask/Werkzeug"),
    ("/jinja2/", "Flask/Werkzeug"),
    ("/markupsafe/", "Flask/Werkzeug"),
    ("/actors/", "app code"),
)


def group_of(frame) -> tuple[str, str]:
    """(group, the innermost function: file:line name) of an interrupted stack."""
    code = frame.f_code
    where = f"{code.co_filename.rsplit('/', 2)[-2:][-1]}:{code.co_firstlineno} {code.co_name}"
    while frame is not None:
        path = frame.f_code.co_filename
        for fragment, group in GROUPS:
            if fragment in path:
                return group, where
        frame = frame.f_back
    return "other", where


class ProfiledGeventWorker(DrainingGeventWorker):
    def run(self) -> None:
        counts: collections.Counter[tuple[str, str]] = collections.Counter()
        signal.signal(signal.SIGPROF, lambda signum, frame: counts.update((group_of(frame),)))
        signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
        try:
            super().run()
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            path = os.path.join(os.environ.get("PROFILE_DIR", "/tmp"), f"profile-{os.getpid()}.json")
            groups: collections.Counter[str] = collections.Counter()
            for (group, _), n in counts.items():
                groups[group] += n
            functions = {f"{group} | {where}": n for (group, where), n in counts.most_common(40)}
            with open(path, "w") as f:
                json.dump({"groups": dict(groups), "functions": functions}, f)
