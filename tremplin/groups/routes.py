"""Group pages: the list, a group, its charter, members and moderation.

Views follow the lifecycle: load (404) → policy (403) → service → render/redirect.
Channels, conversations and messages are in chat_routes.py.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.groups import bp, chat, group_panels, live, moderation, policies
from tremplin.groups import groups as services
from tremplin.groups.forms import (
    AcceptCharterForm,
    BanForm,
    ChannelForm,
    CharterForm,
    GroupForm,
    InviteForm,
    JoinForm,
    MuteForm,
    NewGroupForm,
    ReasonForm,
    RoleForm,
)
from tremplin.groups.models import Group, GroupCharter, GroupMembership, ModerationLogEntry
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.models import User
from tremplin.platform.vocabulary import THEME_LABELS, THEMES


@bp.before_app_request
def _fresh_unread_cache():
    chat.forget_cached_unread()


def load_group(slug: str, with_channels: bool = True) -> Group:
    stmt = select(Group).where(Group.slug == slug)
    if with_channels:
        stmt = stmt.options(selectinload(Group.channels))
    return db.first_or_404(stmt)


def _back(default: str) -> str:
    from tremplin.platform.account_routes import safe_next

    target = request.form.get("next")
    return safe_next(target) if target else default


# --- list and creation ----------------------------------------------------------------


@bp.route("/groupes")
def index():
    theme = request.args.get("theme")
    stmt = select(Group).order_by(Group.name)
    if theme in THEME_LABELS:
        stmt = stmt.where(Group.theme == theme)
    else:
        theme = None
    groups = db.session.scalars(stmt).all()
    counts = services.member_counts([g.id for g in groups])
    mine: dict[int, str] = {}
    if current_user.is_authenticated:
        mine = dict(
            db.session.execute(
                select(GroupMembership.group_id, GroupMembership.state).where(
                    GroupMembership.user_id == current_user.id
                )
            ).all()
        )
    unread = chat.unread_counts(current_user)
    return render_template(
        "groups/index.html",
        groups=groups,
        counts=counts,
        mine=mine,
        unread=unread,
        theme=theme,
        themes=THEMES,
        can_create=policies.can_create_group(current_user),
    )


@bp.route("/groupes/nouveau", methods=["GET", "POST"])
@login_required
def new_group():
    if not policies.can_create_group(current_user):
        abort(403)
    form = NewGroupForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            group = services.create_group(
                current_user,
                services.GroupFields(
                    name=form.name.data,
                    description=form.description.data,
                    theme=form.theme.data,
                    visibility=form.visibility.data,
                    log_audience=form.log_audience.data,
                ),
                charter=form.charter.data or "",
            )
        if outcome.ok:
            flash(
                _(
                    "Le groupe « %(name)s » est créé. Invitez ses premiers membres !",
                    name=group.name,
                ),
                "success",
            )
            return redirect(url_for("groups.group", slug=group.slug))
    return render_template("groups/group_form.html", form=form, group=None)


# --- a group --------------------------------------------------------------------------


@bp.route("/groupes/<slug>")
def group(slug: str):
    group = load_group(slug)
    membership = policies.get_membership(current_user, group)
    can_read = policies.can_read_group(current_user, group)
    people = db.session.scalars(
        select(GroupMembership)
        .options(joinedload(GroupMembership.user))
        .where(
            GroupMembership.group_id == group.id,
            GroupMembership.state == "active",
            GroupMembership.role.in_(("organiser", "resource")),
        )
        .order_by(GroupMembership.joined_at)
    ).all()
    member_count = services.member_counts([group.id]).get(group.id, 0)
    online = live.online_members(group.id) if can_read else []
    pending_count = 0
    if policies.can_moderate(current_user, group):
        pending_count = db.session.scalar(
            select(func.count(GroupMembership.id)).where(
                GroupMembership.group_id == group.id, GroupMembership.state == "pending"
            )
        )
    panels = []
    for panel in group_panels:
        context = panel.loader(group, current_user)
        if context is not None:
            panels.append((panel, context))
    return render_template(
        "groups/group.html",
        group=group,
        membership=membership,
        can_read=can_read,
        organisers=[m for m in people if m.role == "organiser"],
        resource_people=[m for m in people if m.role == "resource"],
        member_count=member_count,
        online=online,
        pending_count=pending_count,
        panels=panels,
        unread=chat.unread_counts(current_user),
        join_form=JoinForm(),
        form=EmptyForm(),
        can_moderate=policies.can_moderate(current_user, group),
        is_banned=policies.is_banned(membership),
        needs_charter=policies.must_accept_charter(membership, group),
    )


@bp.route("/groupes/<slug>/modifier", methods=["GET", "POST"])
@login_required
def edit_group(slug: str):
    group = load_group(slug, with_channels=False)
    if not policies.can_manage_group(current_user, group):
        abort(403)
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.update_group(
                current_user,
                group,
                services.GroupFields(
                    name=form.name.data,
                    description=form.description.data,
                    theme=form.theme.data,
                    visibility=form.visibility.data,
                    log_audience=form.log_audience.data,
                ),
            )
        if outcome.ok:
            flash(_("Le groupe est mis à jour."), "success")
            return redirect(url_for("groups.group", slug=group.slug))
    return render_template("groups/group_form.html", form=form, group=group)


# --- charter --------------------------------------------------------------------------


@bp.route("/groupes/<slug>/charte")
def charter(slug: str):
    group = load_group(slug, with_channels=False)
    versions = db.session.scalars(
        select(GroupCharter)
        .where(GroupCharter.group_id == group.id)
        .order_by(GroupCharter.version.desc())
    ).all()
    membership = policies.get_membership(current_user, group)
    return render_template(
        "groups/charter.html",
        group=group,
        versions=versions,
        membership=membership,
        accept_form=AcceptCharterForm(),
        needs_acceptance=policies.must_accept_charter(membership, group),
        can_manage=policies.can_manage_group(current_user, group),
    )


@bp.route("/groupes/<slug>/charte/accepter", methods=["POST"])
@login_required
def accept_charter(slug: str):
    group = load_group(slug, with_channels=False)
    if not policies.is_member(current_user, group):
        abort(403)
    form = AcceptCharterForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.accept_charter(current_user, group)
        if outcome.ok:
            flash(_("Merci ! Vous pouvez de nouveau écrire dans le groupe."), "success")
            return redirect(_back(url_for("groups.group", slug=group.slug)))
    for error in form.accept_charter.errors or form.form_errors:
        flash(error, "error")
    return redirect(url_for("groups.charter", slug=group.slug))


@bp.route("/groupes/<slug>/charte/modifier", methods=["GET", "POST"])
@login_required
def edit_charter(slug: str):
    group = load_group(slug, with_channels=False)
    if not policies.can_manage_group(current_user, group):
        abort(403)
    current = services.current_charter(group)
    form = CharterForm(body=current.body if current else "")
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.publish_charter(current_user, group, form.body.data)
        if outcome.ok:
            flash(
                _(
                    "La nouvelle charte est publiée. Les membres l’accepteront à leur prochaine visite."
                ),
                "success",
            )
            return redirect(url_for("groups.charter", slug=group.slug))
    return render_template("groups/charter_form.html", group=group, form=form)


# --- membership -----------------------------------------------------------------------


@bp.route("/groupes/<slug>/rejoindre", methods=["POST"])
@login_required
def join(slug: str):
    group = load_group(slug, with_channels=False)
    form = JoinForm()
    if not form.validate_on_submit():
        abort(400)
    with form_errors(form) as outcome:
        membership = services.join(
            current_user,
            group,
            accept_charter=form.accept_charter.data,
            message=form.message.data or "",
        )
    if not outcome.ok:
        flash(outcome.error.message, "error")
    elif membership.state == "pending":
        flash(
            _(
                "Votre demande est envoyée aux animateurs du groupe. Vous serez prévenu de leur réponse."
            ),
            "success",
        )
    else:
        flash(_("Bienvenue dans le groupe « %(name)s » !", name=group.name), "success")
    return redirect(url_for("groups.group", slug=group.slug))


@bp.route("/groupes/<slug>/quitter", methods=["POST"])
@login_required
def leave(slug: str):
    group = load_group(slug)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with form_errors(form) as outcome:
        services.leave(current_user, group)
    if outcome.ok:
        flash(_("Vous avez quitté le groupe « %(name)s ».", name=group.name), "success")
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("groups.group", slug=group.slug))


@bp.route("/groupes/<slug>/invitation/refuser", methods=["POST"])
@login_required
def decline_invitation(slug: str):
    group = load_group(slug, with_channels=False)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with form_errors(form) as outcome:
        services.decline_invitation(current_user, group)
    if outcome.ok:
        flash(_("Invitation déclinée."), "info")
    return redirect(url_for("groups.index"))


@bp.route("/groupes/<slug>/membres")
@login_required
def members(slug: str):
    group = load_group(slug, with_channels=False)
    if not policies.can_read_group(current_user, group):
        abort(403)
    can_moderate = policies.can_moderate(current_user, group)
    page = db.paginate(
        select(GroupMembership)
        .options(joinedload(GroupMembership.user))
        .where(GroupMembership.group_id == group.id, GroupMembership.state == "active")
        .order_by(GroupMembership.role.desc(), GroupMembership.joined_at, GroupMembership.id),
        per_page=50,
        max_per_page=100,
    )
    pending = []
    if can_moderate:
        pending = db.session.scalars(
            select(GroupMembership)
            .options(joinedload(GroupMembership.user))
            .where(
                GroupMembership.group_id == group.id,
                GroupMembership.state.in_(("pending", "invited")),
            )
            .order_by(GroupMembership.created_at)
        ).all()
    online = live.online_user_ids()
    return render_template(
        "groups/members.html",
        group=group,
        page=page,
        pending=pending,
        can_moderate=can_moderate,
        online=online,
        form=EmptyForm(),
        invite_form=InviteForm(),
        role_form=RoleForm(),
    )


def _organiser_form_action(slug: str, form_class=EmptyForm):
    group = load_group(slug)
    if not policies.can_moderate(current_user, group):
        abort(403)
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    return group, form


@bp.route(
    "/groupes/<slug>/demandes/<int:membership_id>/<any(accepter, refuser):decision>",
    methods=["POST"],
)
@login_required
def decide_request(slug: str, membership_id: int, decision: str):
    group, form = _organiser_form_action(slug)
    with form_errors(form) as outcome:
        if decision == "accepter":
            services.approve_request(current_user, group, membership_id)
        else:
            services.decline_request(current_user, group, membership_id)
    if outcome.ok:
        flash(
            _("Demande acceptée.") if decision == "accepter" else _("Demande refusée."), "success"
        )
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("groups.members", slug=group.slug, _anchor="demandes"))


@bp.route("/groupes/<slug>/inviter", methods=["POST"])
@login_required
def invite(slug: str):
    group = load_group(slug, with_channels=False)
    if not policies.can_moderate(current_user, group):
        abort(403)
    form = InviteForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.invite(current_user, group, form.email.data)
        if outcome.ok:
            flash(
                _("Si cette adresse appartient à un membre du réseau, son invitation est envoyée."),
                "success",
            )
    else:
        flash(" ".join(form.email.errors) or _("Adresse invalide."), "error")
    return redirect(url_for("groups.members", slug=group.slug, _anchor="inviter"))


@bp.route("/groupes/<slug>/membres/<int:user_id>/role", methods=["POST"])
@login_required
def set_role(slug: str, user_id: int):
    group, form = _organiser_form_action(slug, RoleForm)
    target = db.get_or_404(User, user_id)
    with form_errors(form) as outcome:
        applied = services.set_role(
            current_user, group, target, form.role.data, reason=form.reason.data or ""
        )
    if not outcome.ok:
        flash(outcome.error.message, "error")
    elif applied:
        flash(_("Le rôle de %(name)s est mis à jour.", name=target.public_name), "success")
    else:
        flash(
            _(
                "Ce changement de rôle attend la confirmation d’un autre animateur ou d’une autre "
                "animatrice du groupe."
            ),
            "info",
        )
    return redirect(_back(url_for("groups.members", slug=group.slug)))


@bp.route("/groupes/<slug>/salons/nouveau", methods=["GET", "POST"])
@login_required
def new_channel(slug: str):
    group = load_group(slug)
    if not policies.can_create_channel(current_user, group):
        abort(403)
    form = ChannelForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            channel = services.create_channel(
                current_user, group, form.name.data, form.topic.data or ""
            )
        if outcome.ok:
            flash(_("Le salon #%(name)s est ouvert.", name=channel.name), "success")
            return redirect(url_for("groups.channel", slug=group.slug, channel_slug=channel.slug))
    return render_template("groups/channel_form.html", group=group, form=form)


# --- moderation -----------------------------------------------------------------------


@bp.route("/groupes/<slug>/moderation", endpoint="moderation")
@login_required
def moderation_page(slug: str):
    group = load_group(slug, with_channels=False)
    if not policies.can_read_moderation_log(current_user, group):
        abort(403)
    can_moderate = policies.can_moderate(current_user, group)
    page = db.paginate(
        select(ModerationLogEntry)
        .where(ModerationLogEntry.group_id == group.id)
        .options(
            joinedload(ModerationLogEntry.actor),
            joinedload(ModerationLogEntry.target_user),
            joinedload(ModerationLogEntry.confirmed_by),
        )
        .order_by(ModerationLogEntry.created_at.desc(), ModerationLogEntry.id.desc()),
        per_page=50,
        max_per_page=100,
    )
    return render_template(
        "groups/moderation.html",
        group=group,
        page=page,
        can_moderate=can_moderate,
        reports=moderation.open_reports(group) if can_moderate else [],
        requests=moderation.pending_requests(group) if can_moderate else [],
        sanctioned=moderation.sanctioned_members(group) if can_moderate else [],
        reason_labels=moderation.REASON_LABELS,
        form=EmptyForm(),
        reason_form=ReasonForm(),
    )


@bp.route("/groupes/<slug>/moderation/membres/<int:user_id>")
@login_required
def moderate_member(slug: str, user_id: int):
    group = load_group(slug, with_channels=False)
    if not policies.can_moderate(current_user, group):
        abort(403)
    target = db.get_or_404(User, user_id)
    membership = policies.get_membership(target, group)
    if membership is None or membership.state not in ("active", "banned"):
        abort(404)
    return render_template(
        "groups/moderate_member.html",
        group=group,
        target=target,
        membership=membership,
        mute_form=MuteForm(),
        ban_form=BanForm(),
        role_form=RoleForm(role=membership.role),
        form=EmptyForm(),
        is_muted=policies.is_muted(membership),
        is_banned=policies.is_banned(membership),
        is_organiser=membership.role == "organiser",
    )


@bp.route(
    "/groupes/<slug>/moderation/membres/<int:user_id>/<any('sourdine', 'fin-sourdine', 'exclure', 'reintegrer'):action>",
    methods=["POST"],
)
@login_required
def sanction(slug: str, user_id: int, action: str):
    form_class = {"sourdine": MuteForm, "exclure": BanForm}.get(action, EmptyForm)
    group, form = _organiser_form_action(slug, form_class)
    target = db.get_or_404(User, user_id)
    reason = getattr(form, "reason", None)
    reason = reason.data if reason is not None else ""
    with form_errors(form) as outcome:
        if action == "sourdine":
            applied = moderation.mute(current_user, group, target, form.minutes.data, reason or "")
        elif action == "exclure":
            applied = moderation.ban(current_user, group, target, form.days.data, reason or "")
        elif action == "fin-sourdine":
            moderation.unmute(current_user, group, target)
            applied = True
        else:
            moderation.unban(current_user, group, target)
            applied = True
    if not outcome.ok:
        flash(outcome.error.message, "error")
    elif applied:
        flash(_("C’est fait : l’action figure dans le journal de modération du groupe."), "success")
    else:
        flash(
            _(
                "Cette personne anime le groupe : l’action attend la confirmation d’un autre "
                "animateur ou d’une autre animatrice."
            ),
            "info",
        )
    return redirect(url_for("groups.moderation", slug=group.slug))


@bp.route(
    "/groupes/<slug>/moderation/demandes/<int:request_id>/<any(confirmer, refuser):decision>",
    methods=["POST"],
)
@login_required
def decide_confirmation(slug: str, request_id: int, decision: str):
    group = load_group(slug)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if not policies.can_moderate(current_user, group):
        abort(403)
    with form_errors(form) as outcome:
        if decision == "confirmer":
            moderation.confirm_request(current_user, group, request_id)
        else:
            moderation.decline_request(current_user, group, request_id)
    if outcome.ok:
        flash(
            _("Action confirmée et inscrite au journal.")
            if decision == "confirmer"
            else _("Demande close."),
            "success",
        )
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("groups.moderation", slug=group.slug, _anchor="confirmations"))


@bp.route("/groupes/<slug>/moderation/signalements/<int:report_id>/classer", methods=["POST"])
@login_required
def dismiss_report(slug: str, report_id: int):
    group, form = _organiser_form_action(slug, ReasonForm)
    with form_errors(form) as outcome:
        moderation.dismiss_report(current_user, group, report_id, form.reason.data or "")
    if outcome.ok:
        flash(_("Signalement classé sans suite."), "success")
    else:
        flash(outcome.error.message, "error")
    return redirect(url_for("groups.moderation", slug=group.slug, _anchor="signalements"))
