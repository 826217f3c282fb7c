"""The opportunity watch: the list (by theme and type), one opportunity, posting and
editing (organisers), "J'ai candidaté" / "J'ai été retenu·e", and theme subscriptions with
the digest's consent and frequency."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin.meetups import bp, policies
from tremplin.meetups import opportunities as services
from tremplin.meetups.forms import OpportunityForm, SubscriptionForm
from tremplin.meetups.meetups import organised_groups
from tremplin.meetups.models import OPPORTUNITY_KINDS, Opportunity
from tremplin.meetups.notices import KIND_DIGEST
from tremplin.platform import notifications
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm
from tremplin.platform.vocabulary import THEME_LABELS


def _opportunity_or_404(opportunity_id: int) -> Opportunity:
    opportunity = db.session.scalar(
        select(Opportunity)
        .where(Opportunity.id == opportunity_id)
        .options(
            selectinload(Opportunity.theme_rows),
            selectinload(Opportunity.group),
            selectinload(Opportunity.posted_by),
        )
    )
    if opportunity is None or not policies.can_view_opportunity(current_user, opportunity):
        abort(404)
    return opportunity


@bp.route("/opportunites")
def opportunities():
    theme = request.args.get("theme")
    theme = theme if theme in THEME_LABELS else None
    kind = request.args.get("type")
    kind = kind if kind in OPPORTUNITY_KINDS else None
    mine_only = request.args.get("mes-themes") == "1" and current_user.is_authenticated
    my_themes = services.themes_of(current_user) if current_user.is_authenticated else []
    stmt = services.list_stmt(
        current_user, theme=theme, kind=kind, themes=my_themes if mine_only and not theme else None
    )
    page = db.paginate(stmt, per_page=20, max_per_page=50)
    ids = [o.id for o in page.items]
    return render_template(
        "meetups/opportunities.html",
        page=page,
        theme=theme,
        kind=kind,
        mine_only=mine_only,
        my_themes=my_themes,
        counts=services.application_counts(ids),
        mine=services.my_applications(current_user, ids),
        can_post=policies.can_post_opportunity(current_user)
        or bool(organised_groups(current_user)),
        form=EmptyForm(formdata=None),
    )


@bp.route("/opportunites/<int:opportunity_id>")
def opportunity(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    return render_template(
        "meetups/opportunity.html",
        opportunity=item,
        is_open=services.is_open(item),
        counts=services.application_counts([item.id])[item.id],
        mine=services.my_applications(current_user, [item.id]).get(item.id),
        can_edit=policies.can_edit_opportunity(current_user, item),
        can_mark=policies.can_mark_application(current_user, item),
        form=EmptyForm(formdata=None),
    )


def _group_choices(form: OpportunityForm) -> dict:
    groups = organised_groups(current_user)
    choices = [(0, _("Tout le réseau"))] if policies.can_post_opportunity(current_user) else []
    form.group_id.choices = choices + [(g.id, g.name) for g in groups]
    return {g.id: g for g in groups}


def _values(form: OpportunityForm) -> services.OpportunityFields:
    return services.OpportunityFields(
        title=form.title.data or "",
        kind=form.kind.data,
        description=form.description.data or "",
        organisation=form.organisation.data,
        url=form.url.data,
        themes=form.themes.data or [],
        stages=form.stages.data or [],
        departement=form.departement.data or None,
        deadline=form.deadline.data,
    )


@bp.route("/opportunites/nouvelle", methods=["GET", "POST"])
@login_required
def new_opportunity():
    form = OpportunityForm()
    groups = _group_choices(form)
    if not form.group_id.choices:
        abort(403)
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            item = services.post_opportunity(
                current_user, _values(form), group=groups.get(form.group_id.data)
            )
        if outcome.ok:
            flash(
                _("Opportunité publiée : les membres qui suivent ces thèmes la verront."), "success"
            )
            return redirect(url_for("meetups.opportunity", opportunity_id=item.id))
    return render_template("meetups/opportunity_form.html", form=form, opportunity=None)


@bp.route("/opportunites/<int:opportunity_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_opportunity(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    if not policies.can_edit_opportunity(current_user, item):
        abort(403)
    form = OpportunityForm(obj=item) if request.method == "GET" else OpportunityForm()
    form.group_id.choices = [
        (item.group_id or 0, item.group.name if item.group else _("Tout le réseau"))
    ]
    if request.method == "GET":
        form.themes.data = item.themes
        form.stages.data = item.stages or []
        form.departement.data = item.departement or ""
        form.group_id.data = item.group_id or 0
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.update_opportunity(current_user, item, _values(form))
        if outcome.ok:
            flash(_("Opportunité mise à jour."), "success")
            return redirect(url_for("meetups.opportunity", opportunity_id=item.id))
    return render_template("meetups/opportunity_form.html", form=form, opportunity=item)


@bp.route("/opportunites/<int:opportunity_id>/retirer", methods=["POST"])
@login_required
def archive_opportunity(opportunity_id: int):
    item = _opportunity_or_404(opportunity_id)
    if not policies.can_edit_opportunity(current_user, item):
        abort(403)
    form = EmptyForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.archive_opportunity(current_user, item)
        flash(
            _("Opportunité retirée de la veille.") if outcome.ok else outcome.error.message,
            "success" if outcome.ok else "error",
        )
    return redirect(url_for("meetups.opportunities"))


@bp.route("/opportunites/<int:opportunity_id>/<action>", methods=["POST"])
@login_required
def mark_application(opportunity_id: int, action: str):
    item = _opportunity_or_404(opportunity_id)
    if not policies.can_mark_application(current_user, item):
        abort(403)
    handlers = {
        "candidature": (
            services.mark_applied,
            _("C’est noté : vous avez candidaté. Bonne chance !"),
        ),
        "retenu": (services.mark_won, _("Félicitations ! Le réseau est fier de vous.")),
        "annuler-candidature": (services.withdraw_application, _("Candidature retirée.")),
    }
    if action not in handlers:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        run, message = handlers[action]
        with form_errors(form) as outcome:
            run(current_user, item)
        flash(
            message if outcome.ok else outcome.error.message, "success" if outcome.ok else "error"
        )
    return redirect(url_for("meetups.opportunity", opportunity_id=item.id))


@bp.route("/opportunites/abonnements", methods=["GET", "POST"])
@login_required
def subscriptions():
    form = SubscriptionForm()
    consents = {c.kind for c in current_user.email_consents}
    if request.method == "GET":
        form.themes.data = services.subscribed_themes(current_user) or services.themes_of(
            current_user
        )
        form.frequency.data = services.digest_frequency(current_user)
        form.digest.data = KIND_DIGEST in consents
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            services.set_subscriptions(
                current_user, form.themes.data or [], form.frequency.data or "weekly"
            )
            wanted = (consents | {KIND_DIGEST}) if form.digest.data else (consents - {KIND_DIGEST})
            notifications.set_consents(current_user, wanted)
        if outcome.ok:
            flash(_("Vos thèmes sont enregistrés."), "success")
            return redirect(url_for("meetups.opportunities", **{"mes-themes": "1"}))
    return render_template("meetups/subscriptions.html", form=form)
