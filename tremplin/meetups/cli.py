"""`flask meetups remind` and `flask notify digest`: cron jobs, each safe to run twice or
concurrently (what was sent is recorded under a unique key and never sent again)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from tremplin.platform.cli import notify_cli
from tremplin.platform.extensions import db
from tremplin.platform.jobs import periodic

meetups_cli = AppGroup(
    "meetups", help="Rencontres : rappels, conservation des données des visiteurs."
)


@meetups_cli.command("remind")
def remind_command() -> None:
    """Remind registrants the day before a meetup; nudge stalled support commitments."""
    from tremplin.meetups import reminders

    run = reminders.send_reminders(commit=db.session.commit)
    db.session.commit()
    click.echo(
        f"{run.meetups} rappel(s) de rencontre, {run.commitments} relance(s) de soutien, "
        f"{run.skipped} déjà envoyé(s)."
    )


@meetups_cli.command("forget-visitors")
def forget_visitors_command() -> None:
    """Forget the names and addresses of visitors of meetups past the retention period."""
    from tremplin.meetups import retention

    forgotten = retention.forget_visitors()
    db.session.commit()
    click.echo(f"{forgotten} inscription(s) de visiteur·se(s) anonymisée(s).")


@notify_cli.command("digest")
def digest_command() -> None:
    """Queue the periodic digest for members who asked for it and have something new."""
    from tremplin.meetups import digest

    run = digest.send_digests(commit=db.session.commit)
    db.session.commit()
    click.echo(
        f"{run.sent} résumé(s) en file d'envoi, {run.nothing_new} sans nouveauté, "
        f"{run.already_sent} déjà envoyé(s) pour cette période."
    )


def init_app(app: Flask) -> None:
    if meetups_cli.name not in app.cli.commands:
        app.cli.add_command(meetups_cli)


# --- the same jobs, scheduled by the job runner (the commands above stay for operators) ---


@periodic(minute="0", hour="16")
def remind_daily() -> str:
    """Daily (16:00 UTC, the evening before): meetup reminders, support nudges."""
    from tremplin.meetups import reminders

    run = reminders.send_reminders(commit=db.session.commit)
    return f"{run.meetups} rappel(s), {run.commitments} relance(s)"


@periodic(minute="30", hour="3")
def forget_visitors_daily() -> str:
    """Daily: visitors of meetups past the retention period become pseudonyms."""
    from tremplin.meetups import retention

    return f"{retention.forget_visitors()} anonymisée(s)"


@periodic(minute="0", hour="7")
def digest_daily() -> str:
    """Daily: each member's weekly or monthly digest, when due and not yet sent."""
    from tremplin.meetups import digest

    run = digest.send_digests(commit=db.session.commit)
    return f"{run.sent} résumé(s), {run.already_sent} déjà envoyé(s)"
