"""A periodic job for the multi-host test: every minute, the host that runs it writes one
row (host name, minute) into `scale_probe`. Run once per schedule across hosts means one
row per minute, whichever host ran it."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import text

from tremplin.platform.extensions import db
from tremplin.platform.jobs import periodic


@periodic(minute="*")
def probe() -> None:
    db.session.execute(
        text("INSERT INTO scale_probe (host, slot) VALUES (:host, :slot)"),
        {
            "host": os.environ.get("TREMPLIN_HOST_NAME", "?"),
            "slot": datetime.now(UTC).strftime("%Y%m%d%H%M"),
        },
    )
