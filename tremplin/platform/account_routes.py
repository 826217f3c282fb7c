"""Account views: register, confirm, log in/out, reset and change password or e-mail."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.routing import BuildError

from tremplin.platform import accounts, bp, limits, notifications
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
    # Control characters (a CR/LF would split the Location header) and backslashes (which
    # browsers read as slashes) never belong in a same-site path.
    if target and not any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for(default)


def post_limit(name: str, *, target: str | None = None, per_ip: bool = False):
    """Limits on a route's POSTs (Flask-Limiter syntax, read from the config); the 429 page
    explains them in French. A room of members shares one public address, so the limit
    `name` is keyed on what is attacked, not on the address: the submitted `target` field
    (the e-mail a login tries), else the member's account (the visitor's address when
    logged out). A per-address ceiling (`<name>_IP`, else RATELIMIT_POST_IP) stays, high
    enough for a hundred people behind one NAT. `per_ip=True` keys `name` on the address."""
    if per_ip:
        return _limit(name, limits.client_ip)
    keyed = _limit(name, limits.target(target) if target else limits.account_or_ip)
    ceiling = _limit(
        lambda: current_app.config.get(f"{name}_IP") or current_app.config["RATELIMIT_POST_IP"],
        limits.client_ip,
    )
    return lambda view: ceiling(keyed(view))


def _limit(name, key_func):
    value = name if callable(name) else (lambda: current_app.config[name])
    return limiter.limit(value, key_func=key_func, methods=["POST"], error_message="rate-limited")


@bp.route("/inscription", methods=["GET", "POST"])
@post_limit("RATELIMIT_REGISTER", per_ip=True)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("platform.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        with form_errors(form, field="accept_charter") as outcome:
            user = accounts.register(
                form.email.data,
                form.password.data,
                form.display_name.data,
                locale=session.get("lang") or str(get_locale() or "fr"),
            )
            for hook in registry.on_registered:  # the accepted legal versions (site)
                hook(user, request.form.get("terms", ""))
        if outcome.ok:
            session["check_email"] = "register"
            return redirect(url_for("platform.check_email"))
    terms = registry.registration_terms() if registry.registration_terms else None
    return render_template("platform/account/register.html", form=form, terms=terms)


@bp.route("/verifiez-vos-emails")
def check_email():
    reason = session.get("check_email", "register")
    return render_template("platform/account/check_email.html", reason=reason, form=EmailOnlyForm())


@bp.route("/confirmer/<token>")
def confirm_email(token: str):
    status, user = accounts.confirm_email(token)
    if status == accounts.LinkStatus.OK:
        flash(_("Votre adresse e-mail est confirmée. Bienvenue dans le réseau !"), "success")
        if current_user.is_authenticated and current_user.id != user.id:
            return redirect(url_for("platform.home"))
        # The link proves the mailbox: the new member is in at once (first use only; a
        # replayed link answers USED and logs nobody in), and is invited to say who they are.
        if user.is_active:
            login_user(user, remember=False)
            session["welcome"] = True
        return redirect(url_for("platform.welcome"))
    return render_template(
        "platform/account/link_problem.html", status=status, kind="confirm", form=EmailOnlyForm()
    ), 400 if status == accounts.LinkStatus.INVALID else 200


@bp.route("/bienvenue")
@login_required
def welcome():
    """First steps after confirming the address: complete the profile, find a group."""
    try:
        profile_url = url_for("members.edit_profile")
    except BuildError:
        profile_url = None
    return render_template("platform/account/welcome.html", profile_url=profile_url)


@bp.route("/confirmer", methods=["POST"])
@post_limit("RATELIMIT_RESET", target="email")
def resend_confirmation():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.resend_confirmation(form.email.data)
        session["check_email"] = "confirm"
        return redirect(url_for("platform.check_email"))
    return render_template("platform/account/check_email.html", reason="confirm", form=form)


@bp.route("/connexion", methods=["GET", "POST"])
@post_limit("RATELIMIT_LOGIN", target="email")
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
        if current_user.is_authenticated:
            # A new stamp ends this session on the server: a copied cookie (or remember
            # cookie) carries the old one and no longer loads anybody.
            accounts.end_sessions(current_user)
        logout_user()
        flash(_("Vous êtes déconnecté. À bientôt !"), "info")
    return redirect(url_for("platform.home"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@post_limit("RATELIMIT_RESET", target="email")
def reset_request():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        session["check_email"] = "reset"
        return redirect(url_for("platform.check_email"))
    return render_template("platform/account/reset_request.html", form=form)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@post_limit("RATELIMIT_RESET", target="token")
def reset_password(token: str):
    status, user = accounts.check_reset_token(token)
    if status != accounts.LinkStatus.OK:
        return render_template(
            "platform/account/link_problem.html", status=status, kind="reset", form=EmailOnlyForm()
        ), 400 if status == accounts.LinkStatus.INVALID else 200
    form = ResetPasswordForm(user=user)
    if form.validate_on_submit():
        accounts.reset_password(user, form.password.data)
        logout_user()
        flash(_("Votre mot de passe est modifié. Connectez-vous avec le nouveau."), "success")
        return redirect(url_for("platform.login"))
    return render_template("platform/account/reset_password.html", form=form, token=token)


# --- settings -------------------------------------------------------------------------


def _settings_forms(**overrides):
    forms = {
        "password_form": ChangePasswordForm(prefix="pw", user=current_user),
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
    form = ChangePasswordForm(prefix="pw", user=current_user)
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
