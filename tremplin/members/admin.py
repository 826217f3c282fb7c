"""The members' section of the organisers' administration: the queue of milestones that
teams declared and an organiser must confirm before the impact dashboard counts them.
Confirming goes through journal.confirm_milestone (same policy, logged there)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tremplin.members import bp, journal, policies
from tremplin.members.models import Milestone, Project, ProjectMember
from tremplin.platform.auth import organiser_required
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.hooks import AdminSection, register_admin_section

PER_PAGE = 50


def awaiting_count(user=None) -> int:
    return int(
        db.session.scalar(select(func.count(Milestone.id)).where(Milestone.confirmed_at.is_(None)))
        or 0
    )


@bp.route("/administration/jalons")
@organiser_required
def admin_milestones():
    from flask_login import current_user

    page = db.paginate(
        select(Milestone)
        .where(Milestone.confirmed_at.is_(None))
        .options(
            joinedload(Milestone.project).selectinload(Project.memberships),
            joinedload(Milestone.declared_by),
        )
        .order_by(Milestone.declared_at, Milestone.id),
        per_page=PER_PAGE,
        error_out=False,
    )
    confirmable = {m.id for m in page.items if policies.can_confirm_milestone(current_user, m)}
    return render_template(
        "members/admin_milestones.html",
        page=page,
        confirmable=confirmable,
        form=EmptyForm(formdata=None),
    )


def _milestone_or_404(milestone_id: int) -> Milestone:
    """A declared milestone with what its pages and policies read (team, declarer)."""
    milestone = db.session.scalar(
        select(Milestone)
        .where(Milestone.id == milestone_id)
        .options(
            joinedload(Milestone.project)
            .selectinload(Project.memberships)
            .joinedload(ProjectMember.user),
            joinedload(Milestone.declared_by),
        )
    )
    if milestone is None:
        abort(404)
    return milestone


def _milestone_to_decide(milestone_id: int, user) -> Milestone | None:
    """The milestone `user` confirms or refuses; None when it is already confirmed (said in
    a flash message: the caller goes back to the list); 403 for whoever may not decide."""
    milestone = _milestone_or_404(milestone_id)
    if milestone.is_confirmed:
        flash(_("Ce jalon est déjà confirmé."), "info")
        return None
    if not policies.can_confirm_milestone(user, milestone):
        abort(403)
    return milestone


@bp.route("/administration/jalons/<int:milestone_id>/confirmer", methods=["POST"])
@organiser_required
def admin_milestones_confirm(milestone_id: int):
    from flask_login import current_user

    milestone = _milestone_to_decide(milestone_id, current_user)
    if milestone is None:
        return redirect(url_for("members.admin_milestones"))
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        journal.confirm_milestone(milestone, current_user)
    except DomainError as exc:  # pragma: no cover - the policy was checked above
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(
            _("Jalon confirmé : il compte désormais dans le tableau de bord d’impact."), "success"
        )
    return redirect(url_for("members.admin_milestones"))


@bp.route("/administration/jalons/<int:milestone_id>/refuser", methods=["GET", "POST"])
@organiser_required
def admin_milestones_reject(milestone_id: int):
    from flask_login import current_user

    from tremplin.members.forms import RejectMilestoneForm

    milestone = _milestone_to_decide(milestone_id, current_user)
    if milestone is None:
        return redirect(url_for("members.admin_milestones"))
    form = RejectMilestoneForm()
    if form.validate_on_submit():
        journal.reject_milestone(milestone, current_user, form.reason.data)
        flash(_("Jalon non confirmé : l’équipe a reçu votre message."), "success")
        return redirect(url_for("members.admin_milestones"))
    return render_template("members/admin_milestone_reject.html", milestone=milestone, form=form)


def register() -> None:
    register_admin_section(
        AdminSection(
            "members.admin_milestones", _l("Jalons à confirmer"), order=30, count=awaiting_count
        )
    )
