"""gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py wsgi:app`).

One worker process with threads (Flask-SocketIO in threading mode with simple-websocket:
every open websocket holds a thread, so size TREMPLIN_THREADS for the expected sockets
plus requests: at 100, an evening of 120 members left no thread to answer pages; the
database pool follows it). When JOBS_EMBEDDED is on (the default
without REDIS_URL) the master also starts the job runner, `flask jobs run`, as a child
process beside the worker (restarted if it dies, stopped with the server), so the worker
only serves requests; in scale-out it is its own process (`flask --app wsgi jobs run`).
"""

import os

import gunicorn.http.wsgi

bind = os.environ.get("TREMPLIN_BIND", "127.0.0.1:5000")
worker_class = "gthread"
workers = 1  # Socket.IO without a message queue needs one process; scale out with REDIS_URL
threads = int(os.environ.get("TREMPLIN_THREADS", "250"))
timeout = 60
graceful_timeout = 10
# An idle keep-alive connection is closed after `keepalive` seconds; a request the client
# sends on it at that moment fails ("connection closed", seen on an RSVP in the evening
# benchmark, where members pause 2 to 6 s). 75 s (nginx's default) outlasts a room's pauses;
# idle connections wait in the poller, not in threads, up to worker_connections - threads.
keepalive = 75
worker_connections = 2000
accesslog = os.environ.get("TREMPLIN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("TREMPLIN_LOG_LEVEL", "info")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# No version in the `Server:` header of answers.
gunicorn.http.wsgi.SERVER = "Tremplin"


_runner = {"process": None}


def when_ready(server):
    # In the master, once it listens: the job runner beside the worker (`make run`).
    from tremplin.platform.config import jobs_embedded
    from tremplin.platform.jobs_process import RunnerProcess

    if jobs_embedded():
        _runner["process"] = RunnerProcess(server.app.app_uri, server.log).start()


def on_exit(server):
    if _runner["process"] is not None:
        _runner["process"].stop()
        _runner["process"] = None


def post_worker_init(worker):
    import gc

    # The app's long-lived objects (modules, models, templates) out of the collector's
    # sight: full collections under load no longer walk them again and again.
    gc.freeze()
