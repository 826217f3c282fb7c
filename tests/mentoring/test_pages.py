"""The mentoring pages a member walks through, the dashboard panel, the navigation, the
offer form, the demo data and what happens to mentoring when an account is deleted."""

from __future__ import annotations

from sqlalchemy import func, select

from tremplin.mentoring import services
from tremplin.mentoring.models import MentoringRequest, MentorOffer, Pairing
from tremplin.platform.extensions import db as _db


def test_visitors_see_what_mentoring_is(client):
    page = client.get("/parrainage")
    assert page.status_code == 200 and "Le parrainage entre membres" in page.text
    assert ">Parrainage<" in client.get("/").text


def test_a_member_becomes_a_mentor_from_their_profile(client, auth, make_member):
    from tremplin.members.models import Profile, ProfileTag

    jean = make_member("Jean")
    profile = Profile(user_id=jean.id, departement="94")
    profile.tags.append(ProfileTag(kind="language", value="wo", key="wo"))
    _db.session.add(profile)
    _db.session.commit()
    auth.login_as(jean)
    form = client.get("/parrainage/mon-offre")
    assert form.status_code == 200
    assert 'value="94" selected' in form.text or 'selected value="94"' in form.text

    response = client.post(
        "/parrainage/mon-offre",
        data={
            "skills": ["financement", "gestion"],
            "languages": ["fr", "wo"],
            "format": "both",
            "departements": ["94", "75"],
            "hours_per_month": "6",
            "max_mentees": "2",
            "is_available": "y",
            "presentation": "Ancien banquier.",
        },
    )
    assert response.status_code == 302
    offer = _db.session.scalar(select(MentorOffer))
    assert sorted(offer.skills) == ["financement", "gestion"] and offer.max_mentees == 2
    assert "Modifier ma proposition" in client.get("/parrainage").text


def test_an_offer_needs_a_skill_a_language_and_a_place_to_meet(client, auth, make_member):
    auth.login_as(make_member())
    response = client.post(
        "/parrainage/mon-offre",
        data={
            "skills": [],
            "languages": [],
            "format": "in_person",
            "hours_per_month": "4",
            "max_mentees": "1",
        },
    )
    assert response.status_code == 200
    assert "Choisissez au moins un domaine." in response.text
    assert "Choisissez au moins une langue." in response.text
    refused = client.post(
        "/parrainage/mon-offre",
        data={
            "skills": ["pitch"],
            "languages": ["fr"],
            "format": "in_person",
            "hours_per_month": "4",
            "max_mentees": "1",
        },
    )
    assert "au moins un département" in refused.text
    assert _db.session.scalar(select(func.count(MentorOffer.id))) == 0


def test_the_dashboard_shows_my_pairing(client, auth, make_member, make_pairing, make_session):
    pairing = make_pairing(make_member("Fatou Sow"), make_member("Awa Diallo"))
    make_session(pairing, minutes=90)
    auth.login_as(pairing.porteur)
    home = client.get("/")
    assert "Mon binôme" in home.text and "Fatou Sow" in home.text
    assert "1\u00a0h\u00a030" in home.text  # the one duration filter


def test_the_navigation_badge_counts_what_waits_for_my_answer(
    client, auth, make_member, make_request
):
    fatou = make_member("Fatou")
    make_request(make_member(), state="pending", mentor=fatou)
    auth.login_as(fatou)
    home = client.get("/")
    assert 'data-nav-badge="mentoring.index">1<' in home.text


def test_the_demo_network_has_mentoring(app):
    from tremplin.platform import demo

    summary = demo.load()
    _db.session.commit()
    assert summary["binômes"] == 6
    states = dict(
        _db.session.execute(
            select(Pairing.state, func.count(Pairing.id)).group_by(Pairing.state)
        ).all()
    )
    assert states == {"active": 4, "completed": 1, "proposed": 1}
    assert _db.session.scalar(select(func.count(MentorOffer.id))) == 8
    assert (
        _db.session.scalar(
            select(func.count(MentoringRequest.id)).where(MentoringRequest.state == "open")
        )
        >= 2
    )


def test_deleting_an_account_ends_its_mentoring_but_keeps_the_partners_hours(
    app, make_member, make_offer, make_pairing, make_session, make_request
):
    from tremplin.mentoring import pairings
    from tremplin.platform import accounts

    fatou, awa = make_member("Fatou"), make_member("Awa")
    make_offer(fatou)
    pairing = make_pairing(fatou, awa)
    make_session(pairing, minutes=120)
    request = make_request(make_member(), state="pending", mentor=fatou)
    accounts.erase_account(fatou)
    _db.session.commit()
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count(MentorOffer.id))) == 0
    assert _db.session.get(Pairing, pairing.id).state == "completed"
    assert _db.session.get(MentoringRequest, request.id).state == "open"
    assert pairings.total_minutes([pairing.id]) == {pairing.id: 120}


def test_download_my_data_includes_my_sessions(app, make_member, make_pairing, make_session):
    from tremplin.platform import accounts

    pairing = make_pairing(make_member("Fatou"), make_member("Awa"))
    make_session(pairing, minutes=60, notes="Notre plan.")
    data = accounts.export_account_data(pairing.porteur)
    [exported] = data["mentoring"]["pairings"]
    assert exported["role"] == "porteur"
    assert exported["sessions"][0]["notes"] == "Notre plan."


def test_settings_default_until_organisers_change_them(app):
    settings = services.get_settings()
    assert (
        settings.default_length_weeks,
        settings.quiet_after_weeks,
        settings.request_expiry_days,
    ) == (26, 4, 14)
