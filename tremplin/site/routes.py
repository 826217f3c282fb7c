"""Pages of the front door: legal texts and their history, the cookie statement, help,
contact, and the administrators' editor of legal pages."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tremplin.platform.errors import form_errors
from tremplin.site import bp, legal
from tremplin.site.policies import can_edit_legal_pages

LEGAL_SLUGS = "any(" + ", ".join(repr(s) for s in legal.DOCUMENTS) + ")"
HELP_ROLES = ("porteur", "parrain", "investisseur", "animateur")


class LegalEditForm(FlaskForm):
    title = StringField(
        _l("Titre"), validators=[DataRequired(_l("Ce champ est obligatoire.")), Length(max=160)]
    )
    body = TextAreaField(
        _l("Texte (Markdown)"),
        validators=[DataRequired(_l("Ce champ est obligatoire.")), Length(max=100_000)],
        render_kw={"rows": 24},
    )
    summary = StringField(
        _l("Ce qui change (facultatif)"),
        validators=[Optional(), Length(max=300)],
        description=_l("Affiché dans l’historique des versions."),
    )
    expected = HiddenField()


@bp.route(f"/<{LEGAL_SLUGS}:slug>")
def legal_page(slug: str):
    versions = legal.versions_of(slug)
    wanted = request.args.get("version", type=int)
    shown = next((v for v in versions if v.number == wanted), None) if wanted else None
    if wanted and shown is None:
        abort(404)
    shown = shown or (versions[0] if versions else None)
    return render_template(
        "site/legal.html",
        doc=legal.DOCUMENTS[slug],
        version=shown,
        versions=versions,
        body=shown.body if shown else legal.default_body(slug),
        is_latest=not versions or shown is versions[0],
    )


@bp.route("/cookies")
def cookies():
    return render_template("site/cookies.html")


@bp.route("/aide")
def help_page():
    return render_template("site/help.html", roles=HELP_ROLES)


@bp.route("/contact")
def contact():
    return render_template("site/contact.html", email=current_app.config.get("CONTACT_EMAIL"))


@bp.route("/administration/pages-legales")
@login_required
def admin_legal():
    if not can_edit_legal_pages(current_user):
        abort(403)
    return render_template(
        "site/admin_legal.html", documents=legal.DOCUMENTS, current=legal.latest()
    )


@bp.route(f"/administration/pages-legales/<{LEGAL_SLUGS}:slug>", methods=["GET", "POST"])
@login_required
def edit_legal(slug: str):
    if not can_edit_legal_pages(current_user):
        abort(403)
    doc = legal.DOCUMENTS[slug]
    current = legal.latest((slug,)).get(slug)
    form = LegalEditForm()
    if request.method == "GET":
        form.title.data = current.title if current else str(doc.title)
        form.body.data = current.body if current else legal.default_body(slug)
        form.expected.data = str(current.number if current else 1)
    if form.validate_on_submit():
        expected = int(form.expected.data or 0) if (form.expected.data or "0").isdigit() else -1
        with form_errors(form) as outcome:
            version = legal.publish(
                slug, form.title.data, form.body.data, form.summary.data, current_user, expected
            )
        if outcome.ok:
            flash(_("Version %(n)d publiée.", n=version.number), "success")
            return redirect(url_for("site.legal_page", slug=slug))
    return render_template("site/edit_legal.html", form=form, doc=doc, current=current)
