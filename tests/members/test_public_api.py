"""What other modules rely on: the public functions of `tremplin.members` and its signals."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from flask_login import AnonymousUserMixin

from tremplin import members
from tremplin.members import journal, needs, projects, signals


@contextmanager
def recording(signal):
    received = []

    def receiver(sender, **kwargs):
        received.append((sender, kwargs))

    signal.connect(receiver)
    try:
        yield received
    finally:
        signal.disconnect(receiver)


def test_services_announce_what_they_did(app, db, make_member, make_organiser):
    karim, claire = make_member("Karim"), make_organiser("Claire")
    with app.test_request_context():
        with recording(signals.project_created) as created:
            project = projects.create_project(
                karim,
                projects.ProjectFields(
                    title="L’Éco-retoucherie",
                    pitch="Retouches et recyclage textile.",
                    description=None,
                    theme="textile",
                    stage="idee",
                    commune=None,
                    departement=None,
                    visibility="public",
                ),
            )
        assert created == [(project, {"by": karim})]
        with recording(signals.need_created) as new_needs:
            need = needs.create_need(
                project, karim, needs.NeedFields(kind="local", title="Un atelier")
            )
        assert new_needs[0][0] is need
        with (
            recording(signals.milestone_declared) as declared,
            recording(signals.milestone_confirmed) as confirmed,
        ):
            milestone = journal.declare_milestone(
                project, karim, kind="legal_entity", occurred_on=date(2025, 1, 15)
            )
            journal.confirm_milestone(milestone, claire)
        assert declared[0][0] is milestone and confirmed == [(milestone, {"by": claire})]


def test_public_functions_answer_for_other_modules(
    app, db, make_member, make_profile, make_project
):
    karim, elodie, awa = make_member("Karim"), make_member("Élodie"), make_member("Awa")
    make_profile(awa, roles=["mentor"], visibility={"roles": "members"})
    project = make_project(karim, team=[elodie], visibility="members")

    assert members.get_project(project.id) is project and members.get_project(999999) is None
    assert [p.id for p in members.projects_of(elodie)] == [project.id]
    assert members.is_project_team_member(elodie, project)
    assert not members.is_project_team_member(awa, project)
    assert members.can_edit_project(elodie, project) and not members.can_edit_project(awa, project)
    visitor = AnonymousUserMixin()
    assert not members.can_view_project(visitor, project) and members.can_view_project(awa, project)

    assert [u.id for u in members.users_with_role("mentor", viewer=karim)] == [awa.id]
    assert members.users_with_role("mentor", viewer=visitor) == []  # hidden from visitors

    with app.test_request_context():
        someone = members.person(visitor, karim)
    assert someone.display_name == "Karim" and someone.url == f"/membres/{karim.id}"
    assert members.visible_profile(visitor, awa).roles == []
    assert members.visible_profile(karim, awa).roles == ["mentor"]
