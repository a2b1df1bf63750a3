"""gunicorn settings for both platforms: $PORT, $WEB_CONCURRENCY, JSON logs, read-only root filesystem."""
import os
import shutil
import tempfile

# Must be set before anything imports prometheus_client: each gunicorn gets a directory of its own under /tmp.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"actors-metrics-{os.getpid()}"))

# Imported here, in the master, once: importing it inside child_exit (which runs from a SIGCHLD handler) could
# re-enter a half-done import when two workers exit together.
from prometheus_client import multiprocess  # noqa: E402

from actors.logs import GUNICORN_LOGCONFIG  # noqa: E402
from actors.settings import load_or_exit  # noqa: E402

settings = load_or_exit()

wsgi_app = "actors.wsgi:app"
bind = f"0.0.0.0:{settings.port}"
workers = settings.web_concurrency
# gevent: one greenlet per connection, so slow clients cost a greenlet each, never a worker; keep-alive. The app can
# count on no buffering proxy in front (a LoadBalancer Service, in-cluster callers, Heroku's router streams).
worker_class = "actors.worker.DrainingGeventWorker"
# Connections (greenlets) per worker: slow or idle clients beyond this wait in the backlog.
worker_connections = 1000
# Seconds an idle keep-alive connection stays open. For gevent workers it also bounds how long a client may take to
# send a request's line and headers, so a slowloris connection is closed after it.
keepalive = 5
# Heroku SIGKILLs 30 s after SIGTERM; Kubernetes after terminationGracePeriodSeconds (30 by default).
graceful_timeout = 20
timeout = 30
# Heroku's router and Kubernetes ingress controllers are the proxies in front: trust their X-Forwarded-* headers.
forwarded_allow_ips = "*"
# Heartbeat files go to a tmpfs; the root filesystem may be read-only.
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
accesslog = None
logconfig_dict = GUNICORN_LOGCONFIG
logger_class = "actors.logs.GunicornLogger"
# Refuse oversized request lines and headers early (the worker answers 414/431 itself, in JSON). The line limit is
# gunicorn's largest, so that any query the API could accept (a 5,000-character one too) reaches the app, which names
# the parameter at fault.
limit_request_line = 8190
limit_request_field_size = 8190


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    # Close the pool so no held connection keeps the worker alive past the grace period.
    app = getattr(worker, "wsgi", None)
    database = getattr(app, "extensions", {}).get("database") if app is not None else None
    if database is not None:
        database.close()
