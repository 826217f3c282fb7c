"""Mentoring pages. Each view reads as the lifecycle: load (404) → policy (403) → service →
render or redirect. Organisers' pages are in organiser_routes.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError

from tremplin import members
from tremplin.mentoring import bp, matching, pairings, policies, services
from tremplin.mentoring.forms import (
    AnswerForm,
    FeedbackForm,
    GoalForm,
    GoalProgressForm,
    OfferForm,
    ProposeForm,
    RequestForm,
    SendRequestForm,
    SessionForm,
)
from tremplin.mentoring.models import (
    COUNTED_STATES,
    LOAD_STATES,
    MentoringRequest,
    MentoringSession,
    Pairing,
    PairingFeedback,
    PairingGoal,
)
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.models import User


def conversation_url(pairing: Pairing) -> str | None:
    """The pair's private conversation in the groups' chat, when the groups module serves it."""
    if pairing.conversation_id is None:
        return None
    try:
        return url_for("groups.conversation", conversation_id=pairing.conversation_id)
    except BuildError:
        return None


def load_request(request_id: int) -> MentoringRequest:
    return db.first_or_404(
        select(MentoringRequest)
        .where(MentoringRequest.id == request_id)
        .options(
            joinedload(MentoringRequest.porteur),
            joinedload(MentoringRequest.mentor),
            joinedload(MentoringRequest.project),
            selectinload(MentoringRequest.project_needs),
        )
    )


def load_pairing(pairing_id: int) -> Pairing:
    return db.first_or_404(
        select(Pairing)
        .where(Pairing.id == pairing_id)
        .options(
            joinedload(Pairing.mentor).joinedload(User.profile),
            joinedload(Pairing.porteur).joinedload(User.profile),
            joinedload(Pairing.project),
            joinedload(Pairing.proposed_by),
            selectinload(Pairing.goals),
            selectinload(Pairing.feedback).joinedload(PairingFeedback.author),
        )
    )


# --- home -----------------------------------------------------------------------------


@bp.route("/parrainage")
def index():
    if not current_user.is_authenticated:
        return render_template("mentoring/index_visitor.html")
    offer = services.offer_of(current_user)
    my_requests = db.session.scalars(
        select(MentoringRequest)
        .where(MentoringRequest.porteur_id == current_user.id)
        .options(joinedload(MentoringRequest.mentor), joinedload(MentoringRequest.project))
        .order_by(MentoringRequest.created_at.desc(), MentoringRequest.id.desc())
        .limit(20)
    ).all()
    incoming = db.session.scalars(
        select(MentoringRequest)
        .where(MentoringRequest.mentor_id == current_user.id, MentoringRequest.state == "pending")
        .options(joinedload(MentoringRequest.porteur), joinedload(MentoringRequest.project))
        .order_by(MentoringRequest.sent_at)
    ).all()
    my_pairings = db.session.scalars(
        select(Pairing)
        .where(or_(Pairing.mentor_id == current_user.id, Pairing.porteur_id == current_user.id))
        .options(
            joinedload(Pairing.mentor), joinedload(Pairing.porteur), joinedload(Pairing.project)
        )
        .order_by(
            Pairing.state.in_(LOAD_STATES).desc(), Pairing.started_on.desc(), Pairing.id.desc()
        )
    ).all()
    numbers = pairings.figures(p.id for p in my_pairings)
    mentored = [p for p in my_pairings if p.mentor_id == current_user.id]
    return render_template(
        "mentoring/index.html",
        offer=offer,
        my_requests=my_requests,
        incoming=incoming,
        my_pairings=my_pairings,
        numbers=numbers,
        has_certificate=any(p.state in COUNTED_STATES for p in mentored),
        load=sum(1 for p in mentored if p.state in LOAD_STATES),
        can_organise=policies.can_view_organiser_page(current_user),
        form=EmptyForm(),
    )


# --- offer ----------------------------------------------------------------------------


@bp.route("/parrainage/mon-offre", methods=["GET", "POST"])
@login_required
def edit_offer():
    if not policies.can_offer_mentoring(current_user):
        abort(403)
    offer = services.offer_of(current_user)
    form = OfferForm(obj=offer)
    if offer is None and request.method == "GET":
        _prefill_offer_from_profile(form)
    elif offer is not None and request.method == "GET":
        form.skills.data, form.sectors.data = offer.skills, offer.sectors
        form.languages.data, form.departements.data = offer.languages, offer.departements
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.save_offer(
                current_user,
                services.OfferFields(
                    skills=form.skills.data,
                    sectors=form.sectors.data,
                    languages=form.languages.data,
                    departements=form.departements.data,
                    format=form.format.data,
                    hours_per_month=form.hours_per_month.data,
                    max_mentees=form.max_mentees.data,
                    is_available=form.is_available.data,
                    presentation=form.presentation.data,
                ),
            )
        if outcome.ok:
            flash(_("Votre proposition de parrainage est enregistrée. Merci !"), "success")
            return redirect(url_for("mentoring.index"))
    return render_template("mentoring/offer_form.html", form=form, offer=offer)


def _prefill_offer_from_profile(form: OfferForm) -> None:
    """A new offer starts from what the member's profile already says."""
    profile = getattr(current_user, "profile", None)
    if profile is None:
        form.languages.data = ["fr"]
        return
    form.languages.data = profile.languages or ["fr"]
    form.sectors.data = [t for t in profile.themes if t in dict(form.sectors.choices)]
    if profile.departement:
        form.departements.data = [profile.departement]


# --- requests -------------------------------------------------------------------------


@bp.route("/parrainage/demander", methods=["GET", "POST"])
@login_required
def new_request():
    if not policies.can_request_mentor(current_user):
        abort(403)
    projects = members.projects_of(current_user)
    form = RequestForm()
    form.project.choices = [("", _("— Pas de projet en particulier —"))] + [
        (str(p.id), p.title) for p in projects
    ]
    chosen_id = request.values.get("project") or request.args.get("projet") or ""
    project = next((p for p in projects if str(p.id) == chosen_id), None)
    open_needs = project.open_needs if project else []
    form.project_needs.choices = [(n.id, n.title) for n in open_needs]
    if request.method == "GET":
        _prefill_request(form, project, open_needs)
    if form.validate_on_submit():
        linked = [n for n in open_needs if n.id in (form.project_needs.data or [])]
        with form_errors(form) as outcome:
            created = services.create_request(
                current_user,
                services.RequestFields(
                    goals=form.goals.data,
                    needs=form.needs.data,
                    project=project,
                    project_needs=linked,
                    languages=form.languages.data,
                    departement=form.departement.data or None,
                    sector=form.sector.data or None,
                    format=form.format.data,
                ),
                second_mentor=bool(form.second_mentor.data),
            )
        if outcome.ok:
            flash(
                _(
                    "Votre demande est enregistrée. Voici les parrains et marraines qui "
                    "vous correspondent le mieux."
                ),
                "success",
            )
            return redirect(url_for("mentoring.suggestions", request_id=created.id))
    return render_template(
        "mentoring/request_form.html",
        form=form,
        project=project,
        projects=projects,
        mentors=services.active_mentors_of(project),
        waiting=services.waiting_requests_of(project),
    )


def _prefill_request(form: RequestForm, project, open_needs) -> None:
    profile = getattr(current_user, "profile", None)
    form.languages.data = (profile.languages if profile is not None else None) or ["fr"]
    form.departement.data = (
        (project.departement if project else None)
        or (profile.departement if profile is not None else "")
        or ""
    )
    if project is not None:
        form.project.data = str(project.id)
        form.sector.data = project.theme or ""
        # The project's open needs are offered as choices, never ticked for the porteur
        # (they used to be added to the request silently).
        form.project_needs.data = []


@bp.route("/parrainage/demandes/<int:request_id>")
@login_required
def request_detail(request_id: int):
    mentoring_request = load_request(request_id)
    if not policies.can_view_request(current_user, mentoring_request):
        abort(403)
    pairing = None
    if mentoring_request.state in ("proposed", "accepted"):
        pairing = db.session.scalar(
            select(Pairing)
            .where(Pairing.request_id == mentoring_request.id)
            .order_by(Pairing.id.desc())
            .limit(1)
        )
    return render_template(
        "mentoring/request.html",
        req=mentoring_request,
        pairing=pairing,
        answer_form=AnswerForm(),
        form=EmptyForm(),
        can_answer=policies.can_answer_request(current_user, mentoring_request),
        can_withdraw=policies.can_withdraw_request(current_user, mentoring_request),
        can_suggest=policies.can_see_suggestions(current_user, mentoring_request),
    )


@bp.route("/parrainage/demandes/<int:request_id>/suggestions")
@login_required
def suggestions(request_id: int):
    mentoring_request = load_request(request_id)
    if not policies.can_see_suggestions(current_user, mentoring_request):
        if policies.can_view_request(current_user, mentoring_request):
            return redirect(url_for("mentoring.request_detail", request_id=request_id))
        abort(403)
    page = request.args.get("page", 1, type=int)
    result = matching.suggest(mentoring_request, page=page)
    is_porteur = current_user.id == mentoring_request.porteur_id
    people = {s.mentor.id: members.person(current_user, s.mentor) for s in result.items}
    return render_template(
        "mentoring/suggestions.html",
        req=mentoring_request,
        result=result,
        people=people,
        is_porteur=is_porteur,
        can_send=policies.can_send_request(current_user, mentoring_request),
        can_propose=policies.can_propose_pairing(current_user) and not is_porteur,
        send_form=SendRequestForm(),
        propose_form=ProposeForm(),
    )


@bp.route("/parrainage/demandes/<int:request_id>/envoyer", methods=["POST"])
@login_required
def send_request(request_id: int):
    mentoring_request = load_request(request_id)
    if not policies.can_send_request(current_user, mentoring_request):
        abort(403)
    form = SendRequestForm()
    if not form.validate_on_submit():
        abort(400)
    mentor = db.get_or_404(User, _int_or_404(form.mentor_id.data))
    with form_errors(form) as outcome:
        sent = services.send_request(current_user, mentoring_request, mentor, form.message.data)
    if outcome.ok:
        flash(
            _(
                "Votre demande est envoyée à %(name)s. Vous serez prévenu·e de sa réponse.",
                name=mentor.display_name,
            ),
            "success",
        )
        return redirect(url_for("mentoring.request_detail", request_id=sent.id))
    flash(outcome.error.message, "error")
    return redirect(url_for("mentoring.suggestions", request_id=request_id))


@bp.route(
    "/parrainage/demandes/<int:request_id>/<any(accepter, decliner):decision>", methods=["POST"]
)
@login_required
def answer_request(request_id: int, decision: str):
    mentoring_request = load_request(request_id)
    if not policies.can_answer_request(current_user, mentoring_request):
        abort(403)
    form = AnswerForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            if decision == "accepter":
                pairing = services.accept_request(
                    current_user, mentoring_request, form.message.data
                )
            else:
                services.decline_request(current_user, mentoring_request, form.message.data)
        if outcome.ok:
            if decision == "accepter":
                flash(
                    _(
                        "Vous formez désormais un binôme avec %(name)s. Bon parrainage !",
                        name=mentoring_request.porteur.display_name,
                    ),
                    "success",
                )
                return redirect(url_for("mentoring.pairing", pairing_id=pairing.id))
            flash(_("Votre réponse est envoyée."), "success")
            return redirect(url_for("mentoring.index"))
    mentoring_request = load_request(request_id)
    return render_template(
        "mentoring/request.html",
        req=mentoring_request,
        pairing=None,
        answer_form=form,
        form=EmptyForm(),
        can_answer=policies.can_answer_request(current_user, mentoring_request),
        can_withdraw=False,
        can_suggest=False,
    ), 422


@bp.route("/parrainage/demandes/<int:request_id>/retirer", methods=["POST"])
@login_required
def withdraw_request(request_id: int):
    mentoring_request = load_request(request_id)
    if not policies.can_withdraw_request(current_user, mentoring_request):
        abort(403)
    if EmptyForm().validate_on_submit():
        with form_errors() as outcome:
            services.withdraw_request(current_user, mentoring_request)
        if outcome.ok:
            flash(_("Votre demande est retirée."), "success")
    return redirect(url_for("mentoring.index"))


@bp.route("/parrainage/demandes/<int:request_id>/proposer", methods=["POST"])
@login_required
def propose(request_id: int):
    mentoring_request = load_request(request_id)
    if not policies.can_propose_pairing(current_user):
        abort(403)
    form = ProposeForm()
    if not form.validate_on_submit():
        flash(_("Vérifiez la date de début."), "error")
        return redirect(url_for("mentoring.suggestions", request_id=request_id))
    mentor = db.get_or_404(User, _int_or_404(form.mentor_id.data))
    with form_errors(form) as outcome:
        pairing = pairings.propose_pairing(
            current_user,
            mentor=mentor,
            porteur=mentoring_request.porteur,
            request=mentoring_request,
            terms=pairings.PairingTerms(started_on=form.started_on.data, message=form.message.data),
        )
    if outcome.ok:
        flash(
            _(
                "Binôme proposé : %(mentor)s et %(porteur)s sont prévenus.",
                mentor=mentor.display_name,
                porteur=mentoring_request.porteur.display_name,
            ),
            "success",
        )
        return redirect(url_for("mentoring.pairing", pairing_id=pairing.id))
    flash(outcome.error.message, "error")
    return redirect(url_for("mentoring.suggestions", request_id=request_id))


def _int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        abort(404)


# --- a pairing ------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    """A session as an organiser sees it: when, how long, who logged it — no notes."""

    id: int
    held_on: date
    duration_minutes: int
    logged_by_id: int | None


def _render_pairing(pairing: Pairing, *, session_form=None, goal_form=None, status=200):
    can_read = policies.can_read_notes(current_user, pairing)
    sessions = pairings.sessions_of(pairing)
    total = sum(s.duration_minutes for s in sessions)
    if not can_read:  # the notes never reach the template of someone outside the pair
        sessions = [
            SessionRow(s.id, s.held_on, s.duration_minutes, s.logged_by_id) for s in sessions
        ]
    if session_form is None:
        session_form = SessionForm(formdata=None, held_on=services.paris_today())
    return render_template(
        "mentoring/pairing.html",
        pairing=pairing,
        sessions=sessions,
        total_minutes=total,
        can_read_notes=can_read,
        is_in_pair=policies.is_in_pair(current_user, pairing),
        side=pairing.side_of(current_user),
        partner=pairing.partner_of(current_user),
        session_form=session_form,
        goal_form=goal_form or GoalForm(formdata=None),
        progress_form=GoalProgressForm(formdata=None),
        form=EmptyForm(),
        answer_form=AnswerForm(formdata=None),
        conversation_url=conversation_url(pairing),
        today=services.paris_today(),
        policies=policies,
    ), status


@bp.route("/parrainage/binomes/<int:pairing_id>")
@login_required
def pairing(pairing_id: int):
    found = load_pairing(pairing_id)
    if not policies.can_view_pairing(current_user, found):
        abort(403)
    return _render_pairing(found)


PAIRING_ACTIONS = {
    "accepter": (pairings.accept_pairing, _l("Binôme accepté : il commence !")),
    "pause": (pairings.pause_pairing, _l("Le binôme est en pause.")),
    "reprendre": (pairings.resume_pairing, _l("Le binôme reprend.")),
    "terminer": (
        pairings.complete_pairing,
        _l("Le binôme est terminé. Merci ! Il reste à donner votre bilan."),
    ),
}


@bp.route(
    "/parrainage/binomes/<int:pairing_id>/<any(accepter, decliner, pause, reprendre, terminer):action>",
    methods=["POST"],
)
@login_required
def pairing_action(pairing_id: int, action: str):
    found = load_pairing(pairing_id)
    if not policies.can_view_pairing(current_user, found):
        abort(403)
    allowed = {
        "accepter": policies.can_accept_pairing,
        "decliner": policies.can_decline_pairing,
        "pause": policies.can_pause_pairing,
        "reprendre": policies.can_resume_pairing,
        "terminer": policies.can_complete_pairing,
    }[action]
    if not allowed(current_user, found):
        abort(403)
    form = AnswerForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            if action == "decliner":
                pairings.decline_pairing(current_user, found, form.message.data)
            else:
                PAIRING_ACTIONS[action][0](current_user, found)
        if outcome.ok:
            flash(
                _("Votre réponse est envoyée.")
                if action == "decliner"
                else str(PAIRING_ACTIONS[action][1]),
                "success",
            )
            if action == "terminer" and policies.is_in_pair(current_user, found):
                return redirect(url_for("mentoring.feedback", pairing_id=pairing_id))
        else:
            flash(outcome.error.message, "error")
    return redirect(url_for("mentoring.pairing", pairing_id=pairing_id))


@bp.route("/parrainage/binomes/<int:pairing_id>/seances", methods=["POST"])
@login_required
def log_session(pairing_id: int):
    found = load_pairing(pairing_id)
    if not policies.can_log_session(current_user, found):
        abort(403)
    form = SessionForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            pairings.log_session(
                current_user,
                found,
                held_on=form.held_on.data,
                duration_minutes=form.duration.data,
                notes=form.notes.data,
                next_steps=form.next_steps.data,
            )
        if outcome.ok:
            flash(_("Séance enregistrée."), "success")
            return redirect(url_for("mentoring.pairing", pairing_id=pairing_id) + "#seances")
        found = load_pairing(pairing_id)
    return _render_pairing(found, session_form=form, status=422)


@bp.route(
    "/parrainage/binomes/<int:pairing_id>/seances/<int:session_id>/supprimer", methods=["POST"]
)
@login_required
def delete_session(pairing_id: int, session_id: int):
    session = db.first_or_404(
        select(MentoringSession).where(
            MentoringSession.id == session_id, MentoringSession.pairing_id == pairing_id
        )
    )
    if not policies.can_delete_session(current_user, session):
        abort(403)
    if EmptyForm().validate_on_submit():
        pairings.delete_session(current_user, session)
        flash(_("Séance supprimée."), "success")
    return redirect(url_for("mentoring.pairing", pairing_id=pairing_id) + "#seances")


@bp.route("/parrainage/binomes/<int:pairing_id>/objectifs", methods=["POST"])
@login_required
def add_goal(pairing_id: int):
    found = load_pairing(pairing_id)
    if not policies.can_edit_goals(current_user, found):
        abort(403)
    form = GoalForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            pairings.add_goal(current_user, found, form.title.data)
        if outcome.ok:
            return redirect(url_for("mentoring.pairing", pairing_id=pairing_id) + "#objectifs")
        found = load_pairing(pairing_id)
    return _render_pairing(found, goal_form=form, status=422)


def _load_goal(pairing_id: int, goal_id: int) -> PairingGoal:
    return db.first_or_404(
        select(PairingGoal).where(PairingGoal.id == goal_id, PairingGoal.pairing_id == pairing_id)
    )


@bp.route("/parrainage/binomes/<int:pairing_id>/objectifs/<int:goal_id>", methods=["POST"])
@login_required
def update_goal(pairing_id: int, goal_id: int):
    goal = _load_goal(pairing_id, goal_id)
    if not policies.can_edit_goals(current_user, goal.pairing):
        abort(403)
    form = GoalProgressForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            pairings.set_goal_progress(current_user, goal, form.progress.data)
        if outcome.ok:
            flash(_("Avancement enregistré."), "success")
    return redirect(url_for("mentoring.pairing", pairing_id=pairing_id) + "#objectifs")


@bp.route(
    "/parrainage/binomes/<int:pairing_id>/objectifs/<int:goal_id>/supprimer", methods=["POST"]
)
@login_required
def delete_goal(pairing_id: int, goal_id: int):
    goal = _load_goal(pairing_id, goal_id)
    if not policies.can_edit_goals(current_user, goal.pairing):
        abort(403)
    if EmptyForm().validate_on_submit():
        pairings.delete_goal(current_user, goal)
    return redirect(url_for("mentoring.pairing", pairing_id=pairing_id) + "#objectifs")


@bp.route("/parrainage/binomes/<int:pairing_id>/bilan", methods=["GET", "POST"])
@login_required
def feedback(pairing_id: int):
    found = load_pairing(pairing_id)
    if not policies.is_in_pair(current_user, found):
        abort(403)
    if not policies.can_give_feedback(current_user, found):
        return redirect(url_for("mentoring.pairing", pairing_id=pairing_id))
    form = FeedbackForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            pairings.give_feedback(
                current_user, found, rating=form.rating.data, comment=form.comment.data
            )
        if outcome.ok:
            flash(_("Merci pour votre bilan !"), "success")
            return redirect(url_for("mentoring.pairing", pairing_id=pairing_id))
    return render_template(
        "mentoring/feedback_form.html",
        form=form,
        pairing=found,
        partner=found.partner_of(current_user),
    )


from tremplin.mentoring import organiser_routes  # noqa: E402,F401  (the organisers' and certificate pages)
