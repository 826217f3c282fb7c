"""Account views: register, confirm, log in/out, reset and change password or e-mail."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tremplin.platform import accounts, bp, notifications
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import limiter
from tremplin.platform.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    EmptyForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    consent_form,
)
from tremplin.platform.hooks import registry


def safe_next(target: str | None, default: str = "platform.home") -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for(default)


def post_limit(name: str):
    """Per-IP limit on a route's POSTs, read from the config key `name` (Flask-Limiter
    syntax); the 429 page explains it in French."""
    return limiter.limit(
        lambda: current_app.config[name], methods=["POST"], error_message="rate-limited"
    )


@bp.route("/inscription", methods=["GET", "POST"])
@post_limit("RATELIMIT_REGISTER")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("platform.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        accounts.register(
            form.email.data,
            form.password.data,
            form.display_name.data,
            locale=session.get("lang", "fr"),
        )
        session["check_email"] = "register"
        return redirect(url_for("platform.check_email"))
    return render_template("platform/account/register.html", form=form)


@bp.route("/verifiez-vos-emails")
def check_email():
    reason = session.get("check_email", "register")
    return render_template("platform/account/check_email.html", reason=reason, form=EmailOnlyForm())


@bp.route("/confirmer/<token>")
def confirm_email(token: str):
    status, user = accounts.confirm_email(token)
    if status == accounts.LinkStatus.OK:
        flash(_("Votre adresse e-mail est confirmée. Bienvenue dans le réseau !"), "success")
        if current_user.is_authenticated:
            return redirect(url_for("platform.home"))
        return redirect(url_for("platform.login"))
    return render_template(
        "platform/account/link_problem.html", status=status, kind="confirm", form=EmailOnlyForm()
    ), 400 if status == accounts.LinkStatus.INVALID else 200


@bp.route("/confirmer", methods=["POST"])
@post_limit("RATELIMIT_RESET")
def resend_confirmation():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.resend_confirmation(form.email.data)
        session["check_email"] = "confirm"
        return redirect(url_for("platform.check_email"))
    return render_template("platform/account/check_email.html", reason="confirm", form=form)


@bp.route("/connexion", methods=["GET", "POST"])
@post_limit("RATELIMIT_LOGIN")
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.EmailNotConfirmed as exc:
            form.form_errors.append(exc.message)
        except accounts.InvalidCredentials as exc:
            # No rollback: the failure count must be kept (the 200 answer commits it).
            form.form_errors.append(exc.message)
        else:
            session.pop("lang", None)
            login_user(user, remember=form.remember.data)
            flash(_("Bonjour %(name)s !", name=user.display_name), "success")
            return redirect(safe_next(form.next.data))
    return render_template("platform/account/login.html", form=form)


@bp.route("/deconnexion", methods=["POST"])
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        flash(_("Vous êtes déconnecté. À bientôt !"), "info")
    return redirect(url_for("platform.home"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@post_limit("RATELIMIT_RESET")
def reset_request():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        session["check_email"] = "reset"
        return redirect(url_for("platform.check_email"))
    return render_template("platform/account/reset_request.html", form=form)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@post_limit("RATELIMIT_RESET")
def reset_password(token: str):
    status, user = accounts.check_reset_token(token)
    if status != accounts.LinkStatus.OK:
        return render_template(
            "platform/account/link_problem.html", status=status, kind="reset", form=EmailOnlyForm()
        ), 400 if status == accounts.LinkStatus.INVALID else 200
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data)
        logout_user()
        flash(_("Votre mot de passe est modifié. Connectez-vous avec le nouveau."), "success")
        return redirect(url_for("platform.login"))
    return render_template("platform/account/reset_password.html", form=form, token=token)


# --- settings -------------------------------------------------------------------------


def _settings_forms(**overrides):
    forms = {
        "password_form": ChangePasswordForm(prefix="pw"),
        "email_form": ChangeEmailForm(prefix="em"),
        "consent_form": consent_form(
            registry.email_kinds, {c.kind for c in current_user.email_consents}
        ),
    }
    forms["account_sections"] = [
        (section.template, context)
        for section in registry.account_sections
        if (context := section.loader(current_user)) is not None
    ]
    forms.update(overrides)
    return forms


@bp.route("/compte")
@login_required
def account_settings():
    return render_template("platform/account/settings.html", **_settings_forms())


@bp.route("/compte/mot-de-passe", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        if outcome.ok:
            login_user(current_user._get_current_object(), remember=False)  # carry the new stamp
            flash(_("Mot de passe modifié. Vos autres sessions ont été déconnectées."), "success")
            return redirect(url_for("platform.account_settings"))
    return render_template("platform/account/settings.html", **_settings_forms(password_form=form))


@bp.route("/compte/email", methods=["POST"])
@login_required
def change_email():
    form = ChangeEmailForm(prefix="em")
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            accounts.request_email_change(current_user, form.current_password.data, form.email.data)
        if outcome.ok:
            flash(
                _(
                    "Nous avons envoyé un lien de confirmation à la nouvelle adresse. "
                    "Votre adresse actuelle reste valable jusqu'à la confirmation."
                ),
                "info",
            )
            return redirect(url_for("platform.account_settings"))
    return render_template("platform/account/settings.html", **_settings_forms(email_form=form))


@bp.route("/compte/email/<token>")
def confirm_email_change(token: str):
    status, _user = accounts.confirm_email_change(token)
    if status == accounts.LinkStatus.OK:
        flash(_("Votre nouvelle adresse e-mail est confirmée."), "success")
        return redirect(
            url_for("platform.account_settings")
            if current_user.is_authenticated
            else url_for("platform.login")
        )
    return render_template(
        "platform/account/link_problem.html",
        status=status,
        kind="change-email",
        form=EmailOnlyForm(),
    ), 400 if status == accounts.LinkStatus.INVALID else 200


@bp.route("/compte/consentements", methods=["POST"])
@login_required
def update_consents():
    form = consent_form(registry.email_kinds, set(), formdata=request.form)
    if form.validate_on_submit():
        chosen = [kind for kind in registry.email_kinds if getattr(form, f"kind_{kind}").data]
        notifications.set_consents(current_user, chosen)
        flash(_("Vos préférences d'e-mails sont enregistrées."), "success")
        return redirect(url_for("platform.account_settings"))
    return render_template("platform/account/settings.html", **_settings_forms(consent_form=form))
