"""The groups' sections of the organisers' administration: create a group, assign or remove
its organisers (the two-organiser rule still holds: taking the role away, or giving it while
two people already share it, waits for one of the group's organisers to confirm), and the
queue of open reports across every group. Every action goes to the administration log and
to the group's own moderation log. Also gives the impact dashboard its list of groups."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from tremplin.groups import bp, policies
from tremplin.groups import groups as group_services
from tremplin.groups.forms import NewGroupForm
from tremplin.groups.models import Channel, Group, GroupMembership, Message, MessageReport
from tremplin.groups.moderation import REASON_LABELS, ModerationAct, log, request_confirmation
from tremplin.platform import accounts
from tremplin.platform.admin import log_action
from tremplin.platform.auth import organiser_required
from tremplin.platform.errors import DomainError, NotAllowed, form_errors
from tremplin.platform.extensions import db
from tremplin.platform.hooks import AdminSection, register_admin_section, registry
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow

PER_PAGE = 30
REQUIRED = _l("Ce champ est obligatoire.")


# --- forms -----------------------------------------------------------------------------


class AdminGroupForm(NewGroupForm):
    organiser_email = StringField(
        _l("Animateur ou animatrice (e-mail, facultatif)"),
        validators=[
            Optional(),
            Email(_l("Cette adresse e-mail n’est pas valable.")),
            Length(max=254),
        ],
        description=_l("Un membre du réseau qui animera le groupe avec vous."),
    )


class OrganiserForm(FlaskForm):
    email = StringField(
        _l("E-mail du membre"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Cette adresse e-mail n’est pas valable.")),
            Length(max=254),
        ],
    )
    reason = TextAreaField(_l("Raison (facultative)"), validators=[Optional(), Length(max=500)])


class RemoveOrganiserForm(FlaskForm):
    reason = TextAreaField(_l("Raison (facultative)"), validators=[Optional(), Length(max=500)])


# --- services --------------------------------------------------------------------------


def _active_member(email: str | None, field: str) -> User:
    user = accounts.find_by_email(email or "")
    if user is None or not user.is_active:
        raise DomainError(_("Aucun membre actif du réseau n’a cette adresse."), field=field)
    return user


def create_group(
    actor: User,
    fields: group_services.GroupFields,
    *,
    charter: str = "",
    organiser_email: str | None = None,
) -> Group:
    """The administrator creates the group (and animates it); a second organiser, if named,
    joins at once (a group with one organiser may take a second without confirmation)."""
    if not policies.can_create_group(actor):
        raise NotAllowed()
    organiser = _active_member(organiser_email, "organiser_email") if organiser_email else None
    group = group_services.create_group(actor, fields, charter=charter or "")
    log_action(
        actor, "group_created", "group", group.id, _("Groupe « %(group)s » créé", group=group.name)
    )
    if organiser is not None and organiser.id != actor.id:
        assign_organiser(actor, group, organiser)
    return group


def assign_organiser(actor: User, group: Group, target: User, reason: str | None = None) -> bool:
    """Make `target` an organiser of `group`. True when done now; False when the group
    already has two organisers or more and one of them must confirm (the rule of groups)."""
    if not policies.can_create_group(actor):
        raise NotAllowed()
    membership = policies.get_membership(target, group)
    if policies.is_banned(membership):
        raise DomainError(_("Cette personne est exclue de ce groupe."), field="email")
    if membership is not None and membership.state == "active" and membership.role == "organiser":
        raise DomainError(_("Cette personne anime déjà ce groupe."), field="email")
    if membership is None or membership.state != "active":
        if membership is None:
            membership = GroupMembership(group_id=group.id, user_id=target.id, role="member")
            db.session.add(membership)
        membership.state = "active"
        membership.joined_at = utcnow()
        db.session.flush()
        policies.remember_membership(group.id, target.id, membership)
    if len(group_services.organisers(group)) >= 2:
        request_confirmation(
            actor,
            group,
            ModerationAct("role_changed", target=target, reason=reason or ""),
            params={"role": "organiser"},
        )
        log_action(
            actor,
            "group_organiser_requested",
            "group",
            group.id,
            _(
                "%(name)s proposé·e pour animer « %(group)s » (en attente de la confirmation "
                "d’un animateur du groupe)",
                name=target.display_name,
                group=group.name,
            ),
            reason,
        )
        return False
    previous = membership.role
    membership.role = "organiser"
    log(
        group,
        actor,
        ModerationAct("role_changed", target=target, reason=reason or ""),
        details={"from": previous, "to": "organiser"},
    )
    log_action(
        actor,
        "group_organiser_assigned",
        "group",
        group.id,
        _("%(name)s anime désormais « %(group)s »", name=target.display_name, group=group.name),
        reason,
    )
    if policies.must_accept_charter(membership, group):
        notify(
            target,
            "groups_membership",
            _l(
                "Vous animez désormais le groupe « %(group)s ». Relisez et acceptez sa charte "
                "pour y écrire.",
                group=group.name,
            ),
            url_for("groups.charter", slug=group.slug),
        )
    else:
        notify(
            target,
            "groups_membership",
            _l("Vous animez désormais le groupe « %(group)s ».", group=group.name),
            url_for("groups.group", slug=group.slug),
        )
    db.session.flush()
    return True


def remove_organiser(actor: User, group: Group, target: User, reason: str | None = None) -> None:
    """Ask for `target` to stop animating `group`: one of the group's other organisers
    confirms (no one loses the role on a single person's word); never the last one."""
    if not policies.can_create_group(actor):
        raise NotAllowed()
    membership = policies.active_membership(target, group)
    if membership is None or membership.role != "organiser":
        raise DomainError(_("Cette personne n’anime pas ce groupe."))
    if len(group_services.organisers(group)) <= 1:
        raise DomainError(
            _(
                "Le groupe doit garder au moins une personne qui l’anime : "
                "nommez d’abord quelqu’un d’autre."
            )
        )
    request_confirmation(
        actor,
        group,
        ModerationAct("role_changed", target=target, reason=reason or ""),
        params={"role": "member"},
    )
    log_action(
        actor,
        "group_organiser_removal_requested",
        "group",
        group.id,
        _(
            "Retrait de %(name)s de l’animation de « %(group)s » demandé (en attente de la "
            "confirmation d’un autre animateur du groupe)",
            name=target.display_name,
            group=group.name,
        ),
        reason,
    )


def open_reports_stmt():
    return (
        select(MessageReport)
        .where(MessageReport.resolved_at.is_(None))
        .options(
            joinedload(MessageReport.message).joinedload(Message.author),
            joinedload(MessageReport.message).joinedload(Message.channel).joinedload(Channel.group),
            joinedload(MessageReport.reporter),
        )
        .order_by(MessageReport.created_at, MessageReport.id)
    )


def open_reports_count(user=None) -> int:
    return int(
        db.session.scalar(
            select(func.count(MessageReport.id)).where(MessageReport.resolved_at.is_(None))
        )
        or 0
    )


def group_choices() -> list[tuple[int, str]]:
    return [
        (gid, name)
        for gid, name in db.session.execute(
            select(Group.id, Group.name).order_by(Group.name, Group.id)
        )
    ]


# --- pages -----------------------------------------------------------------------------


def _groups_page(form: AdminGroupForm, status: int = 200):
    page = db.paginate(
        select(Group).order_by(Group.name, Group.id), per_page=PER_PAGE, error_out=False
    )
    ids = [g.id for g in page.items]
    members = group_services.member_counts(ids)
    organisers: dict[int, list[User]] = {gid: [] for gid in ids}
    if ids:
        for membership in db.session.scalars(
            select(GroupMembership)
            .options(joinedload(GroupMembership.user))
            .where(
                GroupMembership.group_id.in_(ids),
                GroupMembership.role == "organiser",
                GroupMembership.state == "active",
            )
            .order_by(GroupMembership.id)
        ):
            organisers[membership.group_id].append(membership.user)
    return render_template(
        "groups/admin_groups.html", page=page, form=form, members=members, organisers=organisers
    ), status


@bp.route("/administration/groupes", methods=["GET", "POST"])
@organiser_required
def admin_groups():
    if not policies.can_create_group(current_user):
        abort(403)
    form = AdminGroupForm()
    if request.method == "POST":
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                group = create_group(
                    current_user,
                    group_services.GroupFields(
                        name=form.name.data,
                        description=form.description.data,
                        theme=form.theme.data,
                        visibility=form.visibility.data,
                    ),
                    charter=form.charter.data,
                    organiser_email=form.organiser_email.data,
                )
            if outcome.ok:
                flash(_("Groupe « %(group)s » créé.", group=group.name), "success")
                return redirect(url_for("groups.admin_groups_detail", group_id=group.id))
        return _groups_page(form, 400)
    return _groups_page(AdminGroupForm(formdata=None))


def _group_page(group: Group, form=None, status: int = 200):
    from tremplin.groups.moderation import pending_requests

    organisers = group_services.organisers(group)
    return render_template(
        "groups/admin_group.html",
        group=group,
        organisers=organisers,
        pending=[r for r in pending_requests(group) if r.action == "role_changed"],
        form=form or OrganiserForm(formdata=None, prefix="org"),
        remove_form=RemoveOrganiserForm(formdata=None, prefix="rm"),
        member_count=group_services.member_counts([group.id]).get(group.id, 0),
    ), status


@bp.route("/administration/groupes/<int:group_id>")
@organiser_required
def admin_groups_detail(group_id: int):
    group = db.get_or_404(Group, group_id)
    if not policies.can_create_group(current_user):
        abort(403)
    return _group_page(group)


@bp.route("/administration/groupes/<int:group_id>/animateurs", methods=["POST"])
@organiser_required
def admin_groups_assign(group_id: int):
    group = db.get_or_404(Group, group_id)
    if not policies.can_create_group(current_user):
        abort(403)
    form = OrganiserForm(prefix="org")
    if form.validate_on_submit():
        with form_errors(form, field="email") as outcome:
            target = _active_member(form.email.data, "email")
            done = assign_organiser(current_user, group, target, form.reason.data)
        if outcome.ok:
            flash(
                _("%(name)s anime désormais le groupe.", name=target.display_name)
                if done
                else _(
                    "Le groupe a déjà plusieurs animateurs : un animateur du groupe doit confirmer "
                    "cette nomination."
                ),
                "success" if done else "info",
            )
            return redirect(url_for("groups.admin_groups_detail", group_id=group.id))
    return _group_page(group, form, 400)


@bp.route(
    "/administration/groupes/<int:group_id>/animateurs/<int:user_id>/retirer", methods=["POST"]
)
@organiser_required
def admin_groups_remove(group_id: int, user_id: int):
    group = db.get_or_404(Group, group_id)
    target = db.get_or_404(User, user_id)
    if not policies.can_create_group(current_user):
        abort(403)
    form = RemoveOrganiserForm(prefix="rm")
    if not form.validate_on_submit():
        abort(400)
    try:
        remove_organiser(current_user, group, target, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(
            _("Demande envoyée aux autres animateurs du groupe, qui doivent la confirmer."), "info"
        )
    return redirect(url_for("groups.admin_groups_detail", group_id=group.id))


@bp.route("/administration/signalements")
@organiser_required
def admin_reports():
    page = db.paginate(open_reports_stmt(), per_page=PER_PAGE, error_out=False)
    group_ids = {r.group_id for r in page.items if r.group_id is not None}
    groups = (
        {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(group_ids)))}
        if group_ids
        else {}
    )
    readable = {r.id for r in page.items if policies.can_read_message(current_user, r.message)}
    return render_template(
        "groups/admin_reports.html",
        page=page,
        readable=readable,
        groups=groups,
        reason_labels=REASON_LABELS,
    )


def register() -> None:
    registry.impact_group_choices = group_choices
    register_admin_section(AdminSection("groups.admin_groups", _l("Groupes"), order=20))
    register_admin_section(
        AdminSection("groups.admin_reports", _l("Signalements"), order=25, count=open_reports_count)
    )
