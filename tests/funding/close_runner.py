"""`flask funding close` in a process of its own, for the crash and concurrency tests:
python -m tests.funding.close_runner, with the app's configuration as JSON in
TREMPLIN_RUNNER_CONFIG (and TREMPLIN_FUNDING_FAULT naming the point where it dies)."""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    from tremplin import create_app

    config = json.loads(os.environ["TREMPLIN_RUNNER_CONFIG"])
    app = create_app(config)
    with app.app_context():
        from tremplin.funding.cli import close_ended

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
