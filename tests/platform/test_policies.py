"""Site roles: what members, organisers and administrators may do."""

from __future__ import annotations

from flask_login import AnonymousUserMixin

from tremplin.platform import policies


def test_roles_answer_the_site_questions(db, make_member, make_organiser):
    member, organiser = make_member("Awa"), make_organiser("Claire")
    admin = make_member("Bernadette", site_role="admin")
    visitor = AnonymousUserMixin()
    assert [policies.is_organiser(u) for u in (visitor, member, organiser, admin)] == [
        False,
        False,
        True,
        True,
    ]
    assert [policies.is_admin(u) for u in (visitor, member, organiser, admin)] == [
        False,
        False,
        False,
        True,
    ]
    assert policies.can_view_impact_dashboard(organiser) and not policies.can_view_impact_dashboard(
        member
    )


def test_nobody_captures_the_site_alone(db, make_member, make_organiser):
    member, claire, lakdar = make_member("Awa"), make_organiser("Claire"), make_organiser("Lakdar")
    admin = make_member("Bernadette", site_role="admin")
    assert policies.can_change_site_role(claire, member, "organiser")
    assert not policies.can_change_site_role(claire, claire, "admin")  # not oneself
    assert not policies.can_change_site_role(claire, member, "admin")  # only admins make admins
    assert not policies.can_change_site_role(claire, admin, "member")
    assert policies.can_change_site_role(admin, claire, "member")
    assert policies.can_suspend(claire, member) and not policies.can_suspend(claire, lakdar)
    assert policies.can_suspend(admin, lakdar) and not policies.can_suspend(member, claire)


def test_suspended_organiser_loses_the_role(db, make_organiser):
    from tremplin.platform.types import utcnow

    claire = make_organiser("Claire")
    claire.suspended_at = utcnow()
    assert not policies.is_organiser(claire)


def test_one_current_member_helper_for_every_module(db, make_member):
    """`member_id`/`is_self` answer "who is acting" for every module's policies: an
    anonymous visitor, a suspended or a deleted account is nobody."""
    from tremplin.groups import policies as groups
    from tremplin.members import policies as members
    from tremplin.platform.types import utcnow

    awa, karim = make_member("Awa"), make_member("Karim")
    suspended, deleted = make_member("Suspendu"), make_member("Supprimé")
    suspended.suspended_at = utcnow()
    deleted.deleted_at = utcnow()
    visitor = AnonymousUserMixin()
    assert [policies.member_id(u) for u in (None, visitor, suspended, deleted)] == [None] * 4
    assert policies.member_id(awa) == awa.id
    assert policies.is_self(awa, awa) and policies.is_self(awa, awa.id)
    assert not policies.is_self(awa, karim) and not policies.is_self(awa, None)
    assert not policies.is_self(suspended, suspended)
    # The modules ask the same question: a suspended member edits no profile, joins nothing.
    assert members.can_edit_profile(awa, awa) and not members.can_edit_profile(suspended, suspended)
    assert members.can_view_directory(awa) and not members.can_view_directory(suspended)
    assert groups.get_membership(suspended, type("G", (), {"id": 1})()) is None
