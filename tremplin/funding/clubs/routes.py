"""Club pages: the directory and public cards, founding, the members' dashboard, members
and roles, rules, and the lifecycle. Money lives in money_routes.py, applications and
votes in vote_routes.py. Views: load (404) → policy (403) → service → answer.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from tremplin.funding.clubs import (
    applications,
    bp,
    clubs,
    fund,
    labels,
    lifecycle,
    policies,
    portfolio,
    savings,
    votes,
)
from tremplin.funding.clubs.forms import (
    AcceptInvitationForm,
    ClubForm,
    ConfirmForm,
    InviteForm,
    JoinForm,
)
from tremplin.funding.clubs.models import (
    INVITED,
    MEMBER_ACTIVE,
    REQUESTED,
    VOTE_OPEN,
    ClubMembership,
    ClubMinutes,
    InvestorClub,
)
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db, limiter
from tremplin.platform.forms import EmptyForm
from tremplin.platform.models import User


def load_club(club_id: int) -> InvestorClub:
    club = db.session.scalar(
        select(InvestorClub)
        .where(InvestorClub.id == club_id)
        .options(selectinload(InvestorClub.memberships).joinedload(ClubMembership.user))
    )
    if club is None:
        abort(404)
    return club


def member_club(club_id: int) -> InvestorClub:
    """A club page for its members: others get 404 (a private club does not even exist
    for them), or 403 when the club shows a public card."""
    club = load_club(club_id)
    if not policies.can_view_club(current_user, club):
        abort(403 if policies.can_view_club_card(current_user, club) else 404)
    return club


def club_context(club: InvestorClub, **extra) -> dict:
    mine = policies.active_membership(current_user, club)
    return {
        "club": club,
        "me": mine,
        "policies": policies,
        "labels": labels,
        "members": [m for m in club.memberships if m.state == MEMBER_ACTIVE],
        **extra,
    }


# --- directory and public cards -----------------------------------------------------------


@bp.route("/clubs")
def index():
    from tremplin.funding.clubs import public_club_cards

    mine = clubs.clubs_of(current_user)
    invitations = clubs.pending_invitations(current_user)
    cards = [card for card in public_club_cards() if card["id"] not in {c.id for c in mine}]
    my_applications = (
        applications.applications_by(current_user) if current_user.is_authenticated else []
    )
    return render_template(
        "funding/clubs/index.html",
        mine=mine,
        invitations=invitations,
        cards=cards,
        my_applications=my_applications,
        balances=fund.balances([c.id for c in mine]) if mine else {},
    )


@bp.route("/clubs/<int:club_id>/carte")
def card(club_id: int):
    from tremplin.funding.clubs import club_public_card

    club = load_club(club_id)
    if not policies.can_view_club_card(current_user, club):
        abort(404)
    return render_template(
        "funding/clubs/card.html",
        club=club,
        card=club_public_card(club),
        join_form=JoinForm(),
        policies=policies,
        labels=labels,
        member=policies.membership(current_user, club),
    )


@bp.route("/clubs/fonder", methods=["GET", "POST"])
@login_required
def found():
    if not policies.can_found_club(current_user):
        abort(403)
    form = ClubForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            club = clubs.create_club(
                current_user,
                declared_natural_person=bool(form.natural_person.data),
                **form.values(),
            )
        if outcome.ok:
            flash(
                _(
                    "Le club « %(name)s » est fondé. Invitez ses membres : il devient actif à "
                    "partir de 5.",
                    name=club.name,
                ),
                "success",
            )
            return redirect(url_for("clubs.members", club_id=club.id))
    return render_template(
        "funding/clubs/club_form.html", form=form, club=None
    ), 400 if form.errors or form.form_errors else 200


# --- the members' dashboard ------------------------------------------------------------------


@bp.route("/clubs/<int:club_id>")
@login_required
def dashboard(club_id: int):
    club = member_club(club_id)
    votes.close_due_votes(club)
    me = policies.active_membership(current_user, club)
    holdings = portfolio.holdings(club)
    position = fund.position(club.id, [h.investment.id for h in holdings])
    open_votes = [v for v in votes.votes_of(club) if v.state == VOTE_OPEN]
    pending = [
        a for a in applications.applications_of(club) if a.state in ("submitted", "under_vote")
    ]
    my_lines = savings.schedule(club, me)
    minutes = db.session.scalars(
        select(ClubMinutes)
        .where(ClubMinutes.club_id == club.id)
        .order_by(ClubMinutes.number.desc())
        .limit(5)
    ).all()
    late = savings.late_months(club) if policies.can_keep_accounts(current_user, club) else []
    return render_template(
        "funding/clubs/dashboard.html",
        **club_context(
            club,
            holdings=holdings,
            position=position,
            my_share=position.shares.get(current_user.id),
            open_votes=open_votes,
            pending=pending,
            my_lines=my_lines[-6:],
            my_late=[line for line in my_lines if line.is_late],
            my_plan=savings.current_plan(me),
            minutes=minutes,
            late=late,
            has_voted=votes.has_voted,
        ),
    )


# --- members, invitations, requests ---------------------------------------------------------


@bp.route("/clubs/<int:club_id>/membres")
@login_required
def members(club_id: int):
    club = member_club(club_id)
    waiting = [m for m in club.memberships if m.state in (INVITED, REQUESTED)]
    return render_template(
        "funding/clubs/members.html",
        **club_context(
            club,
            waiting=waiting,
            invite_form=InviteForm(),
            action_form=EmptyForm(),
            count=sum(1 for m in club.memberships if m.state == MEMBER_ACTIVE),
        ),
    )


def _invite_limit():
    return current_app.config.get("CLUBS_RATELIMIT_INVITE", "30 per hour")


@bp.route("/clubs/<int:club_id>/inviter", methods=["POST"])
@login_required
@limiter.limit(_invite_limit, methods=["POST"])
def invite(club_id: int):
    club = load_club(club_id)
    if not policies.can_manage_members(current_user, club):
        abort(403)
    form = InviteForm()
    if form.validate_on_submit():
        invitee = db.session.scalar(
            select(User).where(
                func.lower(User.email) == form.email.data.strip().lower(), User.deleted_at.is_(None)
            )
        )
        if invitee is None:
            form.email.errors = [
                _(
                    "Aucun membre du réseau n’utilise cette adresse : "
                    "demandez-lui de s’inscrire, puis invitez-le ou la."
                )
            ]
        else:
            with form_errors(form) as outcome:
                clubs.invite(club, current_user, invitee, form.message.data)
            if outcome.ok:
                flash(_("Invitation envoyée à %(name)s.", name=invitee.public_name), "success")
                return redirect(url_for("clubs.members", club_id=club.id))
    waiting = [m for m in club.memberships if m.state in (INVITED, REQUESTED)]
    return render_template(
        "funding/clubs/members.html",
        **club_context(
            club,
            waiting=waiting,
            invite_form=form,
            action_form=EmptyForm(),
            count=sum(1 for m in club.memberships if m.state == MEMBER_ACTIVE),
        ),
    ), 400


@bp.route("/clubs/<int:club_id>/rejoindre", methods=["POST"])
@login_required
def request_to_join(club_id: int):
    club = load_club(club_id)
    if not policies.can_view_club_card(current_user, club):
        abort(404)
    if not policies.can_request_to_join(current_user, club):
        abort(403)
    form = JoinForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            clubs.request_to_join(
                club,
                current_user,
                message=form.message.data,
                declared_natural_person=bool(form.natural_person.data),
            )
        if outcome.ok:
            flash(_("Votre demande est envoyée : la gérance du club vous répondra."), "success")
            return redirect(url_for("clubs.card", club_id=club.id))
    from tremplin.funding.clubs import club_public_card

    return render_template(
        "funding/clubs/card.html",
        club=club,
        card=club_public_card(club),
        join_form=form,
        policies=policies,
        labels=labels,
        member=policies.membership(current_user, club),
    ), 400


@bp.route("/clubs/<int:club_id>/invitation", methods=["GET", "POST"])
@login_required
def invitation(club_id: int):
    club = load_club(club_id)
    if not policies.can_answer_invitation(current_user, club):
        if policies.is_club_member(current_user, club):
            return redirect(url_for("clubs.dashboard", club_id=club.id))
        abort(404)
    form = AcceptInvitationForm()
    if request.method == "POST":
        if request.form.get("answer") == "decline" and form.validate_on_submit():
            clubs.decline_invitation(club, current_user)
            flash(_("Invitation déclinée."), "info")
            return redirect(url_for("clubs.index"))
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                clubs.accept_invitation(
                    club, current_user, declared_natural_person=bool(form.natural_person.data)
                )
            if outcome.ok:
                flash(_("Bienvenue dans le club « %(name)s » !", name=club.name), "success")
                return redirect(url_for("clubs.dashboard", club_id=club.id))
    membership = policies.membership(current_user, club)
    return render_template(
        "funding/clubs/invitation.html", club=club, membership=membership, form=form, labels=labels
    ), 400 if form.errors or form.form_errors else 200


@bp.route(
    "/clubs/<int:club_id>/demandes/<int:membership_id>/<any(accepter, refuser):answer>",
    methods=["POST"],
)
@login_required
def answer_request(club_id: int, membership_id: int, answer: str):
    club = load_club(club_id)
    if not policies.can_manage_members(current_user, club):
        abort(403)
    found = db.first_or_404(
        select(ClubMembership)
        .where(ClubMembership.id == membership_id, ClubMembership.club_id == club.id)
        .options(joinedload(ClubMembership.user))
    )
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            if answer == "accepter":
                clubs.approve_request(club, current_user, found)
            else:
                clubs.refuse_request(club, current_user, found)
        if outcome.ok:
            flash(
                _("%(name)s fait maintenant partie du club.", name=found.user.public_name)
                if answer == "accepter"
                else _("Demande refusée."),
                "success",
            )
        else:
            flash(outcome.error.message, "error")
            return redirect(url_for("clubs.members", club_id=club.id)), 303
    return redirect(url_for("clubs.members", club_id=club.id))


@bp.route("/clubs/<int:club_id>/quitter", methods=["POST"])
@login_required
def leave(club_id: int):
    club = member_club(club_id)
    if not policies.can_leave(current_user, club):
        abort(403)
    form = ConfirmForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            clubs.leave(club, current_user)
        if outcome.ok:
            flash(
                _(
                    "Vous avez quitté le club. Votre épargne reste dans le fonds et vous "
                    "revient à la répartition."
                ),
                "info",
            )
            return redirect(url_for("clubs.index"))
        flash(outcome.error.message, "error")
    else:
        flash(_("Cochez la case pour confirmer."), "error")
    return redirect(url_for("clubs.members", club_id=club.id))


# --- rules and lifecycle --------------------------------------------------------------------


@bp.route("/clubs/<int:club_id>/reglement", methods=["GET", "POST"])
@login_required
def rules(club_id: int):
    club = member_club(club_id)
    can_edit = policies.can_edit_rules(current_user, club)
    form = ClubForm(obj=club) if request.method == "GET" else ClubForm()
    if request.method == "GET":
        form.min_saving.data = _amount(club.min_saving_cents)
        form.max_saving.data = _amount(club.max_saving_cents)
        form.yearly_cap.data = _amount(club.yearly_cap_cents)
        form.departement.data, form.theme.data = club.departement or "", club.theme or ""
    status = 200
    if request.method == "POST":
        if not can_edit:
            abort(403)
        form.natural_person.data = True
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                clubs.update_club(club, current_user, **form.values())
            if outcome.ok:
                flash(_("Le règlement et la carte du club sont enregistrés."), "success")
                return redirect(url_for("clubs.rules", club_id=club.id))
        status = 400
    return render_template(
        "funding/clubs/rules.html", **club_context(club, form=form, can_edit=can_edit)
    ), status


def _amount(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole},{rest:02d}" if rest else str(whole)


LIFECYCLE = {
    "activer": lifecycle.activate,
    "renouveler": lifecycle.renew_period,
    "gestion": lifecycle.enter_management,
    "cloturer": lifecycle.close_club,
}
LIFECYCLE_DONE = {
    "activer": _l("Le club est actif : place à l’épargne et aux investissements !"),
    "renouveler": _l("La période d’investissement est renouvelée."),
    "gestion": _l("Le club est en gestion."),
    "cloturer": _l("Le club est clôturé. Le relevé de répartition est prêt."),
}


@bp.route("/clubs/<int:club_id>/etapes", methods=["GET"])
@login_required
def lifecycle(club_id: int):
    club = member_club(club_id)
    return render_template(
        "funding/clubs/lifecycle.html",
        **club_context(
            club,
            form=ConfirmForm(),
            count=sum(1 for m in club.memberships if m.state == MEMBER_ACTIVE),
            can_change=policies.can_change_lifecycle(current_user, club),
        ),
    )


@bp.route(
    "/clubs/<int:club_id>/etapes/<any(activer, renouveler, gestion, cloturer):step>",
    methods=["POST"],
)
@login_required
def change_lifecycle(club_id: int, step: str):
    club = member_club(club_id)
    if not policies.can_change_lifecycle(current_user, club):
        abort(403)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Cochez la case pour confirmer."), "error")
        return redirect(url_for("clubs.lifecycle", club_id=club.id))
    with form_errors(form) as outcome:
        LIFECYCLE[step](club, current_user)
    if outcome.ok:
        flash(str(LIFECYCLE_DONE[step]), "success")
        if step == "cloturer":
            return redirect(url_for("clubs.distribution", club_id=club.id))
        return redirect(url_for("clubs.dashboard", club_id=club.id))
    return render_template(
        "funding/clubs/lifecycle.html",
        **club_context(
            club,
            form=form,
            count=sum(1 for m in club.memberships if m.state == MEMBER_ACTIVE),
            can_change=True,
        ),
    ), 400


@bp.route("/clubs/<int:club_id>/discussion")
@login_required
def discussion(club_id: int):
    """The club's private conversation (the groups' chat)."""
    club = member_club(club_id)
    conversation = clubs.ensure_conversation(club)
    return redirect(url_for("groups.conversation", conversation_id=conversation.id))
