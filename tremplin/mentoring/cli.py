"""`flask mentoring …`: the cron jobs of mentoring. Each is idempotent: run it twice, or
twice at once, and nobody is told twice."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from tremplin.platform.extensions import db

mentoring_cli = AppGroup("mentoring", help="Parrainage : relances et demandes expirées.")


def _request_context():
    # Notifications carry links: build them as the site would, outside any request.
    return current_app.test_request_context("/", base_url=current_app.config["TREMPLIN_BASE_URL"])


@mentoring_cli.command("remind-quiet")
@click.option(
    "--weeks",
    type=click.IntRange(1, 52),
    default=None,
    help="Semaines sans séance (par défaut : le réglage des animateurs).",
)
def remind_quiet_command(weeks: int | None) -> None:
    """Remind pairings with no session for N weeks (once per quiet spell)."""
    from tremplin.mentoring import pairings

    with _request_context():
        count = pairings.remind_quiet_pairings(weeks)
        db.session.commit()
    click.echo(f"{count} binôme(s) relancé(s).")


@mentoring_cli.command("expire")
def expire_command() -> None:
    """Put requests left unanswered past their deadline back in the pool."""
    from tremplin.mentoring import services

    with _request_context():
        count = services.expire_requests()
        db.session.commit()
    click.echo(f"{count} demande(s) expirée(s), revenue(s) dans le vivier.")
