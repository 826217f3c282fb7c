"""The organisers' administration: members, roles, suspension, and the action log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tremplin.platform import admin, bp, policies
from tremplin.platform.auth import organiser_required
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.hooks import registry
from tremplin.platform.models import AdminAction, User


class MemberFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Nom ou e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Rôle"),
        choices=[("", _l("Tous les rôles"))]
        + [(key, label) for key, label in admin.ROLE_LABELS.items()],
        validators=[Optional()],
    )
    state = SelectField(
        _l("État"),
        choices=[
            ("", _l("Tous")),
            ("suspended", _l("Suspendus")),
            ("unconfirmed", _l("E-mail non confirmé")),
        ],
        validators=[Optional()],
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Nouveau rôle"), choices=list(admin.ROLE_LABELS.items()))
    reason = TextAreaField(_l("Raison (facultative)"), validators=[Optional(), Length(max=500)])


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        _l("Raison"),
        validators=[
            DataRequired(_l("Indiquez la raison : elle est inscrite au journal d'administration.")),
            Length(max=500),
        ],
    )


@bp.app_template_global()
def admin_sections_for(user) -> list:
    """The modules' administration sections this user may open (for the menu)."""
    return [s for s in registry.admin_sections if not s.admins_only or policies.is_admin(user)]


@bp.route("/administration")
@organiser_required
def admin_home():
    counts = dict(
        db.session.execute(
            select(User.site_role, func.count(User.id))
            .where(User.deleted_at.is_(None))
            .group_by(User.site_role)
        ).all()
    )
    suspended = db.session.scalar(select(func.count(User.id)).where(User.suspended_at.is_not(None)))
    recent = db.session.scalars(
        select(AdminAction)
        .order_by(AdminAction.id.desc())
        .limit(10)
        .options(db.joinedload(AdminAction.actor))
    ).all()
    sections = [
        (s, s.count(current_user) if s.count else None) for s in admin_sections_for(current_user)
    ]
    return render_template(
        "platform/admin/home.html",
        counts=counts,
        suspended=suspended,
        recent=recent,
        sections=sections,
    )


@bp.route("/administration/membres")
@organiser_required
def admin_members():
    form = MemberFilterForm(request.args)
    form.validate()
    page = db.paginate(
        admin.member_search(form.q.data, form.role.data, form.state.data),
        per_page=25,
        max_per_page=100,
    )
    return render_template("platform/admin/members.html", form=form, page=page)


def _member_page(target: User, role_form=None, suspend_form=None, status: int = 200):
    log = db.session.scalars(
        select(AdminAction)
        .where(AdminAction.target_type == "user", AdminAction.target_id == target.id)
        .order_by(AdminAction.id.desc())
        .limit(20)
        .options(db.joinedload(AdminAction.actor))
    ).all()
    return render_template(
        "platform/admin/member.html",
        target=target,
        log=log,
        role_form=role_form or RoleForm(role=target.site_role, prefix="role"),
        suspend_form=suspend_form or SuspendForm(prefix="suspend"),
        can_suspend=policies.can_suspend(current_user, target),
        roles_allowed=[
            r
            for r in admin.ROLE_LABELS
            if r != target.site_role and policies.can_change_site_role(current_user, target, r)
        ],
    ), status


@bp.route("/administration/membres/<int:user_id>")
@organiser_required
def admin_member(user_id: int):
    target = db.get_or_404(User, user_id)
    if target.is_deleted:
        abort(404)
    return _member_page(target)


@bp.route("/administration/membres/<int:user_id>/role", methods=["POST"])
@organiser_required
def admin_change_role(user_id: int):
    target = db.get_or_404(User, user_id)
    form = RoleForm(prefix="role")
    if form.validate_on_submit():
        if not policies.can_change_site_role(current_user, target, form.role.data):
            abort(403)
        with form_errors(form, field="role") as outcome:
            admin.change_role(current_user, target, form.role.data, form.reason.data)
        if outcome.ok:
            flash(_("Rôle de %(name)s modifié.", name=target.display_name), "success")
            return redirect(url_for("platform.admin_member", user_id=target.id))
    return _member_page(target, role_form=form)


@bp.route("/administration/membres/<int:user_id>/suspension", methods=["POST"])
@organiser_required
def admin_suspend(user_id: int):
    target = db.get_or_404(User, user_id)
    if not policies.can_suspend(current_user, target):
        abort(403)
    form = SuspendForm(prefix="suspend")
    lifting = request.form.get("action") == "lift"
    if lifting or form.validate_on_submit():
        with form_errors(form) as outcome:
            if lifting:
                admin.unsuspend(current_user, target, request.form.get("suspend-reason"))
            else:
                admin.suspend(current_user, target, form.reason.data)
        if outcome.ok:
            flash(
                _("Compte rétabli.")
                if lifting
                else _("Compte suspendu : ses sessions sont fermées."),
                "success",
            )
            return redirect(url_for("platform.admin_member", user_id=target.id))
    return _member_page(target, suspend_form=form)


@bp.route("/administration/journal")
@organiser_required
def admin_log():
    page = db.paginate(
        select(AdminAction)
        .order_by(AdminAction.id.desc())
        .options(db.joinedload(AdminAction.actor)),
        per_page=50,
        max_per_page=200,
    )
    return render_template("platform/admin/log.html", page=page)
