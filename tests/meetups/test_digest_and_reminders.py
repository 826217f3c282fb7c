"""Cron jobs: the periodic digest (with consent, never empty, once per period) and the
reminders (the day before a meetup, stalled commitments) — sent once even when the
command runs twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tremplin.meetups import digest
from tremplin.meetups.models import SentReminder
from tremplin.platform import notifications
from tremplin.platform.models import Notification
from tremplin.platform.types import utcnow

PARIS = ZoneInfo("Europe/Paris")


def _consent(db, user, *kinds):
    notifications.set_consents(user, kinds)
    db.session.commit()


def _subscribe(db, user, *themes):
    from tremplin.meetups.models import ThemeSubscription

    for theme in themes:
        db.session.add(ThemeSubscription(user_id=user.id, theme=theme))
    db.session.commit()


# --- digest ------------------------------------------------------------------------------


def test_digest_gathers_new_opportunities_meetups_and_projects_in_the_member_s_themes(
    app, db, make_member, make_opportunity, make_meetup, make_project, outbox
):
    awa = make_member("Awa", email="awa@exemple.fr")
    _consent(db, awa, "meetups_digest")
    _subscribe(db, awa, "cosmetique")
    make_opportunity("Formation à la réglementation cosmétique", themes=["cosmetique"])
    make_opportunity("Appel à projets agricole", themes=["agriculture"])
    make_meetup("Café Projets : Maison de Cosm’éthique")
    make_project(make_member("Fatou"), title="Savonnerie solidaire", theme="cosmetique")
    make_project(make_member("Thomas"), title="Compost de quartier", theme="environnement")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notify", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 résumé(s) en file d'envoi" in result.output
    [mail] = outbox.to("awa@exemple.fr")
    body = mail.body_text
    assert "Formation à la réglementation cosmétique" in body
    assert "Café Projets : Maison de Cosm’éthique" in body
    assert "Savonnerie solidaire" in body
    assert "Appel à projets agricole" not in body and "Compost de quartier" not in body
    assert "3 nouveautés" in mail.subject
    assert "http://localhost/opportunites/abonnements" in body


def test_digest_needs_consent_and_skips_members_with_nothing_new(
    app, db, make_member, make_opportunity, outbox
):
    without_consent = make_member("Sans consentement", email="sans@exemple.fr")
    _subscribe(db, without_consent, "textile")
    nothing_new = make_member("Rien de neuf", email="rien@exemple.fr")
    _consent(db, nothing_new, "meetups_digest")
    _subscribe(db, nothing_new, "culture")
    make_opportunity("Local textile", themes=["textile"])
    result = app.test_cli_runner().invoke(args=["notify", "digest"])
    assert "0 résumé(s) en file d'envoi, 1 sans nouveauté" in result.output
    assert outbox.to("sans@exemple.fr") == [] and outbox.to("rien@exemple.fr") == []


def test_digest_runs_twice_but_sends_once_per_period(
    app, db, make_member, make_opportunity, outbox
):
    awa = make_member("Awa", email="awa@exemple.fr")
    _consent(db, awa, "meetups_digest")
    _subscribe(db, awa, "textile")
    make_opportunity("Local textile", themes=["textile"])
    runner = app.test_cli_runner()
    runner.invoke(args=["notify", "digest"])
    second = runner.invoke(args=["notify", "digest"])
    assert "1 déjà envoyé(s)" in second.output
    assert len(outbox.to("awa@exemple.fr")) == 1


def test_next_digest_only_has_what_is_new_since_the_last(app, db, make_member, make_opportunity):
    awa = make_member("Awa", email="awa@exemple.fr")
    _consent(db, awa, "meetups_digest")
    _subscribe(db, awa, "textile")
    make_opportunity("Ancienne", themes=["textile"])
    now = utcnow()
    with app.app_context():
        run = digest.send_digests(now, commit=db.session.commit)
    assert run.sent == 1
    next_week = now + timedelta(days=7)
    with app.app_context():
        again = digest.send_digests(next_week, commit=db.session.commit)
    assert again.sent == 0 and again.nothing_new == 1
    assert digest.period_key("weekly", datetime(2026, 1, 5, tzinfo=PARIS)) == "2026-W02"
    assert digest.period_key("monthly", datetime(2026, 1, 5, tzinfo=PARIS)) == "2026-01"


# --- reminders ---------------------------------------------------------------------------


def _tomorrow_evening():
    now = datetime.now(PARIS)
    start = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), PARIS).replace(
        hour=18, minute=30
    )
    return start.astimezone(ZoneInfo("UTC")) - utcnow()


def test_reminders_the_day_before_are_sent_once_even_if_the_command_runs_twice(
    app, db, make_member, make_meetup, register, outbox
):
    meetup = make_meetup(
        "Café Projets de demain",
        starts_in=_tomorrow_evening(),
        agenda=[(20, "Présentation du projet")],
    )
    later = make_meetup("Dans dix jours", starts_in=timedelta(days=10))
    awa = make_member("Awa", email="awa@exemple.fr")
    _consent(db, awa, "meetups_reminder")
    karim = make_member("Karim", email="karim@exemple.fr")  # no e-mail consent: bell only
    register(meetup, awa)
    register(meetup, karim, guests=1)
    register(meetup, name="Jeanne Visiteuse", email="jeanne@exemple.fr")
    register(meetup, make_member(), status="waiting")
    register(meetup, make_member(), status="cancelled")
    register(later, awa)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["meetups", "remind"])
    assert first.exit_code == 0, first.output
    assert "3 rappel(s) de rencontre" in first.output
    second = runner.invoke(args=["meetups", "remind"])
    assert "0 rappel(s) de rencontre" in second.output and "3 déjà envoyé(s)" in second.output
    [mail] = outbox.to("awa@exemple.fr")
    assert "Rappel : Café Projets de demain" in mail.subject
    assert "Présentation du projet" in mail.body_text
    [visitor_mail] = outbox.to("jeanne@exemple.fr")
    assert "/rencontres/inscription/" in visitor_mail.body_text  # to free the seat
    assert outbox.to("karim@exemple.fr") == []
    assert db.session.scalar(select(Notification).where(Notification.user_id == karim.id))
    assert len(db.session.scalars(select(SentReminder)).all()) == 3


def test_stalled_commitments_are_nudged_once_per_period(
    app, db, make_member, make_project, make_commitment
):
    owner = make_member("Karim")
    project = make_project(owner, title="Éco-retoucherie")
    jean = make_member("Jean")
    stale = make_commitment(project, jean, state_changed_at=utcnow() - timedelta(days=9))
    make_commitment(project, jean, state_changed_at=utcnow() - timedelta(days=2))  # recent
    started = make_commitment(
        project, jean, state="accepted", state_changed_at=utcnow() - timedelta(days=31)
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["meetups", "remind"])
    assert "2 relance(s) de soutien" in result.output
    assert "0 relance(s) de soutien" in runner.invoke(args=["meetups", "remind"]).output
    owner_notes = [
        n.text
        for n in db.session.scalars(select(Notification).where(Notification.user_id == owner.id))
    ]
    assert any("acceptez-le ou déclinez-le" in t for t in owner_notes)
    assert any("s'il est réalisé, confirmez-le" in t for t in owner_notes)
    jean_notes = [
        n.text
        for n in db.session.scalars(select(Notification).where(Notification.user_id == jean.id))
    ]
    assert any("Où en est votre soutien" in t for t in jean_notes)
    keys = {(r.target_id, r.key) for r in db.session.scalars(select(SentReminder))}
    assert keys == {(stale.id, "proposed:1"), (started.id, "accepted:1")}
