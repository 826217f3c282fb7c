"""`flask funding close` in a process of its own, for the crash and concurrency tests:
python -m tests.funding.close_runner, with the app's configuration as JSON in
TREMPLIN_RUNNER_CONFIG (and CLOSE_FAULT naming the point where it dies).

The fault points are a test-only seam, as in refund_runner.py: this runner wraps the
boundary with Stripe (`payments.authorize`, `payments.capture`) and listens to the
session's commits, so that the process dies with os._exit — no cleanup, no rollback, no
finally, as on a power cut — at the named point of the charge run:

- claimed: at the commit that claims the first pledge (before any Stripe call);
- before_authorize / after_authorize: just before / just after the real authorisation;
- authorized_committed: at the commit that follows the authorisation;
- before_capture / after_capture: just before / just after the real capture;
- captured_committed: at the commit that follows the capture.

Production code carries no fault point and reads no variable for it."""

from __future__ import annotations

import json
import os
import sys

FAULT_POINTS = (
    "claimed",
    "before_authorize",
    "after_authorize",
    "authorized_committed",
    "before_capture",
    "after_capture",
    "captured_committed",
)
COMMITTED_AFTER = {"authorize": "authorized_committed", "capture": "captured_committed"}
EXIT_CODE = 17


def die() -> None:
    os._exit(EXIT_CODE)


class Faults:
    """Arms the named point; `armed_commit` makes the next commit the last one."""

    def __init__(self, point: str | None) -> None:
        if point is not None and point not in FAULT_POINTS:
            raise SystemExit(f"unknown fault point {point!r}")
        self.point = point
        self.armed_commit = False

    def wrap_stripe_call(self, real, name: str):
        def call(*args, **kwargs):
            if self.point == f"before_{name}":
                die()
            answer = real(*args, **kwargs)
            if self.point == f"after_{name}":
                die()
            if self.point == COMMITTED_AFTER[name]:
                self.armed_commit = True
            return answer

        return call

    def on_statement(self, _conn, _cursor, statement, _parameters, _context, _many) -> None:
        # the claim is the first statement that writes a pledge's claim token (the release
        # that clears it comes after)
        if self.point == "claimed" and statement.lstrip().upper().startswith("UPDATE PLEDGES"):
            if "claim_token" in statement:
                self.armed_commit = True

    def on_commit(self, session) -> None:
        # a savepoint's release (the receipt numbering's) is not the commit
        if self.armed_commit and not session.in_nested_transaction():
            die()

    def install(self, db) -> None:
        from sqlalchemy import event

        from tremplin.funding import payments

        if self.point is None:
            return
        payments.authorize = self.wrap_stripe_call(payments.authorize, "authorize")
        payments.capture = self.wrap_stripe_call(payments.capture, "capture")
        event.listen(db.engine, "before_cursor_execute", self.on_statement)
        event.listen(db.session, "after_commit", self.on_commit)


def main() -> int:
    from tremplin import create_app

    config = json.loads(os.environ["TREMPLIN_RUNNER_CONFIG"])
    app = create_app(config)
    with app.app_context():
        from tremplin.funding.cli import close_ended
        from tremplin.platform.extensions import db

        Faults(os.environ.get("CLOSE_FAULT") or None).install(db)
        result = close_ended()
        report = result["report"]
        print(
            json.dumps(
                {
                    "decided": result["decided"],
                    "charged": report.charged,
                    "skipped": report.skipped,
                    "errors": report.errors,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
