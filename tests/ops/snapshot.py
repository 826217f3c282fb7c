"""What "the same data" means for the backup, upgrade and crash tests: every table's rows
(counted and digested), the ledger's balances, and the figures people look at."""

from __future__ import annotations

import hashlib

from sqlalchemy import MetaData, func, inspect, select, text


def table_digests(connection, only: set[str] | None = None) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of every row in primary-key order)} (Alembic's table aside)."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    found = {}
    for name, table in sorted(metadata.tables.items()):
        if name == "alembic_version" or (only is not None and name not in only):
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        rows = connection.execute(select(table).order_by(*order)).all()
        for row in rows:
            digest.update(repr(tuple(row)).encode())
        found[name] = (len(rows), digest.hexdigest())
    return found


def ledger_balances(connection) -> dict[str, int]:
    """{"kind:ref": balance in cents}, and the sum of all entries (always 0) under "*"."""
    rows = connection.execute(
        text(
            "SELECT a.kind, a.ref, SUM(e.amount_cents) FROM ledger_entries e "
            "JOIN ledger_accounts a ON a.id = e.account_id GROUP BY a.kind, a.ref"
        )
    ).all()
    balances = {f"{kind}:{ref}": int(total) for kind, ref, total in rows}
    balances["*"] = sum(balances.values())
    return balances


def figures(connection) -> dict[str, object]:
    """Members, messages, pledges and club votes as people see them."""
    tables = set(inspect(connection).get_table_names())

    def scalar(sql: str):
        return connection.execute(text(sql)).scalar()

    found: dict[str, object] = {
        "members": sorted(
            tuple(r) for r in connection.execute(text("SELECT email, display_name FROM users"))
        ),
    }
    if "messages" in tables:
        found["messages"] = scalar("SELECT COUNT(*) FROM messages")
    if "pledges" in tables:
        found["pledges"] = sorted(
            tuple(r)
            for r in connection.execute(text("SELECT id, amount_cents, status FROM pledges"))
        )
    if "club_ballots" in tables:
        found["club_ballots"] = scalar("SELECT COUNT(*) FROM club_ballots")
    if "club_votes" in tables:
        found["club_votes"] = sorted(
            tuple(r)
            for r in connection.execute(
                text("SELECT id, state, result, for_count, against_count FROM club_votes")
            )
        )
    return found


def row_count(connection, table: str) -> int:
    return connection.execute(select(func.count()).select_from(text(table))).scalar_one()
