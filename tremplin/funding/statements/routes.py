"""Statement pages, for a campaign's team (its project's account) and a club's treasurer:
upload, proposed matches confirmed one by one or all at once, matching by hand,
dismissing. Load (404) → policy (403) → service → render/redirect."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tremplin.funding import bp
from tremplin.funding.statements import parsers, policies, services
from tremplin.funding.statements.forms import ConfirmAllForm, ConfirmForm, ManualForm, UploadForm
from tremplin.funding.statements.models import (
    LINE_DISMISSED,
    LINE_MATCHED,
    LINE_OPEN,
    StatementLine,
)
from tremplin.platform import idempotency
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.templating import euros

MAX_BYTES_DEFAULT = 2 * 1024 * 1024
SHOWN = 200  # open lines on one page (and in its "confirm all")


@dataclass
class Scope:
    account: services.Account
    title: str
    back_url: str
    back_label: str
    prefix: str  # endpoint prefix: "funding.statement" or "funding.club_statement"
    args: dict
    campaign: object | None = None
    club: object | None = None
    extra: dict = field(default_factory=dict)

    def url(self, page: str = "s", **more) -> str:
        endpoint = self.prefix + ("s" if page == "s" else f"_{page}")
        return url_for(endpoint, **self.args, **more)


def _campaign_scope(campaign_id: int) -> Scope:
    from tremplin.funding.routes import load_campaign

    campaign = load_campaign(campaign_id)
    if not policies.can_reconcile_campaign(current_user, campaign):
        abort(403)
    return Scope(
        account=services.project_account(campaign),
        title=campaign.title,
        back_url=url_for("funding.manage", campaign_id=campaign.id),
        back_label=_("Retour à la gestion de la collecte"),
        prefix="funding.statement",
        args={"campaign_id": campaign.id},
        campaign=campaign,
    )


def _club_scope(club_id: int) -> Scope:
    from tremplin.funding.clubs.routes import member_club

    club = member_club(club_id)
    if not policies.can_reconcile_club(current_user, club):
        abort(403)
    return Scope(
        account=services.club_account(club),
        title=club.name,
        back_url=url_for("clubs.treasury", club_id=club.id),
        back_label=_("Retour à la trésorerie du club"),
        prefix="funding.club_statement",
        args={"club_id": club.id},
        club=club,
    )


# --- the page ---------------------------------------------------------------------------------


def _choices(scope: Scope) -> list[tuple[str, str]]:
    """What an unmatched line can be matched to by hand."""
    if scope.club is None:
        return [
            (
                f"p:{p.id}",
                _(
                    "%(ref)s · %(name)s · reste dû %(rest)s",
                    ref=p.reference,
                    name=p.backer.display_name if p.backer else _("Membre supprimé"),
                    rest=euros(p.amount_cents - p.collected_cents, True),
                ),
            )
            for p in services.open_pledges(scope.account)
        ]
    import tremplin.funding.clubs.savings as savings
    from tremplin.funding.clubs.models import MEMBER_ACTIVE

    schedules = savings.club_schedules(scope.club)
    upcoming = savings.first_month_not_due(scope.club)
    choices = []
    for member in scope.club.memberships:
        if member.state != MEMBER_ACTIVE:
            continue
        lines = schedules.get(member.id, [])
        months = [m.month for m in lines if m.missing_cents > 0 and not m.payments]
        if upcoming not in months and not any(m.month == upcoming and m.payments for m in lines):
            months.append(upcoming)
        for month in months:
            choices.append(
                (
                    f"m:{member.id}:{month:%Y-%m}",
                    _(
                        "%(name)s · épargne de %(month)s",
                        name=member.user.public_name,
                        month=format_date(month, "MMMM y"),
                    ),
                )
            )
    return choices


def _render(scope: Scope, upload_form: UploadForm | None = None, status: int = 200):
    shown = int(current_app.config.get("FUNDING_STATEMENT_LINES_SHOWN", SHOWN))
    open_lines = services.lines(scope.account, LINE_OPEN, limit=shown + 1)
    more = len(open_lines) > shown  # the others once these are dealt with
    open_lines = open_lines[:shown]
    proposals = services.propose(scope.account, open_lines, club=scope.club)
    ready = [(line, proposals[line.id]) for line in open_lines if proposals.get(line.id, None)]
    confirmable = [(line, p) for line, p in ready if p.ok]
    all_form = ConfirmAllForm(formdata=None)
    all_form.pairs.data = ",".join(f"{line.id}={p.target}" for line, p in confirmable)
    manual_form = ManualForm(formdata=None)
    manual_form.target.choices = [("", _("— choisir —"))] + _choices(scope)
    return render_template(
        "funding/statements.html",
        scope=scope,
        upload_form=upload_form or UploadForm(formdata=None),
        open_lines=open_lines,
        more=more,
        proposals=proposals,
        confirmable=confirmable,
        matched=services.lines(scope.account, LINE_MATCHED, limit=30),
        dismissed=services.lines(scope.account, LINE_DISMISSED, limit=30),
        debits=services.debit_count(scope.account),
        confirm_form=ConfirmForm(formdata=None),
        all_form=all_form,
        manual_form=manual_form,
        empty_form=EmptyForm(formdata=None),
    ), status


def _upload(scope: Scope):
    form = UploadForm()
    if not form.validate_on_submit():
        return _render(scope, form, 422)
    upload = form.statement.data
    if not upload or not getattr(upload, "filename", ""):
        form.statement.errors = [_("Choisissez le fichier du relevé.")]
        return _render(scope, form, 422)
    limit = int(current_app.config.get("FUNDING_STATEMENT_MAX_BYTES", MAX_BYTES_DEFAULT))
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        form.statement.errors = [
            _(
                "Le fichier dépasse %(size)s Mo : importez un relevé plus court (un mois par "
                "exemple).",
                size=f"{limit / 1024 / 1024:g}",
            )
        ]
        return _render(scope, form, 422)
    mapping = parsers.Mapping(
        date=form.date_column.data or "",
        amount=form.amount_column.data or "",
        credit=form.credit_column.data or "",
        label=form.label_column.data or "",
    )
    with form_errors(form) as outcome:
        result = services.import_statement(
            scope.account, current_user, data, upload.filename, mapping
        )
    if not outcome.ok:
        return _render(scope, form, 422)
    message = ngettext(
        "%(num)d ligne lue, ",
        "%(num)d lignes lues, ",
        result.total,
    ) + ngettext("%(num)d nouvelle.", "%(num)d nouvelles.", result.new)
    if result.skipped:
        message += " " + ngettext(
            "%(num)d ligne sans date ou montant lisible ignorée.",
            "%(num)d lignes sans date ou montant lisible ignorées.",
            result.skipped,
        )
    flash(_("Relevé importé : %(what)s", what=message), "success")
    return redirect(scope.url(), code=303)


def _back(scope: Scope, form=None, anchor: str | None = None):
    if form is not None:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        for error in form.form_errors:
            flash(error, "error")
    db.session.rollback()
    return redirect(scope.url(_anchor=anchor) if anchor else scope.url(), code=303)


def _load_line(scope: Scope, line_id: int) -> StatementLine:
    line = db.session.get(StatementLine, line_id)
    if line is None or (line.account_kind, line.account_id) != (
        scope.account.kind,
        scope.account.id,
    ):
        abort(404)
    return line


def _confirm(scope: Scope, line_id: int, manual: bool = False):
    line = _load_line(scope, line_id)
    form = ManualForm() if manual else ConfirmForm()
    idem = f"statements.line:{line.id}"
    done = idempotency.already_done(form.once.data, idem, current_user)
    if done is not None:
        return idempotency.show_done(done, scope.url())
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            claimed = idempotency.claim(form.once.data, idem, current_user)
            services.confirm_target(
                scope.account, line, current_user, form.target.data, club=scope.club
            )
            message = _(
                "virement de %(amount)s du %(day)s rapproché.",
                amount=euros(line.amount_cents, True),
                day=format_date(line.booked_on),
            )
            idempotency.record(claimed, message, scope.url())
        if outcome.ok:
            flash(_("Rapprochement enregistré : %(what)s", what=message), "success")
            return redirect(scope.url(), code=303)
        if isinstance(outcome.error, idempotency.AlreadySubmitted):
            return idempotency.show_done(outcome.error.submission, scope.url())
    return _back(scope, form, anchor=f"ligne-{line.id}")


def _confirm_all(scope: Scope):
    form = ConfirmAllForm()
    idem = f"statements.all:{scope.account.kind}:{scope.account.id}"
    done = idempotency.already_done(form.once.data, idem, current_user)
    if done is not None:
        return idempotency.show_done(done, scope.url())
    pairs = []
    for item in (form.pairs.data or "").split(","):
        line_id, _sep, target = item.partition("=")
        if line_id.isdigit() and target:
            pairs.append((int(line_id), target))
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            claimed = idempotency.claim(form.once.data, idem, current_user)
            result = services.confirm_many(scope.account, current_user, pairs, club=scope.club)
            message = ngettext(
                "%(num)d virement rapproché.", "%(num)d virements rapprochés.", result.done
            )
            idempotency.record(claimed, message, scope.url())
        if isinstance(outcome.error, idempotency.AlreadySubmitted):
            return idempotency.show_done(outcome.error.submission, scope.url())
        if outcome.ok:
            flash(message, "success")
            for line, error in result.failed:
                flash(
                    _(
                        "Ligne du %(day)s (%(amount)s) non rapprochée : %(error)s",
                        day=format_date(line.booked_on),
                        amount=euros(line.amount_cents, True),
                        error=error,
                    ),
                    "error",
                )
            return redirect(scope.url(), code=303)
    return _back(scope, form)


def _decide(scope: Scope, line_id: int, what: str):
    line = _load_line(scope, line_id)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            if what == "ecarter":
                services.dismiss(scope.account, line, current_user)
            else:
                services.reopen(scope.account, line, current_user)
        if outcome.ok:
            flash(
                _("Ligne écartée.") if what == "ecarter" else _("Ligne remise à rapprocher."),
                "success",
            )
            return redirect(scope.url(), code=303)
        flash(outcome.error.message, "error")
    return _back(scope, form)


# --- campaign URLs ---------------------------------------------------------------------------


@bp.route("/collectes/<int:campaign_id>/releves", methods=["GET", "POST"])
@login_required
def statements(campaign_id: int):
    scope = _campaign_scope(campaign_id)
    return _upload(scope) if request.method == "POST" else _render(scope)


@bp.route("/collectes/<int:campaign_id>/releves/lignes/<int:line_id>", methods=["POST"])
@login_required
def statement_confirm(campaign_id: int, line_id: int):
    return _confirm(_campaign_scope(campaign_id), line_id)


@bp.route("/collectes/<int:campaign_id>/releves/lignes/<int:line_id>/main", methods=["POST"])
@login_required
def statement_manual(campaign_id: int, line_id: int):
    return _confirm(_campaign_scope(campaign_id), line_id, manual=True)


@bp.route("/collectes/<int:campaign_id>/releves/tout", methods=["POST"])
@login_required
def statement_all(campaign_id: int):
    return _confirm_all(_campaign_scope(campaign_id))


@bp.route(
    "/collectes/<int:campaign_id>/releves/lignes/<int:line_id>/<any(ecarter, reprendre):what>",
    methods=["POST"],
)
@login_required
def statement_decide(campaign_id: int, line_id: int, what: str):
    return _decide(_campaign_scope(campaign_id), line_id, what)


# --- club URLs ---------------------------------------------------------------------------------


@bp.route("/clubs/<int:club_id>/tresorerie/releves", methods=["GET", "POST"])
@login_required
def club_statements(club_id: int):
    scope = _club_scope(club_id)
    return _upload(scope) if request.method == "POST" else _render(scope)


@bp.route("/clubs/<int:club_id>/tresorerie/releves/lignes/<int:line_id>", methods=["POST"])
@login_required
def club_statement_confirm(club_id: int, line_id: int):
    return _confirm(_club_scope(club_id), line_id)


@bp.route("/clubs/<int:club_id>/tresorerie/releves/lignes/<int:line_id>/main", methods=["POST"])
@login_required
def club_statement_manual(club_id: int, line_id: int):
    return _confirm(_club_scope(club_id), line_id, manual=True)


@bp.route("/clubs/<int:club_id>/tresorerie/releves/tout", methods=["POST"])
@login_required
def club_statement_all(club_id: int):
    return _confirm_all(_club_scope(club_id))


@bp.route(
    "/clubs/<int:club_id>/tresorerie/releves/lignes/<int:line_id>/<any(ecarter, reprendre):what>",
    methods=["POST"],
)
@login_required
def club_statement_decide(club_id: int, line_id: int, what: str):
    return _decide(_club_scope(club_id), line_id, what)
