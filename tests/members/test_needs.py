"""Needs and offers of help: a member answers a need once; the team accepts or declines;
acceptance — and only acceptance — shows both sides each other's contact details."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tremplin.members import needs as need_services
from tremplin.members.models import FULFILLED, HelpOffer, Need
from tremplin.platform import notifications
from tremplin.platform.errors import DomainError
from tremplin.platform.models import Notification


@pytest.fixture
def story(db, make_member, make_profile, make_project, make_need):
    """Awa carries a project with Fatou; Jean-Pierre could help; Karim only watches."""
    awa = make_member("Awa Diallo", email="awa@exemple.fr")
    fatou = make_member("Fatou Sow", email="fatou@exemple.fr")
    jean = make_member("Jean-Pierre Morel", email="jean@exemple.fr")
    karim = make_member("Karim Benali", email="karim@exemple.fr")
    make_profile(awa, phone="01 99 00 11 11")
    make_profile(jean, phone="01 99 00 22 22")
    project = make_project(awa, title="Maison de Cosm’éthique", team=[fatou])
    need = make_need(
        project, kind="financement", title="Le matériel de fabrication", amount_cents=800_000
    )
    return type(
        "Story", (), dict(awa=awa, fatou=fatou, jean=jean, karim=karim, project=project, need=need)
    )


def offer(client, need, message="Je peux relire votre plan de financement."):
    return client.post(f"/besoins/{need.id}", data={"message": message})


def test_team_publishes_a_need_with_its_quantity(client, auth, db, make_member, make_project):
    awa = auth.login_as(make_member("Awa"))
    project = make_project(awa)
    response = client.post(
        f"/projets/{project.id}/besoins/nouveau",
        data={
            "kind": "financement",
            "title": "Le matériel de fabrication",
            "description": "Mélangeurs et balance.",
            "quantity": "8000",
            "unit": "eur",
        },
    )
    assert response.status_code == 302
    need = db.session.scalar(select(Need))
    assert need.amount_cents == 800_000 and need.quantity is None
    page = client.get(f"/projets/{project.id}").text.replace("\u202f", " ").replace("\xa0", " ")
    assert "Le matériel de fabrication" in page and "8 000 €" in page


def test_need_quantity_needs_its_unit(client, auth, db, make_member, make_project):
    awa = auth.login_as(make_member("Awa"))
    project = make_project(awa)
    response = client.post(
        f"/projets/{project.id}/besoins/nouveau",
        data={"kind": "local", "title": "Un local", "quantity": "60", "unit": ""},
    )
    assert response.status_code == 200
    assert 'id="unit-error"' in response.text and "Précisez l’unité" in response.text
    assert 'value="60"' in response.text


def test_contact_details_are_shown_only_after_acceptance(client, auth, db, story):
    auth.login_as(story.jean)
    assert offer(client, story.need).status_code == 302
    stored = db.session.scalar(select(HelpOffer))
    assert stored.status == "pending"

    # Before the answer, neither side sees the other's details.
    helper_view = client.get(f"/besoins/{story.need.id}").text
    assert "awa@exemple.fr" not in helper_view and "01 99 00 11 11" not in helper_view
    assert "En attente de réponse" in helper_view
    auth.login_as(story.awa)
    team_view = client.get(f"/besoins/{story.need.id}").text
    assert "Je peux relire votre plan de financement." in team_view
    assert "jean@exemple.fr" not in team_view and "01 99 00 22 22" not in team_view
    assert "jean@exemple.fr" not in client.get(f"/membres/{story.jean.id}").text

    # Awa accepts: the mise en relation.
    response = client.post(f"/propositions/{stored.id}/accepter")
    assert response.status_code == 302
    team_view = client.get(f"/besoins/{story.need.id}").text
    assert "jean@exemple.fr" in team_view
    # Phones are "Moi seulement" by default: the mise en relation honours it (#21).
    assert "01 99 00 22 22" not in team_view
    assert "jean@exemple.fr" in client.get(f"/membres/{story.jean.id}").text

    auth.login_as(story.jean)
    helper_view = client.get(f"/besoins/{story.need.id}").text
    assert "awa@exemple.fr" in helper_view
    assert "01 99 00 11 11" not in helper_view  # "Moi seulement" holds after the mise en relation
    assert "awa@exemple.fr" in client.get(f"/membres/{story.awa.id}").text

    # Nobody else: not a bystander, not even the teammate who did not accept.
    for other in (story.karim, story.fatou):
        auth.login_as(other)
        for url in (
            f"/besoins/{story.need.id}",
            f"/membres/{story.jean.id}",
            f"/membres/{story.awa.id}",
            f"/projets/{story.project.id}",
        ):
            page = client.get(url).text
            assert "jean@exemple.fr" not in page and "01 99 00 22 22" not in page, url
            assert "awa@exemple.fr" not in page and "01 99 00 11 11" not in page, url
    auth.login_as(story.fatou)
    assert "Mise en relation faite par Awa Diallo" in client.get(f"/besoins/{story.need.id}").text


def test_a_notice_reaches_an_english_speaking_member_in_english_when_the_actor_is_french(
    client, app, auth, db, story, outbox
):
    """Jean-Pierre browses in French and offers help; Awa reads Tremplin in English: her
    notice and its e-mail are in English, Fatou's (French) stays in French."""
    story.awa.locale = "en"
    with app.test_request_context():
        notifications.set_consents(story.awa, ["members_offers"])
    db.session.commit()
    auth.login_as(story.jean)
    client.post("/langue", data={"locale": "fr", "next": "/"})
    offer(client, story.need)
    texts = dict(
        db.session.execute(
            select(Notification.user_id, Notification.text).where(
                Notification.kind == "members_offers"
            )
        ).all()
    )
    need = "Le matériel de fabrication"
    assert texts[story.awa.id] == f"Jean-Pierre Morel offers to help with your need “{need}”."
    assert texts[story.fatou.id] == (
        f"Jean-Pierre Morel propose son aide pour votre besoin « {need} »."
    )
    mail = outbox.to("awa@exemple.fr")[-1]
    assert mail.subject == f"Jean-Pierre Morel offers to help with your need “{need}”."
    assert mail.body_text.startswith("Hello Awa Diallo,")


def test_both_sides_are_notified(client, app, auth, db, story, outbox):
    with app.test_request_context():
        notifications.set_consents(story.awa, ["members_offers"])
        notifications.set_consents(story.jean, ["members_offers"])
        db.session.commit()
    auth.login_as(story.jean)
    offer(client, story.need)
    offers_to_team = db.session.scalars(
        select(Notification).where(Notification.kind == "members_offers")
    ).all()
    assert {n.user_id for n in offers_to_team} == {story.awa.id, story.fatou.id}
    assert "Jean-Pierre Morel propose son aide" in offers_to_team[0].text
    assert "Je peux relire" in outbox.to("awa@exemple.fr")[-1].body_text  # she consented
    assert outbox.to("fatou@exemple.fr") == []  # she did not

    auth.login_as(story.awa)
    client.post(f"/propositions/{db.session.scalar(select(HelpOffer.id))}/accepter")
    to_jean = db.session.scalars(
        select(Notification).where(Notification.user_id == story.jean.id)
    ).all()
    to_awa = db.session.scalars(
        select(Notification).where(Notification.user_id == story.awa.id).order_by(Notification.id)
    ).all()
    assert "Mise en relation" in to_jean[-1].text and "Awa Diallo" in to_jean[-1].text
    assert "Mise en relation" in to_awa[-1].text and "Jean-Pierre Morel" in to_awa[-1].text
    mail = outbox.to("jean@exemple.fr")[-1]
    assert "Mise en relation" in mail.body_text
    assert "awa@exemple.fr" not in mail.body_text  # details stay on the site


def test_a_need_cannot_be_answered_twice_by_the_same_member(client, auth, db, story):
    auth.login_as(story.jean)
    offer(client, story.need)
    again = offer(client, story.need, message="Et encore une autre proposition !")
    assert again.status_code == 200
    assert "déjà proposé votre aide" in again.text
    assert db.session.scalar(select(func.count(HelpOffer.id))) == 1


def test_the_database_refuses_a_duplicate_offer_too(app, db, story, make_help_offer):
    make_help_offer(story.need, story.jean)
    from sqlalchemy.orm.attributes import set_committed_value

    need = db.session.get(Need, story.need.id)
    set_committed_value(need, "offers", [])  # loaded before the first offer arrived: a race
    with app.test_request_context(), pytest.raises(need_services.AlreadyOffered):
        need_services.offer_help(need, story.jean, "Une seconde fois, en même temps.")


def test_a_fulfilled_need_accepts_no_offers(client, app, auth, db, story):
    auth.login_as(story.awa)
    client.post(f"/besoins/{story.need.id}/pourvu")
    assert db.session.get(Need, story.need.id).status == FULFILLED

    auth.login_as(story.jean)
    page = client.get(f"/besoins/{story.need.id}").text
    assert "Ce besoin est pourvu" in page and 'name="message"' not in page
    response = offer(client, story.need)
    assert "déjà pourvu" in response.text
    assert db.session.scalar(select(func.count(HelpOffer.id))) == 0
    with app.test_request_context(), pytest.raises(need_services.NeedFulfilled):
        need_services.offer_help(
            db.session.get(Need, story.need.id), story.karim, "Je peux aider !"
        )


def test_the_team_cannot_answer_its_own_need(client, auth, db, story):
    auth.login_as(story.fatou)
    assert 'name="message"' not in client.get(f"/besoins/{story.need.id}").text
    response = offer(client, story.need)
    assert "faites partie de l’équipe" in response.text
    assert db.session.scalar(select(func.count(HelpOffer.id))) == 0


def test_only_the_team_answers_offers(client, auth, db, story, make_help_offer):
    pending = make_help_offer(story.need, story.jean)
    for outsider in (story.jean, story.karim):
        auth.login_as(outsider)
        assert client.post(f"/propositions/{pending.id}/accepter").status_code == 403
    db.session.refresh(pending)
    assert pending.status == "pending"


def test_an_answered_offer_cannot_be_answered_again(client, auth, db, story, make_help_offer):
    pending = make_help_offer(story.need, story.jean)
    auth.login_as(story.awa)
    client.post(f"/propositions/{pending.id}/decliner")
    response = client.post(f"/propositions/{pending.id}/accepter", follow_redirects=True)
    assert "déjà reçu une réponse" in response.text
    db.session.refresh(pending)
    assert pending.status == "declined"
    auth.login_as(story.jean)
    page = client.get(f"/besoins/{story.need.id}").text
    assert "Déclinée" in page and "awa@exemple.fr" not in page


def test_the_helper_may_withdraw_a_pending_offer(client, auth, db, story, make_help_offer):
    pending = make_help_offer(story.need, story.jean)
    auth.login_as(story.karim)
    assert client.post(f"/propositions/{pending.id}/retirer").status_code == 403
    auth.login_as(story.jean)
    client.post(f"/propositions/{pending.id}/retirer")
    db.session.refresh(pending)
    assert pending.status == "withdrawn"


def test_need_of_a_members_only_project_is_hidden_from_visitors(client, db, story):
    story.project.visibility = "members"
    db.session.commit()
    response = client.get(f"/besoins/{story.need.id}")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_reopened_need_accepts_offers_again(client, app, auth, db, story):
    auth.login_as(story.awa)
    client.post(f"/besoins/{story.need.id}/pourvu")
    client.post(f"/besoins/{story.need.id}/rouvrir")
    auth.login_as(story.jean)
    assert offer(client, story.need).status_code == 302


def test_service_refuses_a_too_short_message(app, db, story):
    with app.test_request_context(), pytest.raises(DomainError) as caught:
        need_services.offer_help(story.need, story.jean, "oui")
    assert caught.value.field == "message"


def test_offers_of_help_are_rate_limited_and_reading_is_not(client, app, auth, db, story):
    app.config["RATELIMIT_OFFER"] = "2 per minute"
    auth.login_as(story.jean)
    codes = [offer(client, story.need, message="").status_code for _ in range(2)]
    assert codes == [200, 200]  # the empty message is refused next to the field
    limited = offer(client, story.need)
    assert limited.status_code == 429 and "Trop de tentatives" in limited.text
    assert client.get(f"/besoins/{story.need.id}").status_code == 200
    assert db.session.scalar(select(func.count(HelpOffer.id))) == 0
