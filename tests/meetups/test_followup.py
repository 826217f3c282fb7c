"""After the evening: the meetup page becomes its summary, registration closes once it has
started, the commitment rate is in plain sight, the team's support page is grouped by
evening; minutes with actions followed until done; the satisfaction survey."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import func, select

from tremplin.meetups import minutes as minutes_services
from tremplin.meetups import surveys
from tremplin.meetups.models import (
    MeetupSurvey,
    Minutes,
    MinutesAction,
    ProposalTable,
    SurveyReceipt,
    SurveyResponse,
    TableProposal,
)
from tremplin.platform.hooks import registry
from tremplin.platform.models import Notification


@pytest.fixture
def evening(db, make_organiser, make_member, make_project, make_meetup, register, make_commitment):
    """An evening that took place: Karim's project presented, three people checked in (two
    members, one visitor), one table proposal, two commitments."""
    claire = make_organiser("Claire Animatrice")
    karim = make_member("Karim Benali")
    project = make_project(karim, title="Éco-retoucherie")
    meetup = make_meetup(
        "Café Projets de novembre",
        organiser=claire,
        projects=[project],
        starts_in=timedelta(hours=-3),
        hours=2,
    )
    awa = make_member("Awa Diallo")
    jean = make_member("Jean Morel")
    ines = make_member("Inès Absente")
    regs = {
        "awa": register(meetup, awa, checked_in=True),
        "jean": register(meetup, jean, checked_in=True),
        "visitor": register(meetup, name="Léa Visiteuse", email="lea@exemple.fr", checked_in=True),
        "ines": register(meetup, ines),
    }
    table = ProposalTable(meetup_id=meetup.id, number=1)
    db.session.add(table)
    db.session.flush()
    db.session.add(
        TableProposal(
            table_id=table.id, project_id=project.id, body="Contacter la régie de quartier"
        )
    )
    db.session.commit()
    make_commitment(project, awa, kind="skills", quantity=6, meetup=meetup, state="accepted")
    make_commitment(project, jean, kind="premises", quantity=20, meetup=meetup)
    return {
        "meetup": meetup,
        "project": project,
        "claire": claire,
        "karim": karim,
        "awa": awa,
        "jean": jean,
        "ines": ines,
        "regs": regs,
    }


# --- after the evening -------------------------------------------------------------------


def test_attendee_sees_the_summary_and_a_stranger_does_not(client, auth, evening, make_member):
    meetup = evening["meetup"]
    auth.login_as(evening["awa"])
    page = client.get(f"/rencontres/{meetup.id}").text
    assert "Le bilan de la soirée" in page
    assert "Contacter la régie de quartier" in page
    assert "Éco-retoucherie" in page
    # commitments by kind and state
    table = page[page.index("summary-commitments") :]
    assert "Compétences" in table and "Local" in table and "Accepté" in table

    auth.login_as(make_member("Passant"))
    other = client.get(f"/rencontres/{meetup.id}").text
    assert "Le bilan de la soirée" not in other
    assert "Contacter la régie de quartier" not in other


def test_no_registration_once_the_meetup_has_started(client, auth, db, make_member, make_meetup):
    meetup = make_meetup("En cours", starts_in=timedelta(minutes=-30), hours=3)
    auth.login_as(make_member("Retardataire"))
    page = client.get(f"/rencontres/{meetup.id}").text
    assert "Je m’inscris" not in page
    assert "les inscriptions sont closes" in page
    client.post(f"/rencontres/{meetup.id}/inscription", data={"guests": "0"})
    from tremplin.meetups.models import Registration

    assert db.session.scalar(select(func.count(Registration.id))) == 0
    auth.logout()
    visitor_page = client.get(f"/rencontres/{meetup.id}").text
    assert "Je m’inscris" not in visitor_page


def test_commitment_rate_shown_prominently_to_organisers_and_team(client, auth, evening):
    meetup = evening["meetup"]
    for who in ("claire", "karim"):
        auth.login_as(evening[who])
        page = client.get(f"/rencontres/{meetup.id}").text
        # 2 of the 3 people checked in committed
        assert re.search(r'class="stat">67&nbsp;%', page), who
        if who == "claire":
            assert (
                'class="rate-badge"' in page
                and "2 sur 3 participants ont proposé un soutien" in page
            )


def test_team_support_page_is_grouped_by_evening_and_filtered_by_state(
    client, auth, evening, make_commitment, make_member
):
    project = evening["project"]
    make_commitment(project, make_member("Hors soirée"), kind="time", quantity=3)
    auth.login_as(evening["karim"])
    page = client.get(f"/soutiens/projet/{project.id}").text
    assert page.index("Café Projets de novembre") < page.index("En dehors d’une rencontre")
    assert "taux d’engagement (2 sur 3)" in page
    accepted = client.get(f"/soutiens/projet/{project.id}?etat=accepted").text
    assert accepted.count('class="list__item commitment"') == 1
    assert client.get(f"/soutiens/projet/{project.id}?etat=nimporte").status_code == 400


# --- minutes -------------------------------------------------------------------------------


def _minutes_data(**extra):
    data = {
        "title": "CR du Café Projets",
        "held_at": "2026-11-05T19:00",
        "attendees": "Awa Diallo\nJean Morel\nLéa Visiteuse",
        "body": "On a parlé du **local**. <script>alert(1)</script>",
        "decisions": "- Relancer la mairie",
    }
    data.update(extra)
    return data


def test_secretary_writes_minutes_with_actions_then_publishes(
    client, auth, db, evening, make_meetup
):
    meetup, claire, awa, jean = (
        evening["meetup"],
        evening["claire"],
        evening["awa"],
        evening["jean"],
    )
    auth.login_as(claire)
    form = client.get(f"/rencontres/{meetup.id}/compte-rendu")
    assert form.status_code == 200
    # attendees pre-filled from the check-in
    assert "Awa Diallo" in form.text and "Léa Visiteuse" in form.text
    response = client.post(
        f"/rencontres/{meetup.id}/compte-rendu",
        data=_minutes_data(
            **{
                "actions-0-description": "Envoyer la liste des contacts",
                "actions-0-owner_id": str(awa.id),
                "actions-0-due_on": "2026-12-15",
                "actions-1-description": "Visiter le local",
                "actions-1-owner_id": str(jean.id),
                "actions-1-due_on": "",
            }
        ),
    )
    assert response.status_code == 302
    minutes = db.session.scalar(select(Minutes))
    assert [a.description for a in minutes.actions] == [
        "Envoyer la liste des contacts",
        "Visiter le local",
    ]
    assert minutes.actions[0].due_on == date(2026, 12, 15)
    # a draft is not for attendees yet
    auth.login_as(awa)
    assert client.get(f"/comptes-rendus/{minutes.id}").status_code == 403

    auth.login_as(claire)
    client.post(f"/comptes-rendus/{minutes.id}/publier")
    client.post(f"/comptes-rendus/{minutes.id}/publier")  # a second click changes nothing
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "meetups_minutes")
    ).all()
    assert sorted(told) == sorted([awa.id, jean.id])  # attendees, each told once

    auth.login_as(awa)
    page = client.get(f"/comptes-rendus/{minutes.id}").text
    assert "<strong>local</strong>" in page and "<script>alert" not in page
    # the action is on Awa's dashboard until done
    home = client.get("/").text
    assert "Mes actions à faire" in home and "Envoyer la liste des contacts" in home
    action = minutes.actions[0]
    client.post(f"/comptes-rendus/actions/{action.id}/faite", data={"next": "accueil"})
    client.post(f"/comptes-rendus/actions/{action.id}/faite")
    db.session.refresh(action)
    assert action.done_at is not None and action.done_by_id == awa.id
    assert "Envoyer la liste des contacts" not in client.get("/").text
    # Awa may not close Jean's action
    assert client.post(f"/comptes-rendus/actions/{minutes.actions[1].id}/faite").status_code == 403

    # a stranger reads nothing
    auth.login_as(evening["ines"])  # registered but never came
    assert client.get(f"/comptes-rendus/{minutes.id}").status_code == 403

    # the next meeting of the series shows the open action in its agenda
    nxt = make_meetup("Café Projets de décembre", organiser=claire)
    auth.login_as(claire)
    page = client.get(f"/rencontres/{nxt.id}").text
    assert "le suivi des actions" in page
    assert "Visiter le local" in page and "Envoyer la liste des contacts" not in page


def test_minutes_refuse_a_long_text_and_an_owner_who_did_not_come(client, auth, db, evening):
    meetup = evening["meetup"]
    auth.login_as(evening["claire"])
    response = client.post(
        f"/rencontres/{meetup.id}/compte-rendu", data=_minutes_data(title="x" * 10_000)
    )
    assert response.status_code == 200
    assert "160" in response.text
    response = client.post(
        f"/rencontres/{meetup.id}/compte-rendu",
        data=_minutes_data(
            **{
                "actions-0-description": "Quelque chose",
                "actions-0-owner_id": str(evening["ines"].id),
            }
        ),
    )
    assert db.session.scalar(select(func.count(Minutes.id))) == 0


def test_working_group_minutes_shared_with_the_group(
    client, auth, db, make_group, make_member, make_organiser
):
    nadia = make_member("Nadia Animatrice")
    bob = make_member("Bob Membre")
    group = make_group("ESS", members=[bob], organisers=[nadia])
    outsider = make_member("Extérieur")
    auth.login_as(nadia)
    assert client.get(f"/comptes-rendus/nouveau?groupe={group.id}").status_code == 200
    client.post(
        f"/comptes-rendus/nouveau?groupe={group.id}",
        data=_minutes_data(
            share_with_group="y",
            **{"actions-0-description": "Préparer le budget", "actions-0-owner_id": str(bob.id)},
        ),
    )
    minutes = db.session.scalar(select(Minutes))
    assert minutes.group_id == group.id and minutes.meetup_id is None
    client.post(f"/comptes-rendus/{minutes.id}/publier")
    auth.login_as(bob)
    assert client.get(f"/comptes-rendus/{minutes.id}").status_code == 200
    assert "CR du Café Projets" in client.get(f"/groupes/{group.slug}").text
    auth.login_as(outsider)
    assert client.get(f"/comptes-rendus/{minutes.id}").status_code == 403
    assert "CR du Café Projets" not in client.get(f"/groupes/{group.slug}").text
    auth.login_as(bob)
    assert client.get(f"/comptes-rendus/nouveau?groupe={group.id}").status_code == 403


# --- satisfaction survey -------------------------------------------------------------------


def _links(outbox, address):
    mails = outbox.to(address)
    return re.findall(r"https?://\S+/questionnaire/\S+", mails[-1].body_text) if mails else []


def test_survey_sent_to_attendees_answered_once_and_anonymous(
    client, auth, db, evening, outbox, app
):
    meetup = evening["meetup"]
    auth.login_as(evening["claire"])
    client.post(f"/rencontres/{meetup.id}/questionnaire")
    client.post(f"/rencontres/{meetup.id}/questionnaire")  # once only
    survey = db.session.scalar(select(MeetupSurvey))
    assert survey.invited_count == 3
    assert db.session.scalar(select(func.count(MeetupSurvey.id))) == 1
    (visitor_link,) = _links(outbox, "lea@exemple.fr")
    member_note = db.session.scalar(
        select(Notification).where(
            Notification.user_id == evening["awa"].id, Notification.kind == "meetups_survey"
        )
    )
    assert member_note is not None
    # Inès registered but did not come: not invited
    assert (
        db.session.scalar(
            select(Notification).where(
                Notification.user_id == evening["ines"].id, Notification.kind == "meetups_survey"
            )
        )
        is None
    )

    # the visitor answers without an account
    auth.logout()
    path = visitor_link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "anonymes" in page.text
    answer = {"satisfaction": "5", "usefulness": "4", "recommend": "yes", "comment": "Super"}
    assert client.post("/" + path, data=answer).status_code == 302
    again = client.post("/" + path, data={**answer, "satisfaction": "1"})
    assert "Vous avez répondu" in client.get("/" + path).text
    assert again.status_code in (200, 302)
    response = db.session.scalar(select(SurveyResponse))
    assert response.satisfaction == 5 and response.is_visitor
    # the answer names nobody
    columns = set(SurveyResponse.__table__.columns.keys())
    assert not columns & {"registration_id", "user_id", "email", "name"}

    # a member answers through the site; another member cannot use that link
    awa_url = member_note.url
    auth.login_as(evening["jean"])
    assert client.get(awa_url).status_code == 403
    auth.login_as(evening["awa"])
    client.post(awa_url, data={"satisfaction": "3", "recommend": "no"})
    assert db.session.scalar(select(func.count(SurveyResponse.id))) == 2

    results = surveys.results_for([meetup.id])[meetup.id]
    assert (results.responses, results.invited, results.response_rate) == (2, 3, 67)
    assert results.satisfaction_avg == 4.0 and results.recommend_percent == 50

    # on the summary and in the impact dashboard's indicators
    page = client.get(f"/rencontres/{meetup.id}").text
    assert "4,0&nbsp;/&nbsp;5" in page and "taux de réponse (2 sur 3)" in page
    assert "meetup_satisfaction" in registry.indicators
    assert "meetup_survey_response_rate" in registry.indicators


def test_double_submit_records_one_answer(live_server, db, evening, outbox):
    from tremplin.meetups import surveys as s

    meetup = evening["meetup"]
    with live_server.app.test_request_context():
        survey = s.send(evening["claire"], meetup)
        db.session.commit()
        token = s.survey_token(survey, evening["regs"]["visitor"])
    url = f"{live_server.url}/questionnaire/{token}"
    session = requests.Session()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', session.get(url).text)
    csrf = csrf or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', session.get(url).text)
    data = {"csrf_token": csrf.group(1), "satisfaction": "4"}
    barrier = threading.Barrier(4)
    statuses = []

    def submit():
        barrier.wait()
        statuses.append(session.post(url, data=data, allow_redirects=False).status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(code in (200, 302) for code in statuses), statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count(SurveyResponse.id))) == 1
    assert db.session.scalar(select(func.count(SurveyReceipt.id))) == 1


def test_organisers_adapt_the_questions_of_a_series(client, auth, db, evening, outbox):
    auth.login_as(evening["claire"])
    client.post(
        "/rencontres/questionnaire/questions",
        data={
            "satisfaction": "La soirée vous a-t-elle plu ?",
            "usefulness": "",
            "recommend": "En parleriez-vous autour de vous ?",
            "comment": "",
            "extra": "Le lieu convenait-il ?",
        },
    )
    client.post(f"/rencontres/{evening['meetup'].id}/questionnaire")
    (link,) = _links(outbox, "lea@exemple.fr")
    auth.logout()
    page = client.get("/" + link.split("://", 1)[1].split("/", 1)[1]).text
    assert "La soirée vous a-t-elle plu ?" in page and "Le lieu convenait-il ?" in page
    assert "La soirée vous a-t-elle été utile ?" in page  # empty: the default wording
    auth.login_as(evening["karim"])
    assert client.get("/rencontres/questionnaire/questions").status_code == 403


def test_satisfaction_records_page_and_indicator(client, auth, db, evening, app):
    meetup = evening["meetup"]
    with app.test_request_context():
        survey = surveys.send(evening["claire"], meetup)
        surveys.answer(survey, evening["regs"]["awa"], surveys.Answer(satisfaction=5))
        surveys.answer(survey, evening["regs"]["jean"], surveys.Answer(satisfaction=2))
        db.session.commit()
    from tremplin.platform.impact import parse_filters

    with app.test_request_context():
        filters = parse_filters({"periode": "annee", "annee": str(meetup.starts_at.year)})
        assert registry.indicators["meetup_satisfaction"].compute(filters) == 50
        assert registry.indicators["meetup_survey_response_rate"].compute(filters) == 67
        url = registry.indicators["meetup_satisfaction"].records(filters)
    auth.login_as(evening["claire"])
    page = client.get(url).text
    assert "Café Projets de novembre" in page and "2 / 3" in page and "67 %" in page
    auth.login_as(evening["awa"])
    assert client.get(url).status_code == 403


def test_action_owner_check_is_safe_twice(db, app, evening):
    """mark_done is a guarded UPDATE: the second call reports it did nothing."""
    with app.test_request_context():
        minutes = minutes_services.save(
            evening["claire"],
            minutes_services.MinutesInput(
                title="CR",
                held_at=evening["meetup"].starts_at,
                actions=[minutes_services.ActionInput("Appeler", evening["awa"].id)],
            ),
            meetup=evening["meetup"],
        )
        action = minutes.actions[0]
        assert minutes_services.mark_done(evening["awa"], action) is True
        assert minutes_services.mark_done(evening["claire"], action) is False
        assert db.session.get(MinutesAction, action.id).done_by_id == evening["awa"].id


def test_the_summary_page_loads_in_a_fixed_number_of_statements(
    client,
    auth,
    db,
    make_organiser,
    make_member,
    make_project,
    make_meetup,
    register,
    make_commitment,
    count_statements,
):
    claire = make_organiser("Claire")

    def evening_of(n):
        project = make_project(make_member())
        meetup = make_meetup(
            organiser=claire, projects=[project], starts_in=timedelta(hours=-3), hours=2
        )
        table = ProposalTable(meetup_id=meetup.id, number=1)
        db.session.add(table)
        db.session.flush()
        for i in range(n):
            member = make_member()
            register(meetup, member, checked_in=True)
            db.session.add(
                TableProposal(table_id=table.id, project_id=project.id, body=f"Idée {i}")
            )
            make_commitment(
                project, member, meetup=meetup, kind=("skills", "time", "premises")[i % 3]
            )
        db.session.commit()
        with client.application.test_request_context():
            survey = surveys.send(claire, meetup)
            minutes_services.save(
                claire,
                minutes_services.MinutesInput(
                    title="CR",
                    held_at=meetup.starts_at,
                    actions=[minutes_services.ActionInput("Suivre", claire.id)],
                ),
                meetup=meetup,
            )
            db.session.commit()
        assert survey.invited_count == n
        return meetup

    small, big = evening_of(2), evening_of(12)
    auth.login_as(claire)
    counts = []
    for meetup in (small, big):
        client.get(f"/rencontres/{meetup.id}")  # warm up
        with count_statements() as counter:
            page = client.get(f"/rencontres/{meetup.id}")
        assert page.status_code == 200 and "Le bilan de la soirée" in page.text
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 31, counts  # 31: the signed-in member reloaded (cold measurement)


def test_editing_minutes_keeps_done_actions_and_edits_the_open_ones(client, auth, db, app, evening):
    claire, awa, jean = evening["claire"], evening["awa"], evening["jean"]
    with app.test_request_context():
        minutes = minutes_services.save(
            claire,
            minutes_services.MinutesInput(
                title="CR",
                held_at=evening["meetup"].starts_at,
                actions=[
                    minutes_services.ActionInput("Déjà faite", awa.id),
                    minutes_services.ActionInput("Encore ouverte", jean.id),
                ],
            ),
            meetup=evening["meetup"],
        )
        minutes_services.mark_done(awa, minutes.actions[0])
        db.session.commit()
    auth.login_as(claire)
    form = client.get(f"/comptes-rendus/{minutes.id}/modifier").text
    assert 'value="Encore ouverte"' in form and 'value="Déjà faite"' not in form
    client.post(
        f"/comptes-rendus/{minutes.id}/modifier",
        data=_minutes_data(
            **{
                "actions-0-description": "Encore ouverte, précisée",
                "actions-0-owner_id": str(jean.id),
            }
        ),
    )
    db.session.expire_all()
    actions = db.session.scalars(select(MinutesAction).order_by(MinutesAction.position)).all()
    assert [(a.description, a.is_done) for a in actions] == [
        ("Déjà faite", True),
        ("Encore ouverte, précisée", False),
    ]
