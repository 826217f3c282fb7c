"""One app process for the scale tests: `python -m tests.scale.server PORT`.

Configuration comes from the environment like in production (DATABASE_URL, REDIS_URL,
SECRET_KEY); the threaded Werkzeug server speaks HTTP and websockets like gunicorn gthread.
"""

from __future__ import annotations

import sys

from werkzeug.serving import make_server

from tremplin import create_app


def main() -> None:
    port = int(sys.argv[1])
    app = create_app()
    server = make_server("127.0.0.1", port, app, threaded=True)
    print(f"listening on {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
