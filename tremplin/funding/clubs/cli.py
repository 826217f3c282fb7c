"""`flask clubs …`: the cron jobs of the investor clubs. Each is idempotent: run it twice,
or twice at once, and nobody is told twice, nothing is counted twice."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from tremplin.platform.extensions import db
from tremplin.platform.jobs import periodic

clubs_cli = AppGroup("clubs", help="Clubs d’investisseurs : rappels, clôture des votes.")


def _request_context():
    # Notifications carry links: build them as the site would, outside any request.
    return current_app.test_request_context("/", base_url=current_app.config["TREMPLIN_BASE_URL"])


@clubs_cli.command("remind")
def remind_command() -> None:
    """Late savings, end of the gérant's term or of the investing period, votes closing."""
    from tremplin.funding.clubs import reminders

    with _request_context():
        sent = reminders.remind()
        db.session.commit()
    click.echo(
        f"{sent['late']} épargne(s) en retard signalée(s), {sent['treasurer']} "
        f"récapitulatif(s) aux trésoriers, {sent['term']} fin(s) de mandat, "
        f"{sent['period']} fin(s) de période, {sent['vote']} rappel(s) de vote."
    )


@clubs_cli.command("tick")
def tick_command() -> None:
    """Close votes whose window is over; put clubs at the end of their period en gestion."""
    from tremplin.funding.clubs import reminders

    with _request_context():
        done = reminders.tick()
        db.session.commit()
    click.echo(
        f"{done['votes_closed']} vote(s) clos, {done['clubs_en_gestion']} club(s) passé(s) "
        "en gestion."
    )


@clubs_cli.command("sync-card-savings")
def sync_command() -> None:
    """Stripe mode: record paid invoices of savings subscriptions a webhook missed."""
    from tremplin.funding.clubs import savings

    with _request_context():
        count = savings.sync_card_savings()
        db.session.commit()
    click.echo(f"{count} versement(s) par carte enregistré(s).")


# --- the same jobs, scheduled by the job runner (the commands above stay for operators) ---


@periodic(minute="0", hour="9")
def remind_daily() -> str:
    """Daily: late savings, ends of terms and periods, votes closing."""
    from tremplin.funding.clubs import reminders

    sent = reminders.remind()
    return ", ".join(f"{key} {value}" for key, value in sent.items())


@periodic(minute="10")
def tick_hourly() -> str:
    """Hourly: close votes whose window is over; clubs at the end of their period en gestion."""
    from tremplin.funding.clubs import reminders

    done = reminders.tick()
    return f"{done['votes_closed']} vote(s) clos, {done['clubs_en_gestion']} en gestion"


@periodic(minute="0", hour="5")
def sync_card_savings_daily() -> str:
    """Daily (Stripe mode): paid savings invoices a webhook missed."""
    from tremplin.funding.clubs import savings

    return f"{savings.sync_card_savings()} versement(s)"
