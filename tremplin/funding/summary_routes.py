"""The donor's yearly summary tax receipts: choose it instead of a receipt per gift (pledge
page), ask for it (« mes soutiens »), read it as a printable page or a PDF."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.funding import bp, policies, receipts, summaries
from tremplin.funding.models import SummaryReceipt
from tremplin.funding.routes import load_pledge
from tremplin.members.models import Project
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.pdf import pdf_response


@bp.route("/collectes/promesses/<int:pledge_id>/recu-annuel", methods=["POST"])
@login_required
def choose_yearly_receipt(pledge_id: int):
    pledge = load_pledge(pledge_id)
    if not policies.is_backer(current_user, pledge):
        abort(403)
    form = EmptyForm()
    if form.validate_on_submit():
        yearly = request.form.get("yearly") == "1"
        with form_errors(form) as outcome:
            receipts.choose_yearly_summary(pledge, current_user, yearly)
        if outcome.ok:
            flash(
                _("Ce don figurera sur votre reçu récapitulatif annuel.")
                if yearly
                else _("Ce don aura son propre reçu fiscal."),
                "success",
            )
        else:
            flash(outcome.error.message, "error")
    return redirect(url_for("funding.pledge_page", pledge_id=pledge.id))


@bp.route("/mes-soutiens/recus-annuels", methods=["POST"])
@login_required
def issue_summary():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    project = db.get_or_404(Project, request.form.get("project_id", type=int) or 0)
    year = request.form.get("year", type=int) or 0
    summary = None
    with form_errors(form) as outcome:
        summary = summaries.issue_summary(current_user, project, year)
    if not outcome.ok:
        flash(outcome.error.message, "error")
        return redirect(url_for("funding.my_pledges"))
    return redirect(url_for("funding.summary_receipt", summary_id=summary.id))


def _load_summary(summary_id: int) -> SummaryReceipt:
    summary = db.get_or_404(SummaryReceipt, summary_id)
    if not policies.can_view_summary_receipt(current_user, summary):
        abort(404)
    return summary


@bp.route("/mes-soutiens/recus-annuels/<int:summary_id>")
@login_required
def summary_receipt(summary_id: int):
    summary = _load_summary(summary_id)
    return render_template(
        "funding/receipt_summary.html",
        receipt=summary,
        statement=summaries.statement(summary),
    )


@bp.route("/mes-soutiens/recus-annuels/<int:summary_id>.pdf")
@login_required
def summary_receipt_pdf(summary_id: int):
    summary = _load_summary(summary_id)
    return pdf_response(summaries.render_pdf(summary), f"recu-annuel-{summary.number}.pdf")
