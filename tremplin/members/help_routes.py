"""Views of "who could help": the team's suggestions for a need and its invitations, the
invited member's one-click decline, a member's suggestion settings and set-aside
suggestions, and the organisers' list of needs nobody answered.

Each view reads like the request lifecycle: load (404), policy (403), service, answer.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tremplin.members import bp, help_impact, invitations, policies, suggestions
from tremplin.members.forms import HelpPreferenceForm
from tremplin.members.models import NeedInvitation
from tremplin.platform.auth import organiser_required
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.hooks import AdminSection, register_admin_section
from tremplin.platform.models import User


def _need_or_404(need_id: int):
    need = suggestions.load_need(need_id)
    if need is None or not policies.can_view_need(current_user, need):
        abort(404)
    return need


@bp.route("/besoins/<int:need_id>/qui-peut-aider")
@login_required
def need_suggestions(need_id: int):
    need = _need_or_404(need_id)
    if not policies.can_see_need_suggestions(current_user, need):
        abort(403)
    found = suggestions.suggestions_for_need(current_user, need)
    sent = sum(1 for s in found if s.invitation is not None)
    return render_template(
        "members/need_suggestions.html",
        need=need,
        project=need.project,
        suggestions=found,
        invitations_left=max(0, invitations.setting("NEED_INVITATIONS_PER_NEED") - sent),
        form=EmptyForm(formdata=None),
    )


@bp.route("/besoins/<int:need_id>/inviter/<int:user_id>", methods=["POST"])
@login_required
def invite_helper(need_id: int, user_id: int):
    need = _need_or_404(need_id)
    if not policies.can_invite_for_need(current_user, need):
        abort(403)
    invitee = db.session.get(User, user_id)
    if invitee is None or invitee.is_deleted:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            invitations.invite(need, invitee, current_user)
        if outcome.ok:
            flash(
                _("%(name)s est invité·e à regarder ce besoin.", name=invitee.public_name),
                "success",
            )
        else:
            flash(str(outcome.error), "error")
    return redirect(url_for("members.need_suggestions", need_id=need.id))


@bp.route("/invitations-besoin/<int:invitation_id>/decliner", methods=["POST"])
@login_required
def decline_invitation(invitation_id: int):
    invitation = db.session.get(NeedInvitation, invitation_id)
    if invitation is None or not policies.can_answer_need_invitation(current_user, invitation):
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        invitations.decline(invitation, current_user)
        flash(_("C’est noté : l’équipe saura que vous ne pouvez pas aider cette fois."), "info")
    return redirect(url_for("members.need", need_id=invitation.need_id))


@bp.route("/besoins/<int:need_id>/ecarter", methods=["POST"])
@login_required
def dismiss_suggestion(need_id: int):
    need = _need_or_404(need_id)
    form = EmptyForm()
    if form.validate_on_submit():
        invitations.dismiss(current_user, need)
        flash(_("Ce besoin ne vous sera plus suggéré."), "info")
    return redirect(url_for("platform.home") + "#vous-pourriez-aider")


@bp.route("/compte/entraide", methods=["GET", "POST"])
@login_required
def help_preferences():
    if not policies.can_set_help_preferences(current_user):
        abort(403)
    preference = suggestions.preference_of(current_user)
    form = HelpPreferenceForm(obj=preference) if preference else HelpPreferenceForm()
    if request.method == "POST" and form.validate_on_submit():
        with form_errors(form) as outcome:
            invitations.save_preference(
                current_user,
                opted_out=form.opted_out.data,
                availability=form.availability.data,
                organisation_kind=form.organisation_kind.data or None,
            )
        if outcome.ok:
            flash(_("Vos réglages d’entraide sont enregistrés."), "success")
            return redirect(url_for("members.help_preferences"))
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template("members/help_preferences.html", form=form), status


@bp.route("/animation/besoins-sans-reponse")
@organiser_required
def unanswered_needs():
    if not policies.can_see_unanswered_needs(current_user):
        abort(403)
    days = invitations.setting("NEEDS_UNANSWERED_DAYS")
    return render_template(
        "members/unanswered_needs.html",
        rows=suggestions.unanswered_needs(current_user, days=days),
        days=days,
    )


def register() -> None:
    """Register this module's hooks (called from init_module)."""
    register_admin_section(
        AdminSection("members.unanswered_needs", _l("Besoins sans réponse"), order=35)
    )
    help_impact.register()
