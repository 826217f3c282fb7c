"""`flask funding …`: the cron jobs of campaigns. Each is idempotent and safe to run twice
or concurrently (conditional updates, claimed pledges, keyed ledger movements).

    flask funding close       decide ended campaigns; charge (cards) or ask (transfers); release
    flask funding retry       try declined cards again when due; follow payments to confirm
    flask funding remind      remind unpaid promises and payments waiting for confirmation
    flask funding reconcile   compare the ledger with the pledges and with Stripe
    flask funding refunds     finish the card refunds left pending
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from tremplin.funding import campaigns, charging, payments, reconcile, refunds
from tremplin.funding import pledges as pledge_services
from tremplin.funding.models import FAILED, STRIPE_MODE, SUCCEEDED, Campaign
from tremplin.platform.extensions import db
from tremplin.platform.jobs import periodic
from tremplin.platform.types import utcnow

funding_cli = AppGroup("funding", help="Collectes : clôture, paiements, relances, rapprochement.")


def close_ended(now=None) -> dict:
    """What `flask funding close` does, callable from tests. Commits as it goes."""
    now = now or utcnow()
    decided = {}
    for campaign_id in campaigns.ended_campaign_ids(now):
        outcome = campaigns.decide(campaign_id, now)
        db.session.commit()
        if outcome:
            decided[campaign_id] = outcome
    # every decided campaign again: a pledge that slipped in at the deadline is settled too
    for campaign in db.session.scalars(
        select(Campaign).where(Campaign.status.in_((SUCCEEDED, FAILED)))
    ):
        campaigns.settle_pledges(campaign, now)
    pledge_services.expire_pending(now)
    db.session.commit()
    report = charging.collect_due(now) if payments.is_enabled() else charging.RunReport()
    closed = finish_campaigns(now)
    return {"decided": decided, "report": report, "closed": closed}


def finish_campaigns(now=None) -> list[int]:
    """Failed campaigns close once decided; card campaigns once every pledge is settled.
    (Promise campaigns stay open to transfers until their team closes them.)"""
    now = now or utcnow()
    closed = []
    for campaign in db.session.scalars(
        select(Campaign).where(Campaign.status.in_((SUCCEEDED, FAILED)))
    ).all():
        if campaign.status == FAILED or (
            campaign.mode == STRIPE_MODE and not campaigns.has_pledges_to_collect(campaign)
        ):
            campaign.status, campaign.closed_at = "closed", now
            closed.append(campaign.id)
    db.session.commit()
    return closed


@funding_cli.command("close")
def close_command() -> None:
    """Decide ended campaigns, then charge or release their pledges."""
    result = close_ended()
    report = result["report"]
    for campaign_id, outcome in result["decided"].items():
        click.echo(f"collecte {campaign_id} : {'réussie' if outcome == SUCCEEDED else 'échouée'}")
    click.echo(
        f"{len(report.charged)} paiement(s) encaissé(s), {len(report.requires_action)} à "
        f"confirmer, {len(report.declined)} refusé(s), {len(report.errors)} en erreur ; "
        f"{len(result['closed'])} collecte(s) clôturée(s)."
    )
    if report.errors:
        sys.exit(1)


@funding_cli.command("retry")
def retry_command() -> None:
    """Charge declined pledges whose retry is due; follow payments waiting for 3-D Secure."""
    if not payments.is_enabled():
        click.echo("Stripe n'est pas configuré : rien à relancer.")
        return
    moved = charging.sync_waiting()
    report = charging.collect_due()
    closed = finish_campaigns()
    click.echo(
        f"{moved} paiement(s) à confirmer mis à jour ; {len(report.charged)} encaissé(s), "
        f"{len(report.declined)} refusé(s) ; {len(closed)} collecte(s) clôturée(s)."
    )
    if report.errors:
        sys.exit(1)


@funding_cli.command("remind")
def remind_command() -> None:
    """Remind unpaid promises and card payments waiting for confirmation."""
    sent = pledge_services.send_reminders()
    db.session.commit()
    click.echo(
        f"{sent['promises']} rappel(s) de virement, {sent['confirmations']} rappel(s) "
        "de confirmation."
    )


@funding_cli.command("reconcile")
@click.option(
    "--repair",
    is_flag=True,
    help="Enregistrer ce que Stripe prouve et libérer les autorisations orphelines.",
)
@click.option("--no-stripe", is_flag=True, help="Ne vérifier que la base (pas d'appel à Stripe).")
def reconcile_command(repair: bool, no_stripe: bool) -> None:
    """Compare the ledger with the pledges and with Stripe; exit 1 on any difference."""
    found = reconcile.run(repair=repair, stripe=not no_stripe)
    if repair:
        db.session.commit()
    else:
        db.session.rollback()
    for difference in found:
        click.echo(str(difference))
    changed = [d for d in found if d.repaired]
    unresolved = [d for d in found if not d.repaired]
    if repair:
        click.echo(f"{len(changed)} modification(s) écrite(s) :" if changed else "Rien modifié.")
        for difference in changed:
            click.echo(f"  - {difference.kind} {difference.subject}: {difference.detail}")
    click.echo(f"{len(found)} écart(s), {len(unresolved)} non résolu(s).")
    if unresolved:
        sys.exit(1)


@funding_cli.command("refunds")
def refunds_command() -> None:
    """Finish the card refunds left pending (a run that died, Stripe unreachable): each is
    found at Stripe by its token, or asked for once."""
    outcomes = refunds.settle_pending()
    for refund_id, outcome in outcomes.items():
        click.echo(f"remboursement {refund_id} : {outcome}")
    click.echo(f"{len(outcomes)} remboursement(s) en attente traité(s).")


def init_app(app: Flask) -> None:
    if funding_cli.name not in app.cli.commands:
        app.cli.add_command(funding_cli)


# --- the same jobs, scheduled by the job runner (the commands above stay for operators) ---


@periodic(minute="5")
def close_hourly() -> str:
    """Hourly: decide ended campaigns, charge or release their pledges."""
    result = close_ended()
    report = result["report"]
    if report.errors:
        raise RuntimeError(f"{len(report.errors)} paiement(s) en erreur")
    return f"{len(result['decided'])} décidée(s), {len(report.charged)} encaissé(s)"


@periodic(minute="35")
def retry_hourly() -> str:
    """Hourly (Stripe mode): declined cards whose retry is due, payments to confirm."""
    if not payments.is_enabled():
        return "Stripe non configuré"
    moved = charging.sync_waiting()
    report = charging.collect_due()
    finish_campaigns()
    if report.errors:
        raise RuntimeError(f"{len(report.errors)} paiement(s) en erreur")
    return f"{moved} mis à jour, {len(report.charged)} encaissé(s)"


@periodic(minute="50")
def refunds_hourly() -> str:
    """Hourly (Stripe mode): card refunds left pending by a crash or an unreachable Stripe."""
    if not payments.is_enabled():
        return "Stripe non configuré"
    outcomes = refunds.settle_pending()
    return f"{len(outcomes)} remboursement(s) en attente traité(s)"


@periodic(minute="15", hour="9")
def remind_daily() -> str:
    """Daily: unpaid promises, card payments waiting for confirmation."""
    sent = pledge_services.send_reminders()
    return f"{sent['promises']} rappel(s) de virement, {sent['confirmations']} de confirmation"


@periodic(minute="0", hour="4")
def reconcile_daily() -> str:
    """Daily: the ledger against the pledges and Stripe (report only, never repairs)."""
    found = reconcile.run(repair=False, stripe=payments.is_enabled())
    db.session.rollback()
    if found:
        raise RuntimeError(f"{len(found)} écart(s) : flask funding reconcile")
    return "aucun écart"
