"""`flask mentoring …`: the cron jobs of mentoring. Each is idempotent: run it twice, or
twice at once, and nobody is told twice."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from tremplin.platform.extensions import db
from tremplin.platform.jobs import periodic

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


# --- the same jobs, scheduled by the job runner (the commands above stay for operators) ---


@periodic(minute="0", hour="10", day_of_week="1")
def remind_quiet_weekly() -> str:
    """Weekly (Monday): pairings with no session for the organisers' number of weeks."""
    from tremplin.mentoring import pairings

    return f"{pairings.remind_quiet_pairings(None)} binôme(s) relancé(s)"


@periodic(minute="45")
def expire_hourly() -> str:
    """Hourly: requests left unanswered past their deadline go back to the pool."""
    from tremplin.mentoring import services

    return f"{services.expire_requests()} demande(s) expirée(s)"
