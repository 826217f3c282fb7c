"""`flask notify …`, `flask demo …` and `flask users …`: cron jobs and maintenance."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from tremplin.platform import accounts, notifications
from tremplin.platform.extensions import db
from tremplin.platform.models import SITE_ROLES, User

notify_cli = AppGroup("notify", help="Notifications et e-mails.")
demo_cli = AppGroup("demo", help="Données de démonstration.")
users_cli = AppGroup("users", help="Comptes.")


@notify_cli.command("send")
@click.option("--limit", default=500, show_default=True)
def send_command(limit: int) -> None:
    """Deliver the e-mail outbox (SMTP, or files in instance/outbox/)."""
    sent, failed = notifications.deliver_outbox(limit=limit)
    click.echo(f"{sent} e-mail(s) envoyé(s), {failed} en échec.")


@demo_cli.command("load")
@click.option(
    "--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des comptes."
)
def demo_load(if_empty: bool) -> None:
    """Load the fictional demo network."""
    from tremplin.platform import demo

    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("La base contient déjà des données : démo non chargée.")
        return
    summary = demo.load()
    db.session.commit()
    click.echo(
        "Réseau de démonstration chargé : " + ", ".join(f"{v} {k}" for k, v in summary.items())
    )
    click.echo(f"Connectez-vous avec {demo.DEMO_LOGIN} / {demo.DEMO_PASSWORD}")


@users_cli.command("create")
@click.argument("email")
@click.argument("display_name")
@click.option("--role", type=click.Choice(SITE_ROLES), default="member")
@click.password_option()
def create_user(email: str, display_name: str, role: str, password: str) -> None:
    """Create a confirmed account (e.g. the first administrator)."""
    problems = accounts.password_problems(password, [email, display_name])
    if problems:
        raise click.ClickException(problems[0])
    if accounts.find_by_email(email):
        raise click.ClickException("Cette adresse a déjà un compte.")
    accounts.create_member(email, password, display_name, site_role=role)
    db.session.commit()
    click.echo(f"Compte créé : {email} ({role})")


def init_app(app: Flask) -> None:
    from tremplin.platform import backup

    backup.init_app(app)
    for group in (notify_cli, demo_cli, users_cli):
        if group.name not in app.cli.commands:
            app.cli.add_command(group)
