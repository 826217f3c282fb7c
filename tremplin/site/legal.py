"""Legal pages: numbered versions that administrators publish in Markdown, and the
versions each member accepted. A version is never edited; publishing makes the next one.
Until an administrator publishes one, version 1 is the default text shipped with the site
(templates/site/legal/<slug>.md), written to the database the first time someone
accepts it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.site.models import LegalAcceptance, LegalVersion


@dataclass(frozen=True)
class LegalDocument:
    slug: str
    title: Any
    accepted_at_registration: bool


DOCUMENTS: dict[str, LegalDocument] = {
    doc.slug: doc
    for doc in (
        LegalDocument("mentions-legales", _l("Mentions légales"), False),
        LegalDocument("confidentialite", _l("Politique de confidentialité"), True),
        LegalDocument("conditions", _l("Conditions d’utilisation"), True),
        LegalDocument("charte", _l("Charte du réseau"), True),
    )
}
ACCEPTED_AT_REGISTRATION = tuple(s for s, d in DOCUMENTS.items() if d.accepted_at_registration)


class VersionConflict(DomainError):
    default_message = _l("Une autre version vient d’être publiée : rechargez la page.")


def default_body(slug: str) -> str:
    return render_template(f"site/legal/{slug}.md")


def latest(slugs: tuple[str, ...] | None = None) -> dict[str, LegalVersion]:
    """The current (highest-numbered) version of each page that has one, in one query."""
    slugs = slugs or tuple(DOCUMENTS)
    newest = (
        select(LegalVersion.slug, func.max(LegalVersion.number).label("number"))
        .where(LegalVersion.slug.in_(slugs))
        .group_by(LegalVersion.slug)
        .subquery()
    )
    rows = db.session.scalars(
        select(LegalVersion).join(
            newest,
            (LegalVersion.slug == newest.c.slug) & (LegalVersion.number == newest.c.number),
        )
    )
    return {v.slug: v for v in rows}


def versions_of(slug: str) -> list[LegalVersion]:
    return list(
        db.session.scalars(
            select(LegalVersion)
            .where(LegalVersion.slug == slug)
            .order_by(LegalVersion.number.desc())
        )
    )


def terms_signature(versions: dict[str, LegalVersion]) -> str:
    """What the registration form showed: "charte:2,conditions:1,…" (1 = the default text)."""
    return ",".join(
        f"{slug}:{versions[slug].number if slug in versions else 1}"
        for slug in ACCEPTED_AT_REGISTRATION
    )


def publish(
    slug: str, title: str, body: str, summary: str | None, author, expected: int
) -> LegalVersion:
    """Publish the next version of a page. `expected` is the number the editor started
    from: if someone published meanwhile, nothing is written (VersionConflict), so no change
    is silently overwritten. Two publishers at once: the unique (slug, number) lets one win."""
    current = ensure_current()[slug]  # version 1 is the default text until now
    if current.number != expected:
        raise VersionConflict()
    version = LegalVersion(
        slug=slug,
        number=expected + 1,
        title=title.strip(),
        body=body,
        summary=(summary or "").strip() or None,
        author_id=getattr(author, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(version)
    except IntegrityError:
        raise VersionConflict() from None
    return version


def ensure_current() -> dict[str, LegalVersion]:
    """The current version of every page, writing version 1 (the default text) where none
    exists yet; safe when two registrations do it at once."""
    versions = latest()
    for slug, doc in DOCUMENTS.items():
        if slug in versions:
            continue
        try:
            with db.session.begin_nested():
                first = LegalVersion(
                    slug=slug, number=1, title=str(doc.title), body=default_body(slug)
                )
                db.session.add(first)
        except IntegrityError:
            pass
    return latest()


def record_acceptance(user, signature: str) -> None:
    """Store that `user` accepted the versions named by `signature` (from the form). With
    `user` None (the address already had an account) only the signature is checked, so
    the answer on screen is the same."""
    versions = ensure_current()
    if terms_signature(versions) != signature:
        raise VersionConflict(
            _("Un des textes a changé pendant votre inscription : relisez-le et validez à nouveau.")
        )
    if user is None:
        return
    for slug in ACCEPTED_AT_REGISTRATION:
        db.session.add(LegalAcceptance(user_id=user.id, version_id=versions[slug].id))
    db.session.flush()


def acceptances_of(user) -> list[tuple[LegalVersion, Any]]:
    rows = db.session.execute(
        select(LegalVersion, LegalAcceptance.accepted_at)
        .join(LegalAcceptance, LegalAcceptance.version_id == LegalVersion.id)
        .where(LegalAcceptance.user_id == user.id)
        .order_by(LegalAcceptance.accepted_at)
    )
    return [(v, at) for v, at in rows]
