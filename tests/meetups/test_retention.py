"""Visitors' names and addresses are forgotten a year after the meetup, without changing
the impact figures (a returning visitor still counts once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tremplin.meetups import impact, notices, registrations, retention
from tremplin.meetups.models import Registration
from tremplin.platform.models import OutboxEmail
from tremplin.platform.types import utcnow

pytestmark = pytest.mark.db


def test_visitors_are_forgotten_after_the_retention_period_and_still_counted_once(
    app, db, make_member, make_meetup, register
):
    long_ago = make_meetup(starts_in=-timedelta(days=400))
    later = make_meetup(starts_in=-timedelta(days=380))
    recent = make_meetup(starts_in=-timedelta(days=30))
    awa = make_member("Awa")
    register(long_ago, awa, checked_in=True)
    vera_1 = register(long_ago, name="Vera Petit", email="vera@exemple.fr", checked_in=True)
    vera_2 = register(later, name="Vera P.", email="vera@exemple.fr", checked_in=True)
    jo = register(recent, name="Jo Martin", email="jo@exemple.fr", checked_in=True)
    for registration in (vera_1, vera_2, jo):
        registration.link_nonce = "n" * 32
    db.session.commit()
    start, end = utcnow() - timedelta(days=500), utcnow()
    before = impact.distinct_participants(start, end)
    assert before == 3  # Awa, Vera (twice), Jo

    with app.test_request_context():
        link = notices.manage_url(vera_1).rsplit("/", 1)[-1]
        assert registrations.registration_from_token(link).status == "ok"
        assert retention.forget_visitors() == 2
        db.session.commit()
        assert retention.forget_visitors() == 0  # run again: nothing left to forget

        db.session.expire_all()
        first, second = (
            db.session.get(Registration, vera_1.id),
            db.session.get(Registration, vera_2.id),
        )
        assert first.name == second.name == retention.ANONYMOUS_NAME
        assert first.email == second.email and first.email.startswith("anon:")
        assert "vera" not in first.email
        assert db.session.get(Registration, jo.id).email == "jo@exemple.fr"  # recent: kept
        assert (
            db.session.scalar(
                select(func.count(Registration.id)).where(Registration.user_id == awa.id)
            )
            == 1
        )  # members' registrations untouched
        assert impact.distinct_participants(start, end) == before
        # the personal link is dead and nothing can be sent to them any more
        assert registrations.registration_from_token(link).status == "invalid"
        outbox = db.session.scalar(select(func.count(OutboxEmail.id)))
        notices.tell(first, notices.KIND_REGISTRATION, "Bonjour")
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == outbox


def test_the_retention_period_is_a_setting(app, db, make_meetup, register):
    meetup = make_meetup(starts_in=-timedelta(days=40))
    visitor = register(meetup, name="Lina", email="lina@exemple.fr")
    db.session.commit()
    app.config["MEETUPS_VISITOR_RETENTION_DAYS"] = 30
    with app.test_request_context():
        assert retention.forget_visitors() == 1
    assert db.session.get(Registration, visitor.id).email.startswith("anon:")


def test_the_cli_forgets_and_says_how_many(app, db, make_meetup, register):
    register(make_meetup(starts_in=-timedelta(days=400)), name="Lina", email="lina@exemple.fr")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["meetups", "forget-visitors"])
    assert result.exit_code == 0 and result.output.startswith("1 inscription")
