"""Views about projects: the list, a project page, editing, the team, needs and offers of
help, the journal and milestones. Load (404) → policy (403) → service → render/redirect."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.members import bp, journal, needs, policies, projects, suggestions
from tremplin.members import feed as feeds
from tremplin.members.forms import (
    InviteForm,
    JournalForm,
    MilestoneForm,
    NeedForm,
    OfferForm,
    ProjectFilterForm,
    ProjectForm,
)
from tremplin.members.models import JournalEntry
from tremplin.members.profiles import load_member
from tremplin.platform.account_routes import post_limit, safe_next
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db, login_manager
from tremplin.platform.forms import EmptyForm
from tremplin.platform.hooks import registry


def page_arg() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _visible_or_refuse(project):
    """404 for unknown ids; a members-only project asks visitors to log in."""
    if project is None:
        abort(404)
    if not policies.can_view_project(current_user, project):
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(403)
    return project


def _editable(project_id: int, loader=projects.get_project):
    project = loader(project_id)
    if project is None:
        abort(404)
    if not policies.can_edit_project(current_user, project):
        abort(403)
    return project


# --- projects ---------------------------------------------------------------------------


@bp.route("/projets")
def project_list():
    form = ProjectFilterForm(formdata=request.args)
    form.validate()
    filters = projects.ProjectFilters(
        mine=request.args.get("mine") == "1",
        **{
            name: (getattr(form, name).data or "").strip() if not getattr(form, name).errors else ""
            for name in ("q", "theme", "stage", "departement", "need")
        },
    )
    page = projects.project_list(current_user, filters, page_arg())
    return render_template("members/project_list.html", form=form, page=page, filters=filters)


@bp.route("/projets/nouveau", methods=["GET", "POST"])
@login_required
def new_project():
    if not policies.can_create_project(current_user):
        abort(403)
    form = ProjectForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            project = projects.create_project(
                current_user, _project_fields(form), logo=form.logo.data or None
            )
        if outcome.ok:
            flash(_("Votre projet est en ligne. Dites maintenant ce dont il a besoin !"), "success")
            return redirect(url_for("members.project", project_id=project.id))
    return render_template("members/project_form.html", form=form, project=None)


def _project_fields(form: ProjectForm) -> projects.ProjectFields:
    return projects.ProjectFields(
        title=form.title.data,
        pitch=form.pitch.data,
        stage=form.stage.data,
        visibility=form.visibility.data,
        description=form.description.data,
        theme=form.theme.data,
        commune=form.commune.data,
        departement=form.departement.data,
    )


@bp.route("/projets/<int:project_id>")
def project(project_id: int):
    project = _visible_or_refuse(projects.load_project_page(project_id))
    entries = projects.latest_entries(project, limit=5)
    follow = (
        feeds.follow_state(current_user, project=project) if current_user.is_authenticated else None
    )
    panels = [
        (panel, ctx)
        for panel in registry.project_panels
        if (ctx := panel.loader(project, current_user)) is not None
    ]
    return render_template(
        "members/project.html",
        project=project,
        entries=entries,
        follow=follow,
        form=EmptyForm(formdata=None),
        panels=panels,
    )


@bp.route("/projets/<int:project_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_project(project_id: int):
    project = _editable(project_id)
    form = ProjectForm(obj=project) if request.method == "GET" else ProjectForm()
    if request.method == "GET":
        form.theme.data = project.theme or ""
        form.departement.data = project.departement or ""
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            projects.update_project(
                project,
                current_user,
                _project_fields(form),
                logo=form.logo.data or None,
                remove_logo=form.remove_logo.data,
            )
        if outcome.ok:
            flash(_("Le projet est à jour."), "success")
            return redirect(url_for("members.project", project_id=project.id))
    return render_template("members/project_form.html", form=form, project=project)


@bp.route("/projets/<int:project_id>/suivre", methods=["POST"])
@login_required
def follow_project(project_id: int):
    project = _visible_or_refuse(projects.get_project(project_id))
    if not policies.can_follow_project(current_user, project):
        abort(403)
    if EmptyForm().validate_on_submit():
        feeds.follow_project(current_user, project)
        flash(_("Vous suivez ce projet : ses nouvelles arriveront dans votre fil."), "success")
    return redirect(url_for("members.project", project_id=project.id))


@bp.route("/projets/<int:project_id>/ne-plus-suivre", methods=["POST"])
@login_required
def unfollow_project(project_id: int):
    project = _visible_or_refuse(projects.get_project(project_id))
    if EmptyForm().validate_on_submit():
        feeds.unfollow(current_user, project=project)
        flash(_("Vous ne suivez plus ce projet."), "info")
    return redirect(url_for("members.project", project_id=project.id))


# --- team -------------------------------------------------------------------------------


@bp.route("/projets/<int:project_id>/equipe")
@login_required
def team(project_id: int):
    project = _visible_or_refuse(projects.load_project_for_team(project_id))
    if not (
        policies.is_team_member(current_user, project)
        or policies.can_answer_invitation(current_user, project)
    ):
        abort(403)
    return render_template("members/team.html", project=project, form=EmptyForm(formdata=None))


@bp.route("/membres/<int:user_id>/inviter", methods=["POST"])
@login_required
def invite(user_id: int):
    invitee = load_member(user_id)
    if invitee is None or not policies.can_view_profile(current_user, invitee):
        abort(404)
    form = InviteForm()
    form.project_id.choices = [(p.id, p.title) for p in projects.owned_projects(current_user)]
    project = projects.get_project(request.form.get("project_id", type=int) or 0)
    if project is None:
        abort(404)
    if not policies.can_manage_team(current_user, project):
        abort(403)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            projects.invite_member(project, current_user, invitee, form.title.data)
        if outcome.ok:
            flash(_("Invitation envoyée à %(name)s.", name=invitee.public_name), "success")
        else:
            flash(outcome.error.message, "error")
    return redirect(url_for("members.profile", user_id=invitee.id))


@bp.route("/projets/<int:project_id>/invitation/<any(accepter, decliner):answer>", methods=["POST"])
@login_required
def answer_invitation(project_id: int, answer: str):
    project = _visible_or_refuse(projects.get_project(project_id))
    if not policies.can_answer_invitation(current_user, project):
        abort(403)
    if EmptyForm().validate_on_submit():
        projects.answer_invitation(project, current_user, accept=answer == "accepter")
        flash(
            _("Bienvenue dans l’équipe !") if answer == "accepter" else _("Invitation déclinée."),
            "success" if answer == "accepter" else "info",
        )
    return redirect(url_for("members.project", project_id=project.id))


@bp.route("/projets/<int:project_id>/equipe/<int:user_id>/retirer", methods=["POST"])
@login_required
def remove_teammate(project_id: int, user_id: int):
    project = projects.get_project(project_id)
    if project is None:
        abort(404)
    if not policies.can_manage_team(current_user, project):
        abort(403)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            projects.remove_member(project, current_user, user_id)
        flash(
            _("L’équipe est mise à jour.") if outcome.ok else outcome.error.message,
            "success" if outcome.ok else "error",
        )
    return redirect(url_for("members.team", project_id=project.id))


@bp.route("/projets/<int:project_id>/quitter", methods=["POST"])
@login_required
def leave(project_id: int):
    project = projects.get_project(project_id)
    if project is None:
        abort(404)
    if not policies.can_leave_project(current_user, project):
        abort(403)
    if EmptyForm().validate_on_submit():
        projects.leave_project(project, current_user)
        flash(_("Vous avez quitté l’équipe de ce projet."), "info")
    return redirect(url_for("members.project", project_id=project.id))


# --- needs and offers -------------------------------------------------------------------


@bp.route("/projets/<int:project_id>/besoins/nouveau", methods=["GET", "POST"])
@login_required
def new_need(project_id: int):
    project = _editable(project_id)
    form = NeedForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            need = needs.create_need(project, current_user, _need_fields(form))
        if outcome.ok:
            flash(
                _("Besoin publié : les membres peuvent maintenant proposer leur aide."), "success"
            )
            return redirect(url_for("members.need", need_id=need.id))
    return render_template("members/need_form.html", form=form, project=project, need=None)


def _need_fields(form: NeedForm) -> needs.NeedFields:
    return needs.NeedFields(
        kind=form.kind.data,
        title=form.title.data,
        description=form.description.data,
        quantity=form.quantity.data,
        unit=form.unit.data or None,
    )


@bp.route("/besoins/<int:need_id>", methods=["GET", "POST"])
@post_limit("RATELIMIT_OFFER")
def need(need_id: int):
    need = needs.load_need_page(need_id)
    if need is None:
        abort(404)
    _visible_or_refuse(need.project)
    form = OfferForm() if request.method == "POST" else OfferForm(formdata=None)
    if request.method == "POST":
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if form.validate_on_submit():
            with form_errors(form) as outcome:
                needs.offer_help(need, current_user, form.message.data)
            if outcome.ok:
                flash(_("Merci ! Votre proposition est envoyée à l’équipe du projet."), "success")
                return redirect(url_for("members.need", need_id=need.id))
            need = needs.load_need_page(need_id)  # the failed attempt rolled back
    return render_template(
        "members/need.html",
        need=need,
        project=need.project,
        offer_form=form,
        form=EmptyForm(formdata=None),
        invitation=suggestions.invitation_for(current_user, need),
    )


@bp.route("/besoins/<int:need_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_need(need_id: int):
    need = needs.load_need_page(need_id)
    if need is None:
        abort(404)
    if not policies.can_edit_project(current_user, need.project):
        abort(403)
    if request.method == "GET":
        quantity = need.amount_cents // 100 if need.amount_cents is not None else need.quantity
        unit = "eur" if need.amount_cents is not None else (need.quantity_unit or "")
        form = NeedForm(
            formdata=None,
            kind=need.kind,
            title=need.title,
            description=need.description,
            quantity=quantity,
            unit=unit,
        )
    else:
        form = NeedForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            needs.update_need(need, current_user, _need_fields(form))
        if outcome.ok:
            flash(_("Le besoin est à jour."), "success")
            return redirect(url_for("members.need", need_id=need.id))
    return render_template("members/need_form.html", form=form, project=need.project, need=need)


@bp.route("/besoins/<int:need_id>/<any(pourvu, rouvrir):action>", methods=["POST"])
@login_required
def need_status(need_id: int, action: str):
    need = needs.load_need_page(need_id)
    if need is None:
        abort(404)
    if not policies.can_edit_project(current_user, need.project):
        abort(403)
    if EmptyForm().validate_on_submit():
        needs.set_fulfilled(need, current_user, fulfilled=action == "pourvu")
        flash(
            _("Besoin marqué comme pourvu. Bravo !")
            if action == "pourvu"
            else _("Le besoin est de nouveau ouvert aux propositions."),
            "success",
        )
    return redirect(url_for("members.need", need_id=need.id))


@bp.route(
    "/propositions/<int:offer_id>/<any(accepter, decliner, retirer):action>", methods=["POST"]
)
@login_required
def answer_offer(offer_id: int, action: str):
    offer = needs.get_offer(offer_id)
    if offer is None or not policies.can_view_need(current_user, offer.need):
        abort(404)
    allowed = (
        policies.can_withdraw_offer(current_user, offer)
        if action == "retirer"
        else policies.can_edit_project(current_user, offer.need.project)
    )
    if not allowed:
        abort(403)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            if action == "retirer":
                needs.withdraw_offer(offer, current_user)
            else:
                needs.respond_to_offer(offer, current_user, accept=action == "accepter")
        if not outcome.ok:
            flash(outcome.error.message, "error")
        elif action == "accepter":
            flash(
                _(
                    "Proposition acceptée : vous voyez maintenant les coordonnées de "
                    "%(name)s, et cette personne voit les vôtres.",
                    name=offer.helper.public_name,
                ),
                "success",
            )
        else:
            flash(_("C’est noté."), "info")
    return redirect(url_for("members.need", need_id=offer.need_id) + f"#offre-{offer_id}")


# --- journal and milestones ---------------------------------------------------------------


def _journal_page(project, *, entry_form=None, milestone_form=None, status=200):
    page = journal.journal_page(project, page_arg())
    can_post = policies.can_post_journal(current_user, project)
    return render_template(
        "members/journal.html",
        project=project,
        page=page,
        can_post=can_post,
        entry_form=entry_form or (JournalForm(formdata=None) if can_post else None),
        milestone_form=milestone_form or (MilestoneForm(formdata=None) if can_post else None),
        form=EmptyForm(formdata=None),
    ), status


@bp.route("/projets/<int:project_id>/suivi", endpoint="journal")
def journal_view(project_id: int):
    project = _visible_or_refuse(projects.load_project_page(project_id))
    return _journal_page(project)


@bp.route("/projets/<int:project_id>/suivi", methods=["POST"])
@login_required
def post_entry(project_id: int):
    project = _editable(project_id, projects.load_project_page)
    form = JournalForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            journal.post_entry(
                project,
                current_user,
                title=form.title.data,
                body=form.body.data,
                image=form.image.data or None,
            )
        if outcome.ok:
            flash(_("Actualité publiée."), "success")
            return redirect(url_for("members.journal", project_id=project.id))
        project = projects.load_project_page(project_id)
    return _journal_page(project, entry_form=form)


@bp.route("/projets/<int:project_id>/jalons", methods=["POST"])
@login_required
def declare_milestone(project_id: int):
    project = _editable(project_id, projects.load_project_page)
    form = MilestoneForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            journal.declare_milestone(
                project,
                current_user,
                kind=form.kind.data,
                occurred_on=form.occurred_on.data,
                note=form.note.data,
            )
        if outcome.ok:
            flash(_("Jalon enregistré. Un animateur ou une animatrice le confirmera."), "success")
            return redirect(url_for("members.journal", project_id=project.id) + "#jalons")
        project = projects.load_project_page(project_id)
    return _journal_page(project, milestone_form=form)


@bp.route("/suivi/<int:entry_id>/supprimer", methods=["POST"])
@login_required
def delete_entry(entry_id: int):
    entry = db.get_or_404(JournalEntry, entry_id)
    if not policies.can_delete_journal_entry(current_user, entry):
        abort(403)
    if EmptyForm().validate_on_submit():
        journal.delete_entry(entry, current_user)
        flash(_("Actualité supprimée."), "info")
    return redirect(url_for("members.journal", project_id=entry.project_id))


@bp.route("/jalons/<int:milestone_id>/<any(confirmer, supprimer):action>", methods=["POST"])
@login_required
def milestone_action(milestone_id: int, action: str):
    milestone = journal.get_milestone(milestone_id)
    if milestone is None:
        abort(404)
    allowed = (
        policies.can_confirm_milestone(current_user, milestone)
        if action == "confirmer"
        else policies.can_delete_milestone(current_user, milestone)
    )
    if not allowed:
        abort(403)
    if EmptyForm().validate_on_submit():
        if action == "confirmer":
            journal.confirm_milestone(milestone, current_user)
            flash(
                _("Jalon confirmé : il compte désormais dans le tableau de bord d’impact."),
                "success",
            )
        else:
            journal.delete_milestone(milestone, current_user)
            flash(_("Jalon retiré."), "info")
    target = request.form.get("next")
    return redirect(
        safe_next(target)
        if target
        else url_for("members.journal", project_id=milestone.project_id) + "#jalons"
    )


@bp.route("/jalons-a-confirmer")
def milestones_to_confirm():
    """The old address of the queue, now in the administration."""
    return redirect(url_for("members.admin_milestones"), 301)
