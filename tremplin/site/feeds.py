"""Atom feeds, read by feed readers without an account: so only what anonymous visitors
may see, through the owning module's public functions and view policies."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_babel import gettext as _
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


def campaign_feed_url(campaign) -> str | None:
    """The campaign's news feed, if a feed reader (no account) may read it."""
    from flask_login import AnonymousUserMixin

    from tremplin.funding import can_view_campaign

    if campaign.status == "draft" or not can_view_campaign(AnonymousUserMixin(), campaign):
        return None
    return url_for("site.campaign_feed", campaign_id=campaign.id)


@bp.route("/collectes/<int:campaign_id>/actualites.atom")
def campaign_feed(campaign_id: int):
    """A campaign's news (*actualités*): what its page shows to anyone who may see it."""
    from sqlalchemy import select

    from tremplin.funding import can_view_campaign, get_campaign
    from tremplin.funding.models import CampaignUpdate
    from tremplin.platform.extensions import db

    campaign = get_campaign(campaign_id)
    if campaign is None or campaign.status == "draft":
        abort(404)
    if not can_view_campaign(current_user, campaign):
        abort(404)
    page = url_for("funding.campaign", campaign_id=campaign.id, _external=True)
    entries = [
        {
            "id": f"{page}#actualite-{u.id}",
            "title": u.title,
            "url": f"{page}#actualite-{u.id}",
            "updated": u.created_at,
            "summary": u.body,
            "when": None,
        }
        for u in db.session.scalars(
            select(CampaignUpdate)
            .where(CampaignUpdate.campaign_id == campaign.id)
            .order_by(CampaignUpdate.created_at.desc(), CampaignUpdate.id.desc())
            .limit(50)
        )
    ]
    return _atom(
        feed_title=_("%(title)s · actualités", title=campaign.title),
        feed_url=url_for("site.campaign_feed", campaign_id=campaign.id, _external=True),
        page_url=page,
        entries=entries,
    )


# --- a group's announcements: the messages its moderators pinned ---------------------------
#
# A group's channels are read by signed-in members only (public group: any member of the
# network; private group: its members), so there is no anonymous feed of them. Each reader
# gets their own secret URL instead: a signed (member, group, password fingerprint) token,
# checked against the same `can_read_group` policy on every fetch. Leaving the group, being
# banned or suspended ends it; changing one's password revokes every such URL. (Not the
# session stamp: logging out rotates it, and a feed reader must survive a logout.)

_GROUP_FEED_SALT = "tremplin:group-feed"


def _group_feed_serializer():
    from flask import current_app
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_GROUP_FEED_SALT)


def group_feed_url(user, group, external: bool = False) -> str | None:
    """The member's own announcements feed of `group` (None if they may not read it)."""
    from tremplin.groups import can_read_group

    if not can_read_group(user, group):
        return None
    from tremplin.platform.tokens import fingerprint

    token = _group_feed_serializer().dumps([user.id, group.id, fingerprint(user.password_hash)])
    return url_for("site.group_feed", slug=group.slug, jeton=token, _external=external)


def _feed_reader(token: str | None, group):
    from itsdangerous import BadSignature

    from tremplin.platform.extensions import db
    from tremplin.platform.models import User
    from tremplin.platform.tokens import fingerprint

    if not token:
        return None
    try:
        user_id, group_id, key = _group_feed_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id)
    if group_id != group.id or user is None or not user.password_hash:
        return None
    if fingerprint(user.password_hash) != key:
        return None
    return user


@bp.route("/groupes/<slug>/annonces.atom")
def group_feed(slug: str):
    from flask import request
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from tremplin.groups import can_read_group
    from tremplin.groups.models import Channel, Group, Message
    from tremplin.platform.extensions import db

    group = db.first_or_404(select(Group).where(Group.slug == slug))
    reader = _feed_reader(request.args.get("jeton"), group)
    if reader is None or not can_read_group(reader, group):
        abort(404)  # say nothing about the group to a reader without a valid key
    messages = db.session.scalars(
        select(Message)
        .join(Channel, Channel.id == Message.channel_id)
        .where(
            Channel.group_id == group.id,
            Message.pinned_at.is_not(None),
            Message.deleted_at.is_(None),
            Message.hidden_at.is_(None),
        )
        .options(joinedload(Message.channel), joinedload(Message.author))
        .order_by(Message.pinned_at.desc(), Message.id.desc())
        .limit(50)
    ).unique()
    entries = []
    for m in messages:
        link = url_for(
            "groups.channel",
            slug=group.slug,
            channel_slug=m.channel.slug,
            _anchor=f"m{m.id}",
            _external=True,
        )
        first_line = m.body.strip().splitlines()[0] if m.body.strip() else ""
        entries.append(
            {
                "id": link,
                "title": f"#{m.channel.name} · {first_line[:80]}",
                "url": link,
                "updated": m.edited_at or m.pinned_at,
                "summary": m.body,
                "when": None,
            }
        )
    response = _atom(
        feed_title=_("%(name)s · annonces", name=group.name),
        feed_url=url_for("site.group_feed", slug=group.slug, _external=True),
        page_url=url_for("groups.group", slug=group.slug, _external=True),
        entries=entries,
    )
    body, status, headers = response
    headers["Cache-Control"] = "private, no-store"
    headers["X-Robots-Tag"] = "noindex"
    return body, status, headers
