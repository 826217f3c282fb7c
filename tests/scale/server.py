"""One app process for the scale tests: `python -m tests.scale.server PORT`.

Configuration comes from the environment like in production (DATABASE_URL, REDIS_URL,
SECRET_KEY, STORAGE_S3_*, TREMPLIN_INSTANCE_PATH, TREMPLIN_BASE_URL — this host's
address by default); the threaded Werkzeug server speaks
HTTP and websockets like gunicorn gthread. With TREMPLIN_SCALE_JOBS=1 the process also
runs a job consumer (threads) and registers the scale tests' periodic probe.
"""

from __future__ import annotations

import os
import sys

from werkzeug.serving import make_server

from tremplin import create_app


def main() -> None:
    port = int(sys.argv[1])
    # Each host's own address, as its deployment would say it: Socket.IO accepts
    # connections from the site's own origin (SOCKETIO_CORS_ORIGINS empty).
    os.environ.setdefault("TREMPLIN_BASE_URL", f"http://127.0.0.1:{port}")
    if os.environ.get("TREMPLIN_SCALE_JOBS") == "1":
        import tests.scale.probe  # noqa: F401  (registers the periodic job)
    app = create_app()
    if os.environ.get("TREMPLIN_SCALE_JOBS") == "1":
        from tremplin.platform import jobs

        jobs.start_embedded(app)
    server = make_server("127.0.0.1", port, app, threaded=True)
    print(f"listening on {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
