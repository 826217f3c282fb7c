"""Accounts: registration, confirmation, log-in checks, password and e-mail changes.

Every answer that a visitor sees is the same whether or not an address has an account;
what differs goes by e-mail to the address's owner. Never commits (the request does).
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from tremplin.platform import admission, notifications, tokens
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.models import User, new_session_stamp
from tremplin.platform.types import stamp, utcnow

PASSWORD_MIN = 12
PASSWORD_MAX = 128
# A hash to check against when the address is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("tremplin-dummy-password-for-timing")


class InvalidCredentials(DomainError):
    default_message = _l("Adresse e-mail ou mot de passe incorrect.")


class EmailNotConfirmed(DomainError):
    default_message = _l(
        "Confirmez d'abord votre adresse e-mail : nous venons de vous renvoyer le lien."
    )


class WrongPassword(DomainError):
    default_message = _l("Mot de passe actuel incorrect.")
    field = "current_password"


class LinkStatus(StrEnum):
    OK = "ok"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


def normalise_email(address: str) -> str:
    address = (address or "").strip()
    try:
        info = validate_email(address, check_deliverability=False)
        local, _, domain = info.normalized.rpartition("@")
        return f"{local}@{domain.lower()}".lower()
    except EmailNotValidError:
        return address.lower()


def find_by_email(address: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(address)))


def password_problems(password: str, user_inputs: list[str] | tuple[str, ...] = ()) -> list[str]:
    """What is wrong with a new password, in words for people (empty list: acceptable).

    Length 12 to 128, any characters (spaces and accents welcome), no composition rules;
    guessable passwords are refused by the zxcvbn strength estimator."""
    problems = []
    if len(password) < PASSWORD_MIN:
        problems.append(
            _("Le mot de passe doit contenir au moins %(n)d caractères.", n=PASSWORD_MIN)
        )
    elif len(password) > PASSWORD_MAX:
        problems.append(_("Le mot de passe ne peut pas dépasser %(n)d caractères.", n=PASSWORD_MAX))
    else:
        inputs = ["tremplin", "motdepasse", "azerty"]
        for value in user_inputs:
            if value:  # the whole value and its parts: "nadia.ferhat@x.fr" -> nadia, ferhat…
                inputs.append(value)
                inputs.extend(re.split(r"[@.\s_\-+]+", value.lower()))
                inputs.append(value.split("@")[0])
        result = zxcvbn(password[:72], user_inputs=inputs)  # its own ceiling
        if result["score"] < 3:
            problems.append(
                _(
                    "Ce mot de passe est trop facile à deviner. Essayez une phrase de plusieurs "
                    "mots sans lien entre eux."
                )
            )
    return problems


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def set_password(user: User, password: str) -> None:
    with admission.set_aside():  # no GIL needed: the request's slot goes to another
        user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Log the member out everywhere: every session and remember cookie carries the stamp."""
    user.session_stamp = new_session_stamp()


def _check_hash(password_hash: str, password: str) -> bool:
    with admission.set_aside():  # no GIL needed: the request's slot goes to another
        return check_password_hash(password_hash, password)


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and _check_hash(user.password_hash, password)


# --- registration and confirmation -------------------------------------------------


def register(email: str, password: str, display_name: str, locale: str = "fr") -> User | None:
    """Create an account and send the confirmation link. If the address already has an
    account, create nothing and tell its owner by e-mail instead (same answer on screen)."""
    address = normalise_email(email)
    existing = find_by_email(address)
    if existing is not None:
        notifications.queue_email(
            existing,
            _("Quelqu'un a voulu créer un compte avec votre adresse"),
            "email/already_registered.txt",
            kind=notifications.ACCOUNT_KIND,
            login_url=notifications.absolute_url(url_for("platform.login")),
            reset_url=notifications.absolute_url(url_for("platform.reset_request")),
        )
        return None
    user = User(email=address, display_name=display_name.strip(), locale=locale)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    token = tokens.make_token("confirm", {"uid": user.id, "email": user.email})
    notifications.queue_email(
        user,
        _("Confirmez votre adresse e-mail"),
        "email/confirm.txt",
        kind=notifications.ACCOUNT_KIND,
        link=notifications.absolute_url(url_for("platform.confirm_email", token=token)),
    )


def resend_confirmation(email: str) -> None:
    user = find_by_email(email)
    if user is not None and not user.is_confirmed and user.is_active:
        send_confirmation(user)


def confirm_email(token: str) -> tuple[LinkStatus, User | None]:
    result = tokens.read_token("confirm", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    data = result.data if isinstance(result.data, dict) else {}
    user = db.session.get(User, data.get("uid")) if data.get("uid") else None
    if result.status == "invalid" or user is None or user.is_deleted:
        return LinkStatus.INVALID, None
    if user.email != data.get("email"):
        return LinkStatus.INVALID, None
    if user.is_confirmed:
        return LinkStatus.USED, user
    if result.status == "expired":
        return LinkStatus.EXPIRED, user
    user.email_confirmed_at = utcnow()
    return LinkStatus.OK, user


# --- logging in ---------------------------------------------------------------------


def authenticate(email: str, password: str) -> User:
    """The member behind these credentials, or InvalidCredentials. After repeated failures
    the account is locked for a while; a locked account answers exactly like a wrong
    password (its owner is told by e-mail), so the screen reveals nothing."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        _check_hash(_DUMMY_HASH, password)
        raise InvalidCredentials()
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        _check_hash(_DUMMY_HASH, password)
        raise InvalidCredentials()
    if not check_password(user, password):
        _record_failure(user)
        raise InvalidCredentials()
    if not user.is_confirmed:
        send_confirmation(user)
        raise EmailNotConfirmed()
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _record_failure(user: User) -> None:
    cfg = current_app.config
    user.failed_login_count = (user.failed_login_count or 0) + 1
    if user.failed_login_count >= cfg["ACCOUNT_LOCK_THRESHOLD"]:
        user.failed_login_count = 0
        user.locked_until = utcnow() + timedelta(minutes=cfg["ACCOUNT_LOCK_MINUTES"])
        notifications.queue_email(
            user,
            _("Votre compte est verrouillé temporairement"),
            "email/locked.txt",
            kind=notifications.ACCOUNT_KIND,
            minutes=cfg["ACCOUNT_LOCK_MINUTES"],
            reset_url=notifications.absolute_url(url_for("platform.reset_request")),
        )


# --- password reset -------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    user = find_by_email(email)
    if user is None or not user.is_active:
        return
    token = tokens.make_token(
        "reset", {"uid": user.id, "stamp": tokens.fingerprint(user.session_stamp)}
    )
    notifications.queue_email(
        user,
        _("Réinitialisation de votre mot de passe"),
        "email/reset.txt",
        kind=notifications.ACCOUNT_KIND,
        link=notifications.absolute_url(url_for("platform.reset_password", token=token)),
        minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
    )


def check_reset_token(token: str) -> tuple[LinkStatus, User | None]:
    result = tokens.read_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    data = result.data if isinstance(result.data, dict) else {}
    user = db.session.get(User, data.get("uid")) if data.get("uid") else None
    if result.status == "invalid" or user is None or not user.is_active:
        return LinkStatus.INVALID, None
    if data.get("stamp") != tokens.fingerprint(user.session_stamp):
        return LinkStatus.USED, user  # the password changed since: the link served already
    if result.status == "expired":
        return LinkStatus.EXPIRED, user
    return LinkStatus.OK, user


def reset_password(user: User, new_password: str) -> None:
    set_password(user, new_password)  # new stamp: the link and every session end here
    user.failed_login_count = 0
    user.locked_until = None
    if not user.is_confirmed:
        user.email_confirmed_at = utcnow()  # the reset link proved the address
    notifications.queue_email(
        user,
        _("Votre mot de passe a été modifié"),
        "email/password_changed.txt",
        kind=notifications.ACCOUNT_KIND,
    )


# --- account settings ---------------------------------------------------------------


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not check_password(user, current_password):
        raise WrongPassword()
    set_password(user, new_password)
    notifications.queue_email(
        user,
        _("Votre mot de passe a été modifié"),
        "email/password_changed.txt",
        kind=notifications.ACCOUNT_KIND,
    )


def request_email_change(user: User, current_password: str, new_email: str) -> None:
    if not check_password(user, current_password):
        raise WrongPassword()
    address = normalise_email(new_email)
    if address == user.email:
        raise DomainError(_("C'est déjà votre adresse actuelle."), field="email")
    if find_by_email(address) is not None:
        # Do not reveal that the address has an account: tell that address's owner.
        notifications.queue_email(
            address,
            _("Demande de changement d'adresse"),
            "email/email_taken.txt",
            kind=notifications.ACCOUNT_KIND,
            locale=user.locale,
        )
        return
    user.pending_email = address
    token = tokens.make_token("change-email", {"uid": user.id, "email": address})
    notifications.queue_email(
        address,
        _("Confirmez votre nouvelle adresse e-mail"),
        "email/confirm_change.txt",
        kind=notifications.ACCOUNT_KIND,
        locale=user.locale,
        name=user.display_name,
        link=notifications.absolute_url(url_for("platform.confirm_email_change", token=token)),
    )


def confirm_email_change(token: str) -> tuple[LinkStatus, User | None]:
    result = tokens.read_token("change-email", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    data = result.data if isinstance(result.data, dict) else {}
    user = db.session.get(User, data.get("uid")) if data.get("uid") else None
    if result.status == "invalid" or user is None or not user.is_active:
        return LinkStatus.INVALID, None
    if user.email == data.get("email"):
        return LinkStatus.USED, user
    if user.pending_email != data.get("email"):
        return LinkStatus.INVALID, user
    if result.status == "expired":
        return LinkStatus.EXPIRED, user
    if find_by_email(data["email"]) is not None:
        return LinkStatus.INVALID, user
    old = user.email
    user.email = data["email"]
    user.pending_email = None
    user.email_confirmed_at = utcnow()
    if old:
        notifications.queue_email(
            old,
            _("Votre adresse e-mail a été modifiée"),
            "email/email_changed.txt",
            kind=notifications.ACCOUNT_KIND,
            locale=user.locale,
            new_email=user.email,
        )
    return LinkStatus.OK, user


def set_locale(user: User, locale: str) -> None:
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale


def create_member(
    email: str,
    password: str | None,
    display_name: str,
    *,
    site_role: str = "member",
    confirmed: bool = True,
    locale: str = "fr",
) -> User:
    """Create a confirmed account directly (demo data, CLI, tests). Without a password,
    the account has none until one is set (or chosen through "forgotten password")."""
    user = User(
        email=normalise_email(email),
        display_name=display_name,
        site_role=site_role,
        locale=locale,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


# --- privacy: download my data, delete my account ---------------------------------------


def export_account_data(user: User) -> dict:
    """Everything the platform holds about a member, plus what each module's registered
    exporter adds: the "download my data" file. Notification texts are left out, since
    they quote other members; their kinds and dates are kept."""
    from tremplin.platform.hooks import registry
    from tremplin.platform.models import Notification

    notes = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at)
    ).all()
    data: dict = {
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "locale": user.locale,
            "site_role": user.site_role,
            "created_at": stamp(user.created_at),
            "email_confirmed_at": stamp(user.email_confirmed_at),
            "last_login_at": stamp(user.last_login_at),
            "pending_email": user.pending_email,
        },
        "email_consents": sorted(c.kind for c in user.email_consents),
        "notifications": [
            {
                "kind": n.kind,
                "url": n.url,
                "created_at": stamp(n.created_at),
                "read_at": stamp(n.read_at),
            }
            for n in notes
        ],
    }
    for exporter in registry.data_exporters:
        data.update(exporter(user) or {})
    return data


def rows_of(column, value, *, order_by=None, load=()) -> list:
    """The rows whose `column` is `value` (a list: any of its values), loaded with the
    `load` options, in `order_by` order: what each module's "download my data" and
    erasure read of a member."""
    where = column.in_(value) if isinstance(value, list | tuple) else column == value
    stmt = select(column.class_).where(where).options(*load)
    if order_by is not None:
        stmt = stmt.order_by(order_by)
    return list(db.session.scalars(stmt))


DELETED_NAME = "Membre supprimé"  # what remains in users.display_name (never a person's name)


def scrub_text(columns, needles: list[str], replacement: str = DELETED_NAME) -> None:
    """Replace every occurrence of each needle (a deleted member's name or address) in the
    given text columns, in one UPDATE per column and needle."""
    from sqlalchemy import update

    for column in columns:
        table = column.table
        for needle in needles:
            if not needle:
                continue
            db.session.execute(
                update(table)
                .where(column.contains(needle, autoescape=True))
                .values({column.name: func.replace(column, needle, replacement)})
            )


def erase_account(user: User) -> None:
    """Erase a member's personal data; what they wrote stays, under "Membre supprimé".

    Each module's `on_account_deleted` hook runs first (it may still read the name and
    address), then the platform forgets the account itself: address, name, password,
    consents, notifications and e-mails to them; other members' notifications and
    e-mails that quoted the name or address are scrubbed. The new session stamp ends
    every open session."""
    from sqlalchemy import delete, or_

    from tremplin.platform.hooks import registry
    from tremplin.platform.models import EmailConsent, Notification, OutboxEmail

    if user.is_deleted:
        return
    addresses = [a for a in (user.email, user.pending_email) if a]
    # A name too short to be told apart from ordinary words is left where others wrote it.
    needles = [*addresses, *([user.display_name] if len(user.display_name) >= 4 else [])]
    for hook in registry.on_account_deleted:
        hook(user)
    db.session.flush()
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(EmailConsent).where(EmailConsent.user_id == user.id))
    db.session.execute(
        delete(OutboxEmail).where(
            or_(OutboxEmail.user_id == user.id, OutboxEmail.to_address.in_(addresses or [""]))
        )
    )
    scrub_text([Notification.text, OutboxEmail.subject, OutboxEmail.body_text], needles)
    user.email = None
    user.pending_email = None
    user.display_name = DELETED_NAME
    user.password_hash = None
    user.session_stamp = new_session_stamp()
    user.email_confirmed_at = None
    user.last_login_at = None
    user.failed_login_count = 0
    user.locked_until = None
    user.deleted_at = utcnow()
    db.session.expire(user, ["email_consents"])
    db.session.flush()
