"""Search documents of meetups: published meetups and opportunities, a private group's
items only for its readers and the site's organisers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin import groups
from tremplin.platform.policies import is_organiser
from tremplin.search import (
    ANYONE,
    ORGANISERS,
    VISITOR,
    Cascade,
    Document,
    DocumentType,
    column,
    departement_label,
    join,
    key,
    plain,
    registry,
    safe_url,
    theme_label,
    touched,
)


def group_tokens(user) -> set[str]:
    """The acl tokens of meetups and opportunities `user` holds: the groups they can read
    (computed once per search by groups) and the site's organisers' token."""
    tokens = {key("group", gid) for gid in groups.readable_group_ids(user)}
    if is_organiser(user):
        tokens.add(ORGANISERS)
    return tokens


def register() -> None:
    from sqlalchemy.orm import joinedload, selectinload

    from tremplin.groups.models import Group
    from tremplin.meetups import policies as meetup_policies
    from tremplin.meetups.models import AgendaItem, Meetup, Opportunity, OpportunityTheme, Speaker

    def group_acl(visible_to_all: bool, group) -> tuple[str, ...]:
        # Otherwise a private group's item: its readers and the site's organisers (who
        # run every meetup); the policy decides for each searcher at query time.
        if visible_to_all or group is None:
            return (ANYONE,) if visible_to_all else (ORGANISERS,)
        return (key("group", group.id), ORGANISERS)

    def build_meetup(meetup) -> list[Document]:
        if meetup.state == "draft":
            return []
        group = meetup.group
        theme = meetup.theme or (group.theme if group else None)
        return [
            Document(
                id=key("meetup", meetup.id),
                type="meetup",
                acl=group_acl(meetup_policies.can_view_meetup(VISITOR, meetup), group),
                title=meetup.title,
                tags=join(
                    theme_label(theme),
                    group.name if group else "",
                    meetup.venue_name,
                    departement_label(meetup.departement),
                ),
                body="\n".join(
                    filter(
                        None,
                        [
                            plain(meetup.description),
                            meetup.address,
                            *(item.title for item in meetup.agenda),
                            *(join(s.name, s.organisation, s.offer) for s in meetup.speakers),
                        ],
                    )
                ),
                themes=(theme,) if theme else (),
                territory=meetup.departement,
                date=meetup.starts_at,
                subtitle=join(meetup.venue_name, group.name if group else ""),
            )
        ]

    def meetup_part(part, state):
        return [key("meetup", column(part, "meetup_id"))]

    def group_items(group, state):
        group_id = column(group, "id")
        # On deletion the database detaches them (SET NULL): they become network-wide.
        if state == "deleted" or (
            state != "new" and touched(group, state, "visibility", "name", "theme")
        ):
            return [
                Cascade(
                    "meetup", lambda: Meetup.group_id == group_id, origin=key("group", group_id)
                ),
                Cascade(
                    "opportunity",
                    lambda: Opportunity.group_id == group_id,
                    origin=key("group", group_id),
                ),
            ]
        return []

    registry.register(
        DocumentType(
            name="meetup",
            label=_l("Rencontre"),
            plural=_l("Rencontres"),
            model=Meetup,
            build=build_meetup,
            can_view=meetup_policies.can_view_meetup,
            url=lambda m: safe_url("meetups.meetup", meetup_id=m.id),
            order=50,
            principals=group_tokens,
            load_options=lambda: [
                joinedload(Meetup.group),
                selectinload(Meetup.agenda),
                selectinload(Meetup.speakers),
            ],
            watches={AgendaItem: meetup_part, Speaker: meetup_part, Group: group_items},
        )
    )

    def build_opportunity(opportunity) -> list[Document]:
        if opportunity.archived_at is not None:
            return []
        group = opportunity.group
        themes = tuple(opportunity.themes)
        return [
            Document(
                id=key("opportunity", opportunity.id),
                type="opportunity",
                acl=group_acl(meetup_policies.can_view_opportunity(VISITOR, opportunity), group),
                title=opportunity.title,
                tags=join(
                    opportunity.organisation,
                    *(theme_label(t) for t in themes),
                    departement_label(opportunity.departement),
                ),
                body=plain(opportunity.description),
                themes=themes,
                territory=opportunity.departement,
                stages=tuple(opportunity.stages or ()),
                date=opportunity.created_at,
                subtitle=join(opportunity.organisation),
            )
        ]

    registry.register(
        DocumentType(
            name="opportunity",
            label=_l("Opportunité"),
            plural=_l("Opportunités"),
            model=Opportunity,
            build=build_opportunity,
            can_view=meetup_policies.can_view_opportunity,
            url=lambda o: safe_url("meetups.opportunity", opportunity_id=o.id),
            order=60,
            principals=group_tokens,
            load_options=lambda: [
                joinedload(Opportunity.group),
                selectinload(Opportunity.theme_rows),
            ],
            watches={
                OpportunityTheme: lambda row, state: [
                    key("opportunity", column(row, "opportunity_id"))
                ]
            },
        )
    )
