"""Telling people about their meetups, by the right channel.

A member gets an in-site notification (and an e-mail if they chose that kind). A visitor
has no account: they get e-mails only, about the meetup they registered for, each with
their personal links (manage, cancel, support), since that is what they asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, get_locale

from tremplin.platform import tokens
from tremplin.platform.notifications import absolute_url, notify, queue_email

KIND_REGISTRATION = "meetups_registration"
KIND_REMINDER = "meetups_reminder"
KIND_COMMITMENTS = "meetups_commitments"
KIND_DIGEST = "meetups_digest"

TOKEN_PURPOSE = "meetups:registration"
CONFIRM_MAX_AGE = 7 * 24 * 3600
LINK_MAX_AGE = 400 * 24 * 3600  # a manage link stays valid past the meetup (support later)


@contextmanager
def url_context() -> Iterator[None]:
    """Build absolute URLs outside a request (cron commands) like inside one."""
    if has_request_context():
        yield
        return
    base = current_app.config["TREMPLIN_BASE_URL"]
    with current_app.test_request_context("/", base_url=base):
        yield


def current_locale() -> str:
    if has_request_context():
        return str(get_locale() or "fr")
    return "fr"


def registration_token(registration) -> str:
    return tokens.make_token(TOKEN_PURPOSE, [registration.id, registration.link_nonce])


def manage_url(registration) -> str:
    return absolute_url(
        url_for("meetups.manage_registration", token=registration_token(registration))
    )


def meetup_absolute_url(meetup) -> str:
    return absolute_url(url_for("meetups.meetup", meetup_id=meetup.id))


def tell(
    registration,
    kind: str,
    text: str,
    *,
    subject: str | None = None,
    template: str = "email/meetups_registration.txt",
    **context,
) -> None:
    """Tell a registrant something about their meetup, member or visitor."""
    meetup = registration.meetup
    with url_context():
        url = url_for("meetups.meetup", meetup_id=meetup.id)
        if registration.user is not None:
            notify(
                registration.user,
                kind,
                text,
                url,
                subject=subject,
                template=template,
                meetup=meetup,
                registration=registration,
                manage_link=None,
                **context,
            )
            return
        if not registration.email or "@" not in registration.email:
            return  # a walk-in who gave no address, or a visitor forgotten (retention.py)
        with force_locale(registration.locale or "fr"):
            queue_email(
                registration.email,
                subject or text,
                template,
                kind=kind,
                locale=registration.locale or "fr",
                text=text,
                url=absolute_url(url),
                meetup=meetup,
                registration=registration,
                visitor_name=registration.name,
                manage_link=manage_url(registration),
                **context,
            )
