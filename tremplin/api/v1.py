"""/api/v1: thin views in the usual lifecycle — load (404), the module's own policy (404 for
what the caller may not see, 403 for what they may not do), its service, answer.

Reads of public things need no token; with a token carrying `read` they are answered for
its owner (private groups they belong to…). /me/* and every write need a token.

Over 500 lines: one view per documented operation of the OpenAPI document, kept in one
file so the document reads in route order; the schemas live in schemas.py.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin import funding, groups, meetups, members, mentoring
from tremplin.api import schemas as s
from tremplin.api.core import (
    ApiBlueprint,
    BadCursor,
    PageArgs,
    api_user,
    page_body,
    paginate,
    problem,
    require_scope,
    viewer,
)
from tremplin.platform.extensions import db
from tremplin.platform.models import Notification
from tremplin.platform.notifications import mark_read
from tremplin.platform.types import utcnow

blp = ApiBlueprint(
    "api_v1",
    __name__,
    url_prefix="/api/v1",
    description="L'API publique de Tremplin, version 1.",
)


def _link(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _page(stmt, columns, args, dump, *, descending=False):
    """One page of a list endpoint, or the problem answer for a cursor we did not give."""
    try:
        rows, cursor = paginate(stmt, columns, args, descending=descending)
    except BadCursor:
        return _bad_cursor()
    return page_body(dump(rows), cursor)


def _one(item, can_view, dump):
    """One resource the caller may see; one they may not see does not exist for them."""
    if item is None or not can_view(viewer(), item):
        return problem(404)
    return dump([item])[0]


def _bad_cursor():
    return problem(
        400,
        _("Ce curseur de pagination n'est pas valable."),
        errors={"cursor": [_("Ce curseur de pagination n'est pas valable.")]},
    )


# --- meetups -------------------------------------------------------------------------------


def _meetups_out(rows):
    counts = meetups.registration_counts([m.id for m in rows])
    return [
        {
            "id": m.id,
            "title": m.title,
            "description": m.description or "",
            "starts_at": m.starts_at,
            "ends_at": m.ends_at,
            "state": m.state,
            "venue_name": m.venue_name,
            "address": m.address,
            "online_url": m.online_url,
            "capacity": m.capacity,
            "seats_taken": counts[m.id].confirmed if m.id in counts else 0,
            "waiting": counts[m.id].waiting if m.id in counts else 0,
            "theme": m.theme,
            "group": {"id": m.group.id, "slug": m.group.slug, "name": m.group.name}
            if m.group
            else None,
            "url": _link("meetups.meetup", meetup_id=m.id),
        }
        for m in rows
    ]


@blp.route("/meetups")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.MeetupPage)
def list_meetups(args):
    """Les prochaines rencontres (publiées ou annulées) que l'appelant peut voir."""
    stmt = (
        select(meetups.Meetup)
        .where(meetups.visible_meetups_filter(viewer()), meetups.Meetup.ends_at > utcnow())
        .options(selectinload(meetups.Meetup.group))
    )
    return _page(stmt, [meetups.Meetup.starts_at, meetups.Meetup.id], args, _meetups_out)


@blp.route("/meetups/<int(max=2147483647):meetup_id>")
@blp.response(200, s.MeetupSchema)
def get_meetup(meetup_id: int):
    """Une rencontre."""
    return _one(meetups.load_meetup(meetup_id), meetups.can_view_meetup, _meetups_out)


# --- projects and needs --------------------------------------------------------------------


def _need_out(n):
    return {
        "id": n.id,
        "project_id": n.project_id,
        "kind": n.kind,
        "title": n.title,
        "description": n.description,
        "amount_cents": n.amount_cents,
        "quantity": n.quantity,
        "quantity_unit": n.quantity_unit,
        "status": n.status,
        "url": _link("members.need", need_id=n.id),
    }


def _projects_out(rows):
    return [
        {
            "id": p.id,
            "title": p.title,
            "pitch": p.pitch,
            "theme": p.theme,
            "stage": p.stage,
            "commune": p.commune,
            "departement": p.departement,
            "open_needs": [_need_out(n) for n in p.needs if n.status == "open"],
            "url": _link("members.project", project_id=p.id),
        }
        for p in rows
    ]


class ProjectArgs(PageArgs, s.ProjectArgs):
    pass


@blp.route("/projects")
@blp.arguments(ProjectArgs, location="query")
@blp.response(200, s.ProjectPage)
def list_projects(args):
    """Les projets visibles, avec leurs besoins ouverts."""
    Project, Need = members.Project, members.Need
    stmt = members.visible_projects(viewer()).options(selectinload(Project.needs))
    if args.get("open_needs"):
        stmt = stmt.where(Project.id.in_(select(Need.project_id).where(Need.status == "open")))
    return _page(stmt, [Project.id], args, _projects_out)


@blp.route("/projects/<int(max=2147483647):project_id>")
@blp.response(200, s.ProjectSchema)
def get_project(project_id: int):
    """Un projet et ses besoins ouverts."""
    return _one(members.get_project(project_id), members.can_view_project, _projects_out)


# --- campaigns -----------------------------------------------------------------------------


def _campaigns_out(rows):
    totals = funding.campaign_totals([c.id for c in rows])
    out = []
    for c in rows:
        t = totals.get(c.id)
        out.append(
            {
                "id": c.id,
                "title": c.title,
                "summary": c.summary,
                "project": {"id": c.project.id, "title": c.project.title},
                "status": c.status,
                "rule": c.rule,
                "currency": "EUR",
                "goal_cents": c.goal_cents,
                "pledged_cents": t.pledged_cents if t else 0,
                "backers_count": t.backers_count if t else 0,
                "percent": t.percent if t else 0,
                "deadline_at": c.deadline_at,
                "url": _link("funding.campaign", campaign_id=c.id),
            }
        )
    return out


@blp.route("/campaigns")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.CampaignPage)
def list_campaigns(args):
    """Les collectes (hors brouillons) et leur avancement."""
    stmt = funding.visible_campaigns_stmt(viewer())
    return _page(stmt, [stmt.selected_columns[0].table.c.id], args, _campaigns_out)


@blp.route("/campaigns/<int(max=2147483647):campaign_id>")
@blp.response(200, s.CampaignSchema)
def get_campaign(campaign_id: int):
    """Une collecte et son avancement."""
    return _one(funding.get_campaign(campaign_id), funding.can_view_campaign, _campaigns_out)


# --- groups --------------------------------------------------------------------------------


def _groups_out(rows):
    who = viewer()
    counts = groups.member_counts([g.id for g in rows])
    return [
        {
            "id": g.id,
            "slug": g.slug,
            "name": g.name,
            "description": g.description or "",
            "theme": g.theme,
            "visibility": g.visibility,
            "member_count": counts.get(g.id, 0),
            "channels": [{"id": c.id, "name": c.name, "topic": c.topic or ""} for c in g.channels]
            if groups.can_read_group(who, g)
            else [],
            "url": _link("groups.group", slug=g.slug),
        }
        for g in rows
    ]


@blp.route("/groups")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.GroupPage)
def list_groups(args):
    """Les groupes thématiques (ce que la page des groupes montre à l'appelant)."""
    Group = groups.Group
    stmt = select(Group).options(selectinload(Group.channels))
    return _page(stmt, [Group.id], args, _groups_out)


@blp.route("/groups/<slug>")
@blp.response(200, s.GroupSchema)
def get_group(slug: str):
    """Un groupe thématique."""
    if "\x00" in slug:
        return problem(404)
    group = db.session.scalar(
        select(groups.Group)
        .where(groups.Group.slug == slug)
        .options(selectinload(groups.Group.channels))
    )
    if group is None:
        return problem(404)
    return _groups_out([group])[0]


# --- opportunities -------------------------------------------------------------------------


def _opportunities_out(rows):
    return [
        {
            "id": o.id,
            "title": o.title,
            "kind": o.kind,
            "organisation": o.organisation,
            "description": o.description or "",
            "link": o.url,
            "deadline": o.deadline,
            "departement": o.departement,
            "themes": list(o.themes),
            "url": _link("meetups.opportunity", opportunity_id=o.id),
        }
        for o in rows
    ]


@blp.route("/opportunities")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.OpportunityPage)
def list_opportunities(args):
    """Les opportunités de la veille encore ouvertes."""
    stmt = meetups.opportunities_stmt(viewer()).order_by(None)
    return _page(stmt, [meetups.Opportunity.id], args, _opportunities_out)


# --- impact --------------------------------------------------------------------------------


@blp.route("/impact")
@blp.arguments(s.ImpactArgs, location="query")
@blp.response(200, s.ImpactSchema)
def impact(args):
    """Les chiffres d'impact du réseau sur une année civile (agrégats, sans donnée
    personnelle)."""
    from tremplin.platform.hooks import registry
    from tremplin.platform.impact import PARIS, parse_filters

    year = args.get("year") or datetime.now(PARIS).year
    if year > datetime.now(PARIS).year:
        return problem(404, _("Pas encore de chiffres pour cette année."))
    filters = parse_filters({"periode": "annee", "annee": str(year)})
    figures = [
        {
            "key": i.key,
            "label": str(i.label),
            "value": int(i.compute(filters)),
            "unit": i.unit,
        }
        for i in sorted(registry.indicators.values(), key=lambda i: (i.section, i.order))
    ]
    return {"year": year, "figures": figures}


# --- the token owner's own data ------------------------------------------------------------


@blp.route("/me/registrations")
@require_scope("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.RegistrationPage)
def my_registrations(args):
    """Mes inscriptions aux rencontres (les plus récentes d'abord)."""
    Registration = meetups.Registration

    def dump(rows):
        return [
            {
                "id": r.id,
                "meetup": {
                    "id": r.meetup.id,
                    "title": r.meetup.title,
                    "starts_at": r.meetup.starts_at,
                },
                "status": r.status,
                "guests": r.guests,
                "created_at": r.created_at,
            }
            for r in rows
        ]

    stmt = meetups.my_registrations_stmt(api_user())
    return _page(stmt, [Registration.id], args, dump, descending=True)


@blp.route("/me/pledges")
@require_scope("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.PledgePage)
def my_pledges(args):
    """Mes promesses de soutien aux collectes."""
    stmt = funding.my_pledges_stmt(api_user())

    def dump(rows):
        return [
            {
                "id": p.id,
                "campaign": {"id": p.campaign.id, "title": p.campaign.title},
                "amount_cents": p.amount_cents,
                "collected_cents": p.collected_cents,
                "status": p.status,
                "created_at": p.created_at,
            }
            for p in rows
        ]

    return _page(stmt, [stmt.selected_columns[0].table.c.id], args, dump, descending=True)


@blp.route("/me/pairings")
@require_scope("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.PairingPage)
def my_pairings(args):
    """Mes binômes de parrainage (sans les notes de séance)."""
    me = api_user()
    stmt = mentoring.my_pairings_stmt(me)
    table = stmt.selected_columns[0].table

    def dump(rows):
        out = []
        for p in rows:
            partner = p.partner_of(me)
            out.append(
                {
                    "id": p.id,
                    "role": "mentor" if p.mentor_id == me.id else "porteur",
                    "state": p.state,
                    "partner_name": str(partner.public_name) if partner else "",
                    "started_on": p.started_on,
                    "planned_end_on": p.planned_end_on,
                }
            )
        return out

    return _page(stmt, [table.c.id], args, dump, descending=True)


@blp.route("/me/notifications")
@require_scope("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, s.NotificationPage)
def my_notifications(args):
    """Mes notifications, les plus récentes d'abord."""
    stmt = select(Notification).where(Notification.user_id == api_user().id)

    def dump(rows):
        return [
            {
                "id": n.id,
                "kind": n.kind,
                "text": n.text,
                "url": n.url,
                "read_at": n.read_at,
                "created_at": n.created_at,
            }
            for n in rows
        ]

    return _page(stmt, [Notification.id], args, dump, descending=True)


# --- writes --------------------------------------------------------------------------------


@blp.route("/meetups/<int(max=2147483647):meetup_id>/registrations", methods=["POST"])
@require_scope("rsvp")
@blp.arguments(s.RsvpIn)
@blp.response(201, s.RegistrationSchema)
def rsvp(data, meetup_id: int):
    """M'inscrire à une rencontre (une place, ou la liste d'attente si elle est complète)."""
    me = api_user()
    meetup = meetups.load_meetup(meetup_id)
    if meetup is None or not meetups.can_view_meetup(me, meetup):
        return problem(404)
    if not meetups.can_register(me, meetup):
        return problem(409, _("Les inscriptions à cette rencontre sont closes."))
    registration = meetups.rsvp(me, meetup, data.get("guests", 0))
    return {
        "id": registration.id,
        "meetup": {"id": meetup.id, "title": meetup.title, "starts_at": meetup.starts_at},
        "status": registration.status,
        "guests": registration.guests,
        "created_at": registration.created_at,
    }


@blp.route("/needs/<int(max=2147483647):need_id>/offers", methods=["POST"])
@require_scope("help")
@blp.arguments(s.OfferIn)
@blp.response(201, s.OfferSchema)
def offer_help(data, need_id: int):
    """Proposer mon aide sur un besoin d'un projet."""
    me = api_user()
    need = members.get_need(need_id)
    if need is None or not members.can_view_need(me, need):
        return problem(404)
    if not members.can_offer_help(me, need):
        return problem(409, _("Vous ne pouvez pas (ou plus) proposer votre aide sur ce besoin."))
    offer = members.offer_help(need, me, data["message"])
    return {
        "id": offer.id,
        "need_id": need.id,
        "status": offer.status,
        "created_at": offer.created_at or utcnow(),
    }


@blp.route("/channels/<int(max=2147483647):channel_id>/messages", methods=["POST"])
@require_scope("chat")
@blp.arguments(s.MessageIn)
@blp.response(201, s.MessageSchema)
def post_message(data, channel_id: int):
    """Écrire dans un salon d'un groupe dont je suis membre."""
    me = api_user()
    channel = groups.get_channel(channel_id)
    if channel is None or not groups.can_read_channel(me, channel):
        return problem(404)
    if not groups.can_post_in_channel(me, channel):
        return problem(403, _("Vous ne pouvez pas écrire dans ce salon."))
    message = groups.post_in_channel(me, channel, data["body"])
    return {
        "id": message.id,
        "channel_id": channel.id,
        "body": message.body,
        "created_at": message.created_at,
    }


@blp.route("/me/notifications/read", methods=["POST"])
@require_scope("notifications")
@blp.arguments(s.MarkReadIn)
@blp.response(200, s.MarkedSchema)
def read_notifications(data):
    """Marquer mes notifications comme lues (toutes, ou celles dont on donne les ids)."""
    return {"marked": mark_read(api_user(), data.get("ids"))}
