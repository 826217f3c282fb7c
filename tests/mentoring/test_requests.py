"""Requests for a mentor: created in the pool, sent to one mentor, accepted or declined
with a message, withdrawn, expired back to the pool — and what is refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tremplin.mentoring import services
from tremplin.mentoring.models import MentoringRequest, Pairing
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import Notification
from tremplin.platform.types import utcnow


@pytest.fixture
def fatou(make_member, make_offer):
    mentor = make_member("Fatou Sow")
    make_offer(mentor, skills=["financement", "gestion"], max_mentees=1)
    return mentor


def notifications_of(user) -> list[str]:
    return list(
        _db.session.scalars(
            select(Notification.text)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


def test_a_request_starts_in_the_pool_with_its_project_and_needs(
    app, make_member, make_project, make_need
):
    awa = make_member("Awa")
    project = make_project(awa, theme="cosmetique")
    need = make_need(project, kind="financement", title="Le matériel de fabrication")
    request = services.create_request(
        awa,
        services.RequestFields(
            goals="Ouvrir la boutique.",
            needs=["financement"],
            project=project,
            project_needs=[need],
            languages=["fr"],
            departement="93",
            sector="cosmetique",
        ),
    )
    assert request.state == "open" and request.mentor_id is None
    assert request.project_needs == [need]


def test_a_request_needs_goals_needs_and_a_project_of_ones_own(app, make_member, make_project):
    awa = make_member("Awa")
    with pytest.raises(DomainError, match="au moins un besoin"):
        services.create_request(awa, services.RequestFields(goals="Avancer.", needs=[]))
    with pytest.raises(DomainError, match="quelques mots"):
        services.create_request(awa, services.RequestFields(goals="  ", needs=["financement"]))
    someone_elses = make_project(make_member("Karim"))
    with pytest.raises(DomainError, match="équipe de ce projet"):
        services.create_request(
            awa,
            services.RequestFields(goals="Avancer.", needs=["financement"], project=someone_elses),
        )


def test_sent_request_waits_for_the_mentor_who_is_told(
    app, make_member, make_request, fatou, outbox
):
    awa = make_member("Awa Diallo")
    request = make_request(awa)
    services.send_request(awa, request, fatou, "Bonjour Fatou !")
    assert request.state == "pending" and request.mentor_id == fatou.id
    assert request.expires_at - request.sent_at == timedelta(days=14)
    assert notifications_of(fatou) == ["Awa Diallo vous demande d’être son parrain ou sa marraine."]


def test_a_mentor_cannot_be_asked_twice_while_a_request_is_open(
    app, make_member, make_request, fatou
):
    awa = make_member("Awa")
    services.send_request(awa, make_request(awa), fatou)
    second = make_request(awa, needs=["gestion"])
    with pytest.raises(DomainError, match="déjà une demande en attente"):
        services.send_request(awa, second, fatou)
    assert second.state == "open"


def test_the_database_also_refuses_two_pending_requests_to_the_same_mentor(
    app, make_member, make_request, fatou
):
    from sqlalchemy.exc import IntegrityError

    awa = make_member("Awa")
    make_request(awa, state="pending", mentor=fatou)
    with pytest.raises(IntegrityError):
        make_request(awa, state="pending", mentor=fatou)
    _db.session.rollback()


def test_accepting_starts_a_pairing_with_a_private_conversation(
    app, make_member, make_request, fatou
):
    awa = make_member("Awa Diallo")
    request = make_request(awa, state="pending", mentor=fatou)
    pairing = services.accept_request(fatou, request, "Avec plaisir.")
    assert request.state == "accepted" and request.response_message == "Avec plaisir."
    assert pairing.state == "active" and pairing.mentor_id == fatou.id
    assert pairing.planned_end_on - pairing.started_on == timedelta(weeks=26)
    assert pairing.conversation_id is not None
    from tremplin.groups import can_read_conversation, conversation_for

    conversation = conversation_for(pairing)
    assert conversation.id == pairing.conversation_id
    assert can_read_conversation(fatou, conversation) and can_read_conversation(awa, conversation)
    assert "Fatou Sow a accepté" in notifications_of(awa)[-1]


def test_the_default_length_is_the_organisers_setting(
    app, make_member, make_organiser, make_request, fatou
):
    services.update_settings(make_organiser(), default_length_weeks=12)
    request = make_request(make_member(), state="pending", mentor=fatou)
    pairing = services.accept_request(fatou, request)
    assert pairing.planned_end_on - pairing.started_on == timedelta(weeks=12)


def test_acceptance_over_capacity_is_refused(app, make_member, make_request, make_pairing, fatou):
    make_pairing(fatou, make_member())  # her only place is taken
    request = make_request(make_member(), state="pending", mentor=fatou)
    with pytest.raises(services.CapacityReached):
        services.accept_request(fatou, request)
    _db.session.rollback()
    assert _db.session.get(MentoringRequest, request.id).state == "pending"


def test_a_full_or_unavailable_mentor_cannot_be_asked(
    app, make_member, make_request, make_pairing, make_offer, fatou
):
    make_pairing(fatou, make_member())
    awa = make_member()
    with pytest.raises(services.CapacityReached):
        services.send_request(awa, make_request(awa), fatou)
    resting = make_member()
    make_offer(resting, is_available=False)
    with pytest.raises(services.MentorUnavailable):
        services.send_request(awa, make_request(awa), resting)


def test_declining_needs_a_message_and_lets_the_porteur_ask_someone_else(
    app, make_member, make_offer, make_request, fatou
):
    awa = make_member("Awa")
    request = make_request(awa)
    services.send_request(awa, request, fatou)
    with pytest.raises(DomainError, match="Un mot d’explication"):
        services.decline_request(fatou, request, "  ")
    services.decline_request(fatou, request, "Je suis complète jusqu’en juin.")
    assert request.state == "declined"
    assert "ne peut pas être votre binôme" in notifications_of(awa)[-1]

    jean = make_member("Jean")
    make_offer(jean)
    again = services.send_request(awa, request, jean)
    assert again.id != request.id and again.previous_id == request.id
    assert again.state == "pending" and again.goals == request.goals
    assert request.state == "declined" and request.response_message.startswith("Je suis")


def test_only_the_addressed_mentor_answers_and_only_once(app, make_member, make_request, fatou):
    request = make_request(make_member(), state="pending", mentor=fatou)
    with pytest.raises(DomainError):
        services.accept_request(make_member("Intrus"), request)
    services.decline_request(fatou, request, "Pas le bon moment.")
    with pytest.raises(DomainError):
        services.accept_request(fatou, request)


def test_the_porteur_may_withdraw_a_waiting_request(app, make_member, make_request, fatou):
    awa = make_member()
    request = make_request(awa, state="pending", mentor=fatou)
    services.withdraw_request(awa, request)
    assert request.state == "withdrawn"
    with pytest.raises(DomainError):
        services.withdraw_request(awa, request)


def test_expired_requests_go_back_to_the_pool_once(app, make_member, make_request, fatou):
    awa = make_member("Awa")
    late = make_request(
        awa,
        state="pending",
        mentor=fatou,
        sent_at=utcnow() - timedelta(days=20),
        expires_at=utcnow() - timedelta(days=6),
    )
    fresh = make_request(make_member(), state="pending", mentor=fatou, needs=["gestion"])

    result = app.test_cli_runner().invoke(args=["mentoring", "expire"])
    assert "1 demande(s) expirée(s)" in result.output
    again = app.test_cli_runner().invoke(args=["mentoring", "expire"])
    assert "0 demande(s)" in again.output

    _db.session.expire_all()
    late = _db.session.get(MentoringRequest, late.id)
    assert late.state == "open" and late.mentor_id is None and late.expired_count == 1
    assert _db.session.get(MentoringRequest, fresh.id).state == "pending"
    assert sum("revient dans le vivier" in t for t in notifications_of(awa)) == 1
    assert sum("a expiré" in t for t in notifications_of(fatou)) == 1


def test_an_organiser_proposes_a_pairing_from_the_pool(
    app, make_member, make_organiser, make_request, fatou
):
    from tremplin.mentoring import pairings

    awa = make_member("Awa")
    request = make_request(awa)
    pairing = pairings.propose_pairing(
        make_organiser("Claire"),
        mentor=fatou,
        porteur=awa,
        request=request,
        terms=pairings.PairingTerms(message="Vous allez bien vous entendre."),
    )
    assert pairing.state == "proposed" and request.state == "proposed"
    pairings.accept_pairing(fatou, pairing)
    assert pairing.state == "active" and request.state == "accepted"


def test_members_cannot_propose_pairings(app, make_member, fatou):
    from tremplin.mentoring import pairings

    with pytest.raises(DomainError):
        pairings.propose_pairing(make_member(), mentor=fatou, porteur=make_member())
    assert _db.session.scalar(select(func.count(Pairing.id))) == 0


# --- over HTTP ----------------------------------------------------------------------------


def test_asking_and_accepting_over_http(client, auth, make_member, make_project, make_need, fatou):
    awa = make_member("Awa Diallo")
    project = make_project(awa, title="Maison de Cosm’éthique", theme="cosmetique")
    make_need(project, kind="financement", title="Le matériel de fabrication")
    auth.login_as(awa)
    form = client.get(f"/parrainage/demander?projet={project.id}")
    assert form.status_code == 200
    # The project's open need is offered as an explicit choice, never ticked for her.
    assert "Le matériel de fabrication" in form.text
    assert not re.search(r'<input checked[^>]*name="(needs|project_needs)"', form.text)

    response = client.post(
        "/parrainage/demander",
        data={
            "project": str(project.id),
            "needs": ["financement", "gestion"],
            "goals": "Financer le matériel.",
            "languages": ["fr", "wo"],
            "departement": "93",
            "sector": "cosmetique",
            "format": "both",
        },
    )
    assert response.status_code == 302
    request = _db.session.scalar(select(MentoringRequest))
    assert response.headers["Location"].endswith(f"/parrainage/demandes/{request.id}/suggestions")

    sent = client.post(
        f"/parrainage/demandes/{request.id}/envoyer",
        data={"mentor_id": fatou.id, "message": "Bonjour !"},
    )
    assert sent.status_code == 302
    again = client.post(f"/parrainage/demandes/{request.id}/envoyer", data={"mentor_id": fatou.id})
    assert again.status_code == 403  # no longer in the pool

    auth.login_as(fatou)
    assert "Awa Diallo vous demande" in client.get("/parrainage").text
    accepted = client.post(f"/parrainage/demandes/{request.id}/accepter", data={"message": ""})
    assert accepted.status_code == 302 and "/parrainage/binomes/" in accepted.headers["Location"]
    _db.session.expire_all()
    assert _db.session.get(MentoringRequest, request.id).state == "accepted"


def test_declining_over_http_without_a_message_shows_why(
    client, auth, make_member, make_request, fatou
):
    request = make_request(make_member(), state="pending", mentor=fatou)
    auth.login_as(fatou)
    response = client.post(f"/parrainage/demandes/{request.id}/decliner", data={"message": ""})
    assert response.status_code == 422
    assert "Un mot d’explication" in response.text


def test_forms_without_csrf_are_refused(client, auth, make_member, make_request, fatou):
    request = make_request(make_member(), state="pending", mentor=fatou)
    auth.login_as(fatou)
    response = client.post(f"/parrainage/demandes/{request.id}/accepter", data={}, csrf=False)
    assert response.status_code == 400


def test_a_project_with_a_mentor_needs_a_confirmed_second_and_never_a_third(
    app, make_member, make_project, make_pairing, fatou
):
    awa = make_member("Awa")
    project = make_project(awa)
    make_pairing(fatou, awa, project_id=project.id)
    with pytest.raises(services.AlreadyMentored, match="déjà un parrain ou une marraine"):
        services.create_request(
            awa, services.RequestFields(goals="Encore.", needs=["gestion"], project=project)
        )
    second = services.create_request(
        awa,
        services.RequestFields(goals="Le juridique.", needs=["gestion"], project=project),
        second_mentor=True,
    )
    assert second.state == "open"
    make_pairing(make_member("Mentor 2"), awa, project_id=project.id)
    with pytest.raises(services.AlreadyMentored, match="déjà 2 parrains"):
        services.create_request(
            awa,
            services.RequestFields(goals="Un troisième.", needs=["gestion"], project=project),
            second_mentor=True,
        )


def test_two_waiting_requests_for_a_project_are_enough(app, make_member, make_project):
    awa = make_member("Awa")
    project = make_project(awa)
    for _ in range(2):
        services.create_request(
            awa, services.RequestFields(goals="Avancer.", needs=["gestion"], project=project)
        )
    with pytest.raises(services.DuplicateRequest, match="déjà 2 demandes en cours"):
        services.create_request(
            awa, services.RequestFields(goals="Avancer.", needs=["gestion"], project=project)
        )
    assert _db.session.scalar(select(func.count(MentoringRequest.id))) == 2


def test_the_form_warns_and_asks_to_confirm_a_second_mentor(
    client, auth, make_member, make_project, make_pairing, fatou
):
    awa = make_member("Awa Diallo")
    project = make_project(awa, title="Cosm’éthique")
    make_pairing(fatou, awa, project_id=project.id)
    auth.login_as(awa)
    page = client.get(f"/parrainage/demander?projet={project.id}").text
    assert "Ce projet a déjà un binôme avec Fatou Sow" in page and 'name="second_mentor"' in page
    data = {
        "project": str(project.id),
        "needs": ["gestion"],
        "goals": "Le juridique.",
        "languages": ["fr"],
        "departement": "93",
        "sector": "cosmetique",
        "format": "both",
    }
    refused = client.post("/parrainage/demander", data=data)
    assert refused.status_code == 200 and "cochez la case qui le confirme" in refused.text
    assert (
        client.post("/parrainage/demander", data={**data, "second_mentor": "y"}).status_code == 302
    )
