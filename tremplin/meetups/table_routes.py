"""Proposal tables: split, move people, seat latecomers, the timer (and its big screen),
proposals recorded table by table, and the page where the project's team reads them."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.meetups import bp, policies
from tremplin.meetups import proposals as proposal_services
from tremplin.meetups import tables as services
from tremplin.meetups.forms import MoveForm, ProposalForm, SplitForm, TimerForm
from tremplin.meetups.models import ProposalTable, TableProposal, TableSeat
from tremplin.meetups.registrations import find_registration
from tremplin.meetups.routes import managed_meetup, viewable_meetup, wants_json
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm


def _tables_url(meetup, anchor=None):
    return url_for("meetups.tables", meetup_id=meetup.id, _anchor=anchor)


def _flash_outcome(outcome, success: str):
    if outcome.ok:
        flash(success, "success")
    else:
        flash(outcome.error.message, "error")


@bp.route("/rencontres/<int:meetup_id>/tables")
@login_required
def tables(meetup_id: int):
    meetup = viewable_meetup(meetup_id, current_user, full=True)
    can_run = policies.can_manage_meetup(current_user, meetup)
    tables = services.load_tables(meetup)
    my_table = None
    if not can_run:
        registration = find_registration(meetup, current_user)
        if registration is None or registration.checked_in_at is None:
            abort(403)
        my_table = next(
            (
                t
                for t in tables
                for s in t.seats
                if s.registration_id == registration.id and s.guest_index == 0
            ),
            None,
        )
    projects = [link.project for link in meetup.presented]
    proposal_form = ProposalForm(formdata=None)
    proposal_form.project.choices = [(p.id, p.title) for p in projects]
    move_form = MoveForm(formdata=None)
    move_form.table.choices = [(t.id, _("Table %(n)d", n=t.number)) for t in tables]
    return render_template(
        "meetups/tables.html",
        meetup=meetup,
        tables=tables if can_run else ([my_table] if my_table else []),
        can_run=can_run,
        my_table=my_table,
        projects=projects,
        split_form=SplitForm(
            formdata=None, min_size=meetup.table_min_size, max_size=meetup.table_max_size
        ),
        timer_form=TimerForm(formdata=None, minutes=meetup.table_minutes),
        proposal_form=proposal_form,
        move_form=move_form,
        form=EmptyForm(formdata=None),
        warnings=services.size_warnings(meetup, tables) if can_run else [],
        unseated=services.unseated(meetup, tables) if can_run else 0,
        timer=services.timer_state(meetup),
        seat_label=services.seat_label,
        has_proposals=any(t.proposals for t in tables),
    )


@bp.route("/rencontres/<int:meetup_id>/tables/former", methods=["POST"])
@login_required
def split(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user, full=True)
    form = SplitForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            plan = services.split_into_tables(
                current_user, meetup, form.min_size.data, form.max_size.data
            )
        if outcome.ok:
            flash(ngettext_tables(len(plan.tables)), "success")
            for note in plan.notes:
                flash(note, "warning")
        else:
            flash(outcome.error.message, "error")
    else:
        flash(
            " ".join(str(e) for f in form for e in f.errors)
            or _("Le formulaire a expiré : rechargez la page."),
            "error",
        )
    return redirect(_tables_url(meetup))


def ngettext_tables(n: int) -> str:
    from flask_babel import ngettext

    return ngettext("Une table est formée.", "%(num)d tables sont formées.", n)


@bp.route("/rencontres/<int:meetup_id>/tables/retardataires", methods=["POST"])
@login_required
def seat_latecomers(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            count = services.seat_latecomers(current_user, meetup)
        _flash_outcome(outcome, _("%(n)d personne(s) placée(s).", n=count if outcome.ok else 0))
    return redirect(_tables_url(meetup))


@bp.route("/rencontres/<int:meetup_id>/tables/ajouter", methods=["POST"])
@login_required
def add_table(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            table = services.add_table(current_user, meetup)
        _flash_outcome(outcome, _("Table %(n)d ajoutée.", n=table.number if outcome.ok else 0))
    return redirect(_tables_url(meetup))


@bp.route("/rencontres/<int:meetup_id>/tables/places/<int:seat_id>", methods=["POST"])
@login_required
def move(meetup_id: int, seat_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    seat = db.get_or_404(TableSeat, seat_id)
    if seat.table.meetup_id != meetup.id:
        abort(404)
    form = MoveForm()
    target = db.session.get(ProposalTable, form.table.data) if form.table.data else None
    if target is None or target.meetup_id != meetup.id:
        if wants_json():
            return jsonify(ok=False, message=_("Cette table n'existe pas.")), 404
        abort(404)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.move_seat(current_user, seat, target)
        if wants_json():
            if outcome.ok:
                return jsonify(ok=True, seat=seat.id, table=target.id, number=target.number)
            return jsonify(ok=False, message=outcome.error.message), 409
        _flash_outcome(
            outcome,
            _("%(name)s va à la table %(n)d.", name=services.seat_label(seat), n=target.number),
        )
    return redirect(_tables_url(meetup, f"table-{target.number}"))


@bp.route("/rencontres/<int:meetup_id>/tables/minuteur", methods=["POST"])
@login_required
def start_timer(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    form = TimerForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.start_timer(current_user, meetup, form.minutes.data)
        _flash_outcome(outcome, _("C’est parti pour %(n)d minutes !", n=meetup.table_minutes))
    return redirect(_tables_url(meetup))


@bp.route("/rencontres/<int:meetup_id>/tables/minuteur/arreter", methods=["POST"])
@login_required
def stop_timer(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.stop_timer(current_user, meetup)
        _flash_outcome(outcome, _("Minuteur arrêté."))
    return redirect(_tables_url(meetup))


@bp.route("/rencontres/<int:meetup_id>/tables/minuteur.json")
@login_required
def timer(meetup_id: int):
    meetup = viewable_meetup(meetup_id, current_user)
    return jsonify(services.timer_state(meetup))


@bp.route("/rencontres/<int:meetup_id>/tables/ecran")
@login_required
def screen(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user, full=True)
    return render_template(
        "meetups/tables_screen.html",
        meetup=meetup,
        tables=services.load_tables(meetup),
        timer=services.timer_state(meetup),
        seat_label=services.seat_label,
    )


@bp.route("/rencontres/<int:meetup_id>/tables/clore", methods=["POST"])
@login_required
def close_tables(meetup_id: int):
    meetup = managed_meetup(meetup_id, current_user, full=True)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            count = proposal_services.close_tables(current_user, meetup)
        _flash_outcome(
            outcome,
            _(
                "Tables closes : %(n)d proposition(s) transmise(s) à l’équipe du projet.",
                n=count if outcome.ok else 0,
            ),
        )
    return redirect(_tables_url(meetup))


@bp.route("/rencontres/<int:meetup_id>/tables/<int:table_id>/propositions", methods=["POST"])
@login_required
def record_proposal(meetup_id: int, table_id: int):
    meetup = viewable_meetup(meetup_id, current_user, full=True)
    table = db.get_or_404(ProposalTable, table_id)
    if table.meetup_id != meetup.id:
        abort(404)
    if not policies.can_record_proposal(
        current_user, table, proposal_services.seated_user_ids(table)
    ):
        abort(403)
    form = ProposalForm()
    form.project.choices = [(link.project_id, "") for link in meetup.presented]
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            proposal_services.record_proposal(
                current_user, table, form.body.data, form.project.data or None
            )
        _flash_outcome(outcome, _("Proposition notée pour la table %(n)d.", n=table.number))
    else:
        flash(
            " ".join(str(e) for f in form for e in f.errors)
            or _("Le formulaire a expiré : rechargez la page."),
            "error",
        )
    return redirect(_tables_url(meetup, f"table-{table.number}"))


@bp.route("/rencontres/<int:meetup_id>/propositions/<int:proposal_id>/supprimer", methods=["POST"])
@login_required
def delete_proposal(meetup_id: int, proposal_id: int):
    meetup = viewable_meetup(meetup_id, current_user)
    proposal = db.get_or_404(TableProposal, proposal_id)
    if proposal.table.meetup_id != meetup.id:
        abort(404)
    if not policies.can_delete_proposal(current_user, proposal):
        abort(403)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            proposal_services.delete_proposal(current_user, proposal)
        _flash_outcome(outcome, _("Proposition supprimée."))
    return redirect(_tables_url(meetup, f"table-{proposal.table.number}"))


@bp.route("/rencontres/<int:meetup_id>/propositions")
@login_required
def proposals(meetup_id: int):
    meetup = viewable_meetup(meetup_id, current_user, full=True)
    projects = [link.project for link in meetup.presented]
    if not policies.can_see_proposals(current_user, meetup, projects):
        abort(403)
    from tremplin.meetups.commitments import for_meetup

    return render_template(
        "meetups/proposals.html",
        meetup=meetup,
        tables=services.load_tables(meetup),
        projects=projects,
        commitments=for_meetup(meetup),
        seat_label=services.seat_label,
    )
