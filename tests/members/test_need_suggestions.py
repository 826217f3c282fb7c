"""Who could help: needs matched to members both ways, with reasons; invitations; the
organisers' list; the privacy of what explains a suggestion."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tremplin.members import invitations, suggestions
from tremplin.members.models import (
    PROFILE_FIELDS,
    HelpPreference,
    Need,
    NeedInvitation,
    NeedSuggestionDismissal,
    Profile,
    ProfileTag,
    Project,
)
from tremplin.platform.models import Notification, User
from tremplin.platform.types import utcnow


@pytest.fixture
def prefer(db):
    def set_preference(user, **values):
        db.session.add(HelpPreference(user_id=user.id, **values))
        db.session.commit()

    return set_preference


@pytest.fixture
def premises(make_member, make_project, make_need):
    """A tailoring project in Seine-Saint-Denis looking for a workshop."""
    owner = make_member("Awa Diallo")
    project = make_project(owner, title="Atelier de couture solidaire", departement="93")
    need = make_need(
        project,
        kind="local",
        title="Un local de 150 m² pour l’atelier de couture",
        description="Un rez-de-chaussée accessible, proche d’un métro.",
    )
    return owner, project, need


def names(found) -> list[str]:
    return [s.user.display_name for s in found]


def reason_kinds(found, name) -> set[str]:
    return {r.kind for s in found if s.user.display_name == name for r in s.reasons}


def test_premises_need_ranks_landlord_then_skills_then_neighbours(
    db, premises, make_member, make_profile, prefer
):
    owner, project, need = premises
    landlord = make_member("Bernard Bailleur")
    make_profile(landlord, departement="93")
    prefer(landlord, organisation_kind="bailleur")
    tailor = make_member("Coline Couture")
    make_profile(tailor, skills=["Couture"], departement="75")
    neighbour = make_member("Damien Voisin")
    make_profile(neighbour, departement="93")
    far_away = make_member("Eve Lointaine")
    make_profile(far_away, skills=["Chant"], departement="13")
    teammate = make_member("Fanny Équipe")
    make_profile(teammate, departement="93")

    from tremplin.members.models import ACCEPTED, TEAMMATE, ProjectMember

    db.session.add(
        ProjectMember(project_id=project.id, user_id=teammate.id, role=TEAMMATE, status=ACCEPTED)
    )
    db.session.commit()

    found = suggestions.suggestions_for_need(owner, suggestions.load_need(need.id))

    assert names(found) == ["Bernard Bailleur", "Coline Couture", "Damien Voisin"]
    assert reason_kinds(found, "Bernard Bailleur") == {"organisation", "territory", "available"}
    assert reason_kinds(found, "Coline Couture") == {"skill", "available"}
    assert reason_kinds(found, "Damien Voisin") == {"territory", "available"}
    texts = [str(r.text) for r in found[0].reasons]
    assert "Organisation : Propriétaire ou bailleur de locaux" in texts
    assert "Même département (Seine-Saint-Denis (93))" in texts
    assert [str(r.text) for r in found[1].reasons][0] == "Compétence : Couture"


def test_language_and_help_given_before_explain_a_suggestion(
    db, make_member, make_project, make_profile, make_need, make_help_offer
):
    owner = make_member("Porteuse")
    project = make_project(owner, departement="69")
    need = make_need(
        project,
        kind="competences",
        title="Traduire nos affiches en wolof",
        description="Pour le marché du samedi.",
    )
    speaker = make_member("Mamadou Wolof")
    make_profile(speaker, languages=["wo", "fr"], departement="75")
    helper = make_member("Sophie Habituée")
    make_profile(helper, departement="33")
    other = make_project(make_member("Autre porteur"))
    for title in ("Relire un dossier", "Conseils juridiques"):
        earlier = make_need(other, kind="competences", title=title)
        make_help_offer(earlier, helper, status="accepted")

    found = suggestions.suggestions_for_need(owner, suggestions.load_need(need.id))

    assert names(found) == ["Mamadou Wolof", "Sophie Habituée"]
    assert [str(r.text) for r in found[0].reasons] == ["Parle wolof", "Disponible pour aider"]
    assert str(found[1].reasons[0].text) == "A déjà aidé sur des besoins « Compétences » (2)"


def test_opted_out_unavailable_and_private_fields_never_suggest(
    db, premises, make_member, make_profile, prefer
):
    owner, project, need = premises
    quiet = make_member("Opt Out")
    make_profile(quiet, skills=["Couture"], departement="93")
    prefer(quiet, opted_out=True)
    busy = make_member("Pas Dispo")
    make_profile(busy, skills=["Couture"])
    prefer(busy, availability="unavailable")
    secret = make_member("Lieu Privé")
    make_profile(secret, departement="93", visibility={"location": "private"})
    hidden_skill = make_member("Compétence Privée")
    make_profile(hidden_skill, skills=["Couture"], visibility={"skills": "private"})

    found = suggestions.suggestions_for_need(owner, suggestions.load_need(need.id))

    assert found == []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=st.lists(
        st.fixed_dictionaries(
            {
                "skill": st.sampled_from([None, "Couture", "Comptabilité", "Menuiserie"]),
                "departement": st.sampled_from([None, "93", "75"]),
                "language": st.sampled_from([None, "wo", "en"]),
                "organisation": st.sampled_from([None, "bailleur", "financeur", "association"]),
                "opted_out": st.booleans(),
                "availability": st.sampled_from(["available", "occasional", "unavailable"]),
                "skills_level": st.sampled_from(["public", "members", "private"]),
                "location_level": st.sampled_from(["public", "members", "private"]),
                "languages_level": st.sampled_from(["public", "members", "private"]),
            }
        ),
        min_size=1,
        max_size=8,
    ),
    kind=st.sampled_from(["local", "competences", "partenariat", "financement"]),
)
def test_a_suggestion_never_rests_on_what_the_viewer_cannot_see(app, people, kind):
    """Property: whatever members hide or choose, a suggestion is never made for a member
    who opted out or is unavailable, and each reason rests on a field the viewer (a member
    of the team) may see."""
    owner = User(id=1, display_name="Équipe", email="e@x.fr")
    project = Project(id=1, title="P", pitch="p", departement="93", owner_id=1)
    project.memberships = []
    need = Need(
        id=1,
        project_id=1,
        kind=kind,
        title="Couture, comptabilité et menuiserie",
        description="Traduction en wolof et en anglais",
    )
    need.project = project
    need.offers = []
    users, prefs = [], {}
    for n, spec in enumerate(people, start=2):
        user = User(id=n, display_name=f"M{n}", email=f"m{n}@x.fr")
        profile = Profile(user_id=n, departement=spec["departement"])
        for name in PROFILE_FIELDS:
            setattr(profile, f"{name}_visibility", PROFILE_FIELDS[name])
        profile.skills_visibility = spec["skills_level"]
        profile.location_visibility = spec["location_level"]
        profile.languages_visibility = spec["languages_level"]
        tags = []
        if spec["skill"]:
            tags.append(ProfileTag(kind="skill", value=spec["skill"], key=spec["skill"].lower()))
        if spec["language"]:
            tags.append(ProfileTag(kind="language", value=spec["language"], key=spec["language"]))
        profile.tags = tags
        user.profile = profile
        users.append(user)
        prefs[n] = HelpPreference(
            user_id=n,
            opted_out=spec["opted_out"],
            availability=spec["availability"],
            organisation_kind=spec["organisation"],
        )

    with app.test_request_context():
        pool = suggestions.HelperPool.build(owner, users, prefs, {})
        found = pool.for_need(need)

    by_id = {u.id: spec for u, spec in zip(users, people, strict=True)}
    for suggestion in found:
        spec = by_id[suggestion.user.id]
        assert not spec["opted_out"] and spec["availability"] != "unavailable"
        kinds = {r.kind for r in suggestion.reasons}
        if "skill" in kinds:
            assert spec["skills_level"] != "private"
        if "territory" in kinds:
            assert spec["location_level"] != "private"
        if "language" in kinds:
            assert spec["languages_level"] != "private"
        assert kinds - {"available", "territory"} or (
            "territory" in kinds and kind in suggestions.TERRITORIAL_KINDS
        )


def test_team_sees_suggestions_and_invites_once(
    db, client, auth, premises, make_member, make_profile, outbox
):
    owner, project, need = premises
    landlord = make_member("Bernard Bailleur", email="bernard@exemple.fr")
    make_profile(landlord, skills=["Couture"], departement="93")
    auth.login_as(owner)

    page = client.get(f"/besoins/{need.id}/qui-peut-aider")
    assert page.status_code == 200
    assert "Bernard Bailleur" in page.text and "Compétence : Couture" in page.text

    first = client.post(f"/besoins/{need.id}/inviter/{landlord.id}")
    again = client.post(f"/besoins/{need.id}/inviter/{landlord.id}", follow_redirects=True)
    assert first.status_code == 302
    assert "déjà invitée" in again.text
    rows = db.session.scalars(select(NeedInvitation)).all()
    assert [(r.invitee_id, r.invited_by_id, r.status) for r in rows] == [
        (landlord.id, owner.id, "sent")
    ]
    assert "Compétence : Couture" in rows[0].reasons
    notice = db.session.scalars(select(Notification).where(Notification.user_id == landlord.id))
    assert any("vous invite à regarder le besoin" in n.text for n in notice)


def test_only_the_team_sees_suggestions(db, client, auth, premises, make_member):
    owner, project, need = premises
    assert client.get(f"/besoins/{need.id}/qui-peut-aider").status_code == 302  # log in first
    auth.login_as(make_member("Curieux"))
    assert client.get(f"/besoins/{need.id}/qui-peut-aider").status_code == 403
    assert client.post(f"/besoins/{need.id}/inviter/{owner.id}").status_code == 403


def test_an_opted_out_member_cannot_be_invited_even_by_a_forged_post(
    db, client, auth, premises, make_member, make_profile, prefer
):
    owner, project, need = premises
    quiet = make_member("Opt Out")
    make_profile(quiet, skills=["Couture"], departement="93")
    prefer(quiet, opted_out=True)
    auth.login_as(owner)
    answer = client.post(f"/besoins/{need.id}/inviter/{quiet.id}", follow_redirects=True)
    assert "ne fait pas partie des suggestions" in answer.text
    assert db.session.scalar(select(func.count()).select_from(NeedInvitation)) == 0


def test_invitations_per_need_are_limited(
    db, app, client, auth, premises, make_member, make_profile
):
    owner, project, need = premises
    app.config["NEED_INVITATIONS_PER_NEED"] = 2
    helpers = []
    for n in range(3):
        helper = make_member(f"Couturière {n}")
        make_profile(helper, skills=["Couture"])
        helpers.append(helper)
    auth.login_as(owner)
    for helper in helpers:
        client.post(f"/besoins/{need.id}/inviter/{helper.id}")
    assert db.session.scalar(select(func.count()).select_from(NeedInvitation)) == 2
    page = client.get(f"/besoins/{need.id}/qui-peut-aider")
    assert "Vous pouvez encore inviter 0 personne" in page.text


def test_two_teammates_inviting_at_once_send_one_invitation(
    app, db, premises, make_member, make_profile
):
    owner, project, need = premises
    helper = make_member("Couturière")
    make_profile(helper, skills=["Couture"])
    outcomes = []
    barrier = threading.Barrier(3)
    need_id, helper_id, owner_id = need.id, helper.id, owner.id

    def invite():
        with app.test_request_context():
            barrier.wait()
            try:
                invitations.invite(
                    db.session.get(Need, need_id),
                    db.session.get(User, helper_id),
                    db.session.get(User, owner_id),
                )
                db.session.commit()
                outcomes.append("sent")
            except invitations.InvitationRefused:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=invite) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["refused", "refused", "sent"]
    assert db.session.scalar(select(func.count()).select_from(NeedInvitation)) == 1


def test_invited_member_declines_in_one_click_or_offers_help(
    db, client, auth, premises, make_member, make_profile
):
    owner, project, need = premises
    a = make_member("Invitée Une")
    make_profile(a, skills=["Couture"])
    b = make_member("Invité Deux")
    make_profile(b, skills=["Couture"])
    with client.application.test_request_context():
        inv_a = invitations.invite(need, a, owner)
        inv_b = invitations.invite(need, b, owner)
        db.session.commit()

    auth.login_as(a)
    page = client.get(f"/besoins/{need.id}")
    assert "vous invite à regarder ce besoin" in page.text
    client.post(f"/invitations-besoin/{inv_a.id}/decliner")
    client.post(f"/invitations-besoin/{inv_a.id}/decliner")  # a double click
    db.session.refresh(inv_a)
    assert inv_a.status == "declined"
    assert "vous invite" not in client.get(f"/besoins/{need.id}").text

    auth.login_as(b)
    assert client.post(f"/invitations-besoin/{inv_a.id}/decliner").status_code == 404
    client.post(f"/besoins/{need.id}", data={"message": "J’ai un local rue de Paris."})
    db.session.refresh(inv_b)
    assert inv_b.status == "offered"


def test_member_sees_needs_they_could_help_with_and_sets_one_aside(
    db, client, auth, premises, make_member, make_profile
):
    owner, project, need = premises
    member = make_member("Coline Couture")
    make_profile(member, skills=["Couture"])
    auth.login_as(member)
    home = client.get("/")
    assert "Vous pourriez aider" in home.text and need.title in home.text
    assert "Compétence : Couture" in home.text
    client.post(f"/besoins/{need.id}/ecarter")
    client.post(f"/besoins/{need.id}/ecarter")
    assert db.session.scalar(select(func.count()).select_from(NeedSuggestionDismissal)) == 1
    assert need.title not in client.get("/").text


def test_opting_out_hides_the_panel_and_the_member(
    db, client, auth, premises, make_member, make_profile
):
    owner, project, need = premises
    member = make_member("Coline Couture")
    make_profile(member, skills=["Couture"])
    auth.login_as(member)
    saved = client.post(
        "/compte/entraide",
        data={"opted_out": "y", "availability": "available", "organisation_kind": ""},
    )
    assert saved.status_code == 302
    assert "Vous pourriez aider" not in client.get("/").text
    assert suggestions.suggestions_for_need(owner, suggestions.load_need(need.id)) == []


def test_preferences_refuse_an_unknown_choice_in_french(db, client, auth, make_member):
    auth.login_as(make_member())
    answer = client.post(
        "/compte/entraide", data={"availability": "toujours", "organisation_kind": "mafia"}
    )
    assert answer.status_code == 400
    assert "Not a valid choice" not in answer.text
    assert db.session.scalar(select(func.count()).select_from(HelpPreference)) == 0


def test_organisers_see_unanswered_needs_with_best_matches(
    db, client, auth, premises, make_member, make_profile, make_organiser, make_need
):
    owner, project, need = premises
    need.created_at = utcnow().replace(year=utcnow().year - 1)
    fresh = make_need(project, kind="local", title="Un second local tout neuf")
    db.session.commit()
    make_profile(make_member("Coline Couture"), skills=["Couture"])
    auth.login_as(make_member("Simple membre"))
    assert client.get("/animation/besoins-sans-reponse").status_code == 403
    auth.login_as(make_organiser())
    page = client.get("/animation/besoins-sans-reponse")
    assert page.status_code == 200
    assert need.title in page.text and fresh.title not in page.text
    assert "Coline Couture" in page.text


def test_digest_carries_the_top_three(
    app, db, premises, make_member, make_profile, make_need, make_project
):
    from tremplin.meetups.digest import build_digest

    owner, project, need = premises
    for n in range(4):
        make_need(project, kind="competences", title=f"Couture de rideaux n°{n}")
    member = make_member("Coline Couture")
    make_profile(member, skills=["Couture"])
    with app.test_request_context():
        digest = build_digest(member, since=utcnow())
    assert len(digest.needs) == 3


def test_the_suggestions_page_costs_a_fixed_number_of_statements(
    db, client, auth, premises, make_member, make_profile, count_statements, prefer
):
    owner, project, need = premises
    auth.login_as(owner)

    def add(n):
        for _ in range(n):
            member = make_member()
            make_profile(member, skills=["Couture"], languages=["wo"], departement="93")
            prefer(member, organisation_kind="bailleur")

    add(3)
    client.get(f"/besoins/{need.id}/qui-peut-aider")
    db.session.expire_all()  # both pages start from what the database holds
    with count_statements() as few:
        client.get(f"/besoins/{need.id}/qui-peut-aider")
    add(15)
    db.session.expire_all()
    with count_statements() as many:
        page = client.get(f"/besoins/{need.id}/qui-peut-aider")
    assert page.text.count('class="card suggestion"') == 18
    assert many.count == few.count


def test_need_delays_indicator(db, client, auth, premises, make_member, make_organiser):
    from datetime import timedelta

    from tremplin.members import help_impact, needs

    owner, project, need = premises
    need.created_at = utcnow() - timedelta(hours=10)
    db.session.commit()
    with client.application.test_request_context():
        needs.offer_help(need, make_member("Aide"), "Je connais un local libre.")
        db.session.commit()
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    assert 9.9 <= help_impact.hours_to_first_offer(start, end) <= 10.1
    auth.login_as(make_organiser())
    page = client.get("/impact/delais-des-besoins")
    assert page.status_code == 200 and need.title in page.text
    assert client.get("/impact/delais-des-besoins?etape=rien").status_code == 404
