"""A team's card refund in a process of its own, for the crash tests:
python -m tests.funding.refund_runner <refund|settle>, with the app's configuration as JSON
in TREMPLIN_RUNNER_CONFIG. `refund` asks for REFUND_CENTS on pledge REFUND_PLEDGE by member
REFUND_BY, as the refund view does (reserve and commit, then settle); `settle` is the rerun
(`flask funding refunds`).

The fault points are a test-only seam: this runner wraps the boundary with Stripe
(`payments.refund`) so that the process dies with os._exit just before or just after the
real call, when REFUND_FAULT says so. Production code carries no fault point."""

from __future__ import annotations

import json
import os
import sys

FAULT_POINTS = ("before_refund_call", "after_refund_call")


def _with_fault(real, point: str | None):
    def refund(*args, **kwargs):
        if point == "before_refund_call":
            os._exit(17)
        answer = real(*args, **kwargs)
        if point == "after_refund_call":
            os._exit(17)
        return answer

    return refund


def main(step: str) -> int:
    from tremplin import create_app
    from tremplin.funding import payments, refunds
    from tremplin.funding.models import Pledge
    from tremplin.platform.extensions import db
    from tremplin.platform.models import User

    payments.refund = _with_fault(payments.refund, os.environ.get("REFUND_FAULT"))
    app = create_app(json.loads(os.environ["TREMPLIN_RUNNER_CONFIG"]))
    with app.app_context():
        if step == "refund":
            pledge = db.session.get(Pledge, int(os.environ["REFUND_PLEDGE"]))
            by = db.session.get(User, int(os.environ["REFUND_BY"]))
            row = refunds.refund(pledge, by, amount_cents=int(os.environ["REFUND_CENTS"]))
            db.session.commit()
            print(json.dumps({"refund": row.id, "status": refunds.settle(row.id)}))
        else:
            print(json.dumps({str(k): v for k, v in refunds.settle_pending().items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
