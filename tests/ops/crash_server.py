"""The embedded default, as `make run` serves it, for the crash test:
`python -m tests.ops.crash_server PORT INSTANCE_DIR`.

One process: the threaded web server, the embedded job runner (Huey on SQLite under the
instance folder) and a ledger writer thread. Each registration queues a `welcome` job
after its commit; the job records its run in `crash_job_runs`. The ledger writer posts
two-leg movements and prints `LEDGER <key>` once each is committed.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from sqlalchemy import event, text
from werkzeug.serving import make_server

from tremplin import create_app
from tremplin.platform import jobs
from tremplin.platform.extensions import db
from tremplin.platform.models import User


@jobs.job(retries=2, retry_delay=1)
def welcome(user_id: int) -> None:
    db.session.execute(text("INSERT INTO crash_job_runs (user_id) VALUES (:u)"), {"u": user_id})


@event.listens_for(User, "after_insert")
def _queue_welcome(mapper, connection, user) -> None:
    welcome.after_commit(user.id)


def ledger_writer(app, stop: threading.Event) -> None:
    from tremplin.funding import ledger

    n = 0
    while not stop.is_set():
        n += 1
        key = f"crash:{time.time_ns()}:{n}"
        with app.app_context():
            ledger.transfer(
                key,
                "transfer",
                ledger.AccountRef("crash", "a"),
                ledger.AccountRef("crash", str(n % 5)),
                100 + n,
            )
            db.session.commit()
        print(f"LEDGER {key}", flush=True)
        time.sleep(0.005)


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    app = create_app(
        {
            "SECRET_KEY": "crash-test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'tremplin.sqlite3'}",
            "JOBS_MODE": "queue",
            "JOBS_SQLITE_PATH": str(folder / "jobs.sqlite3"),
            "UPLOAD_DIR": str(folder / "uploads"),
            "SEARCH_INDEX_DIR": str(folder / "search-index"),
            "MAIL_OUTBOX_DIR": str(folder / "outbox"),
            "MAIL_SERVER": None,
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_REGISTER": "100000 per minute",
            "BACKUP_DIR": str(folder / "backups"),
        }
    )
    with app.app_context():
        db.create_all()
        db.session.execute(
            text("CREATE TABLE IF NOT EXISTS crash_job_runs (user_id INTEGER NOT NULL)")
        )
        db.session.commit()
    jobs.start_embedded(app)
    stop = threading.Event()
    threading.Thread(target=ledger_writer, args=(app, stop), daemon=True).start()
    server = make_server("127.0.0.1", port, app, threaded=True)
    print(f"listening on {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
