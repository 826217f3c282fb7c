"""Atom feeds, read by feed readers without an account: so only what anonymous visitors
may see, through the owning module's public functions and view policies."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user

from tremplin.site import bp


def _atom(**context):
    body = render_template("site/feed.xml", **context)
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}


@bp.route("/rencontres/flux.atom")
def meetups_feed():
    from tremplin.meetups import upcoming_meetups

    meetups = upcoming_meetups(None, limit=50)
    entries = [
        {
            "id": url_for("meetups.meetup", meetup_id=m.id, _external=True),
            "title": m.title,
            "url": url_for("meetups.meetup", meetup_id=m.id, _external=True),
            "updated": getattr(m, "updated_at", None)
            or getattr(m, "created_at", None)
            or m.starts_at,
            "summary": getattr(m, "description", "") or "",
            "when": m.starts_at,
        }
        for m in meetups
    ]
    return _atom(
        feed_title="Tremplin · rencontres",
        feed_url=url_for("site.meetups_feed", _external=True),
        page_url=url_for("meetups.index", _external=True),
        entries=entries,
    )


@bp.route("/projets/<int:project_id>/journal.atom")
def project_feed(project_id: int):
    from sqlalchemy import select

    from tremplin.members import JournalEntry, can_view_project, get_project
    from tremplin.platform.extensions import db

    project = get_project(project_id)
    if project is None:
        abort(404)
    if not can_view_project(current_user, project):
        abort(404)  # a feed reader has no account: say nothing about hidden projects
    page = url_for("members.project", project_id=project.id, _external=True)
    entries = [
        {
            "id": f"{page}#journal-{e.id}",
            "title": e.title or project.title,
            "url": f"{page}#journal-{e.id}",
            "updated": e.created_at,
            "summary": e.body,
            "when": None,
        }
        for e in db.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.project_id == project.id)
            .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
            .limit(50)
        )
    ]
    return _atom(
        feed_title=f"{project.title} · journal",
        feed_url=url_for("site.project_feed", project_id=project.id, _external=True),
        page_url=page,
        entries=entries,
    )
