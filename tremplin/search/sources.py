"""Where documents come from: for each module the application runs, its types — how a
row becomes documents (through the module's public functions, models and policies),
which changes refresh them, who may see a hit, where it leads.

Builders run after the commit in a session of their own: they read the objects they are
given (and what those load lazily) and never `db.session`. Each acl is a coarse
pre-filter derived from the row; the module's policy decides at query time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from tremplin.search.backend import Document
from tremplin.search.documents import (
    ANYONE,
    MEMBERS,
    ORGANISERS,
    READABLE_CACHE,
    SOME_MEMBER,
    VISITOR,
    VISITORS,
    Cascade,
    Change,
    DocumentType,
    Removal,
    _column,
    changed,
    join,
    key,
    plain,
    registry,
    safe_url,
    touched,
)


def _theme_label(code: str | None) -> str:
    from tremplin.platform.vocabulary import THEME_LABELS

    return str(THEME_LABELS.get(code, "")) if code else ""


def _departement(code: str | None) -> str:
    from tremplin.platform.vocabulary import departement_label

    return departement_label(code)


def register_members() -> None:
    from sqlalchemy.orm import joinedload, selectinload

    from tremplin import members
    from tremplin.members import policies as member_policies
    from tremplin.members.labels import NEED_KIND_LABELS, ROLE_LABELS, STAGE_LABELS
    from tremplin.members.models import OPEN, Need, Profile, ProfileTag, Project
    from tremplin.platform.models import User
    from tremplin.platform.templating import member_url
    from tremplin.platform.vocabulary import LANGUAGE_LABELS

    audiences = [("visitors", VISITOR, VISITORS), ("members", SOME_MEMBER, MEMBERS)]
    can_list = getattr(member_policies, "can_view_directory", lambda viewer: True)

    def build_member(user) -> list[Document]:
        if user.is_deleted or not user.is_active:
            return []
        docs = []
        for variant, audience, token in audiences:
            # Members are found by those who may browse the directory (members only:
            # a visitor cannot enumerate the network through search either).
            if not (can_list(audience) and members.can_view_profile(audience, user)):
                continue
            view = members.visible_profile(audience, user)
            roles = [str(ROLE_LABELS.get(r, r)) for r in view.roles]
            docs.append(
                Document(
                    id=key("member", user.id),
                    type="member",
                    variant=variant,
                    acl=(token,),
                    title=view.display_name,
                    tags=join(
                        *view.skills,
                        *(_theme_label(t) for t in view.themes),
                        *roles,
                        view.commune,
                        _departement(view.departement),
                        *(LANGUAGE_LABELS.get(c, c) for c in view.languages),
                    ),
                    body=plain(view.bio),
                    themes=tuple(view.themes),
                    territory=view.departement,
                    date=user.created_at,
                    subtitle=join(*roles[:2], view.commune),
                )
            )
        return docs

    def can_view_member(viewer, user) -> bool:
        return can_list(viewer) and members.can_view_profile(viewer, user)

    def user_changes(user, state):
        # Not on every login (last_login_at): only what the documents show or hide.
        if state == "dirty" and not changed(user, "display_name", "deleted_at", "suspended_at"):
            return []
        return [key("member", _column(user, "id"))]

    registry.register(
        DocumentType(
            name="member",
            label=_l("Membre"),
            plural=_l("Membres"),
            model=User,
            build=build_member,
            can_view=can_view_member,
            url=member_url,
            order=30,
            load_options=lambda: [selectinload(User.profile).selectinload(Profile.tags)],
            watches={
                User: user_changes,
                Profile: lambda p, state: [key("member", _column(p, "user_id"))],
                ProfileTag: lambda t, state: [key("member", _column(t, "user_id"))],
            },
        )
    )

    def build_project(project) -> list[Document]:
        if not members.can_view_project(SOME_MEMBER, project):
            return []
        visible_to_all = members.can_view_project(VISITOR, project)
        return [
            Document(
                id=key("project", project.id),
                type="project",
                acl=(ANYONE,) if visible_to_all else (MEMBERS,),
                title=project.title,
                tags=join(
                    _theme_label(project.theme),
                    STAGE_LABELS.get(project.stage, ""),
                    project.commune,
                    _departement(project.departement),
                ),
                body="\n".join(filter(None, [project.pitch, plain(project.description)])),
                themes=(project.theme,) if project.theme else (),
                territory=project.departement,
                stages=(project.stage,) if project.stage else (),
                date=project.updated_at or project.created_at,
                subtitle=join(project.commune),
            )
        ]

    def project_changes(project, state):
        project_id = _column(project, "id")
        changes: list[Change] = [key("project", project_id)]
        if state == "deleted":
            changes.append(Removal(key("project", project_id)))
        elif state in ("dirty", "bulk"):
            # Needs show their project's theme, place, stage and visibility.
            changes.append(
                Cascade(
                    "need", lambda: Need.project_id == project_id, origin=key("project", project_id)
                )
            )
        return changes

    registry.register(
        DocumentType(
            name="project",
            label=_l("Projet"),
            plural=_l("Projets"),
            model=Project,
            build=build_project,
            can_view=members.can_view_project,
            url=lambda p: safe_url("members.project", project_id=p.id),
            order=10,
            watches={Project: project_changes},
        )
    )

    def build_need(need) -> list[Document]:
        project = need.project
        if need.status != OPEN or not members.can_view_need(SOME_MEMBER, need):
            return []
        return [
            Document(
                id=key("need", need.id),
                type="need",
                acl=(ANYONE,) if members.can_view_need(VISITOR, need) else (MEMBERS,),
                parents=(key("project", project.id),),
                title=need.title,
                tags=join(
                    NEED_KIND_LABELS.get(need.kind, need.kind), project.title, project.commune
                ),
                body=plain(need.description),
                themes=(project.theme,) if project.theme else (),
                territory=project.departement,
                stages=(project.stage,) if project.stage else (),
                date=need.created_at,
                subtitle=project.title,
            )
        ]

    registry.register(
        DocumentType(
            name="need",
            label=_l("Besoin"),
            plural=_l("Besoins"),
            model=Need,
            build=build_need,
            can_view=lambda user, need: need.status == OPEN and members.can_view_need(user, need),
            url=lambda n: safe_url("members.need", need_id=n.id),
            order=20,
            load_options=lambda: [joinedload(Need.project)],
        )
    )


def register_groups() -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from tremplin import groups
    from tremplin.groups import policies as group_policies
    from tremplin.groups.models import (
        Channel,
        Conversation,
        ConversationParticipant,
        Group,
        GroupMembership,
        Message,
    )
    from tremplin.platform.extensions import db

    can_view_group = getattr(group_policies, "can_view_group", None)

    def build_group(group) -> list[Document]:
        # A group's page (name, description, theme) is open to everyone, private or not:
        # privacy covers its channels and members. Should groups add a view policy, the
        # documents follow it.
        if can_view_group is not None and not can_view_group(VISITOR, group):
            acl = (MEMBERS,) if can_view_group(SOME_MEMBER, group) else (key("group", group.id),)
        else:
            acl = (ANYONE,)
        return [
            Document(
                id=key("group", group.id),
                type="group",
                acl=acl,
                title=group.name,
                tags=_theme_label(group.theme),
                body=plain(group.description),
                themes=(group.theme,),
                date=group.created_at,
            )
        ]

    def group_changes(group, state):
        group_id = _column(group, "id")
        changes: list[Change] = [key("group", group_id)]
        if state == "deleted":
            changes.append(Removal(key("group", group_id)))
        elif state != "new" and touched(group, state, "name", "theme"):
            # Messages show their group's name and theme.
            changes.append(
                Cascade(
                    "message",
                    lambda: Message.channel_id.in_(
                        select(Channel.id).where(Channel.group_id == group_id)
                    ),
                    origin=key("group", group_id),
                )
            )
        return changes

    registry.register(
        DocumentType(
            name="group",
            label=_l("Groupe"),
            plural=_l("Groupes"),
            model=Group,
            build=build_group,
            can_view=can_view_group or (lambda user, group: True),
            url=lambda g: safe_url("groups.group", slug=g.slug),
            order=40,
            watches={Group: group_changes},
        )
    )

    def build_message(message) -> list[Document]:
        if not message.is_visible or not (message.body or "").strip():
            return []
        if message.channel_id is not None:
            channel = message.channel
            group = channel.group
            return [
                Document(
                    id=key("message", message.id),
                    type="message",
                    acl=(key("group", group.id),),
                    parents=(key("group", group.id), key("channel", channel.id)),
                    title="",
                    body=plain(message.body),
                    themes=(group.theme,),
                    date=message.created_at,
                    subtitle=f"#{channel.name} · {group.name}",
                    boost=0.8,
                )
            ]
        conversation_id = message.conversation_id
        return [
            Document(
                id=key("message", message.id),
                type="message",
                acl=(key("conv", conversation_id),),
                parents=(key("conv", conversation_id),),
                title="",
                body=plain(message.body),
                date=message.created_at,
                subtitle=(message.conversation.title or "") if message.conversation else "",
                boost=0.8,
            )
        ]

    def channel_changes(channel, state):
        channel_id = _column(channel, "id")
        if state == "deleted":
            return [Removal(key("channel", channel_id))]
        if state != "new" and touched(channel, state, "name"):
            return [
                Cascade(
                    "message",
                    lambda: Message.channel_id == channel_id,
                    origin=key("channel", channel_id),
                )
            ]
        return []

    def conversation_changes(conversation, state):
        conversation_id = _column(conversation, "id")
        if state == "deleted":
            return [Removal(key("conv", conversation_id))]
        if state != "new" and touched(conversation, state, "title"):
            return [
                Cascade(
                    "message",
                    lambda: Message.conversation_id == conversation_id,
                    origin=key("conv", conversation_id),
                )
            ]
        return []

    def readable(user) -> set[str]:
        return {key("group", gid) for gid in readable_group_ids(user)} | {
            key("conv", cid) for cid in conversation_ids(user)
        }

    def readable_group_ids(user) -> set[int]:
        """The groups whose channels `user` may read, decided by the groups policy for
        each group (memberships loaded once, not per group)."""
        cache = db.session.info.setdefault(READABLE_CACHE, {})
        user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
        if user_id in cache:
            return cache[user_id]
        ids: set[int] = set()
        if user_id is not None:
            all_groups = db.session.scalars(select(Group)).all()
            mine = {
                m.group_id: m
                for m in db.session.scalars(
                    select(GroupMembership).where(GroupMembership.user_id == user_id)
                )
            }
            remember = getattr(group_policies, "remember_membership", None)
            for group in all_groups:
                if remember is not None:
                    remember(group.id, user_id, mine.get(group.id))
                if groups.can_read_group(user, group):
                    ids.add(group.id)
        cache[user_id] = ids
        return ids

    def conversation_ids(user) -> set[int]:
        if not getattr(user, "is_authenticated", False):
            return set()
        return set(
            db.session.scalars(
                select(ConversationParticipant.conversation_id).where(
                    ConversationParticipant.user_id == user.id
                )
            )
        )

    def message_url(message) -> str | None:
        if message.channel_id is not None:
            channel = message.channel
            return safe_url(
                "groups.channel",
                slug=channel.group.slug,
                channel_slug=channel.slug,
                _anchor=f"m{message.id}",
            )
        return safe_url(
            "groups.conversation", conversation_id=message.conversation_id, _anchor=f"m{message.id}"
        )

    def message_title(message) -> str:
        from flask_babel import gettext

        return gettext("Message de %(name)s", name=message.author.public_name)

    registry.register(
        DocumentType(
            name="message",
            label=_l("Message"),
            plural=_l("Messages"),
            model=Message,
            build=build_message,
            can_view=lambda user, message: (
                message.is_visible and groups.can_read_message(user, message)
            ),
            url=message_url,
            display_title=message_title,
            principals=readable,
            order=90,
            load_options=lambda: [
                joinedload(Message.channel).joinedload(Channel.group),
                joinedload(Message.conversation).selectinload(Conversation.participants),
                joinedload(Message.author),
            ],
            watches={Channel: channel_changes, Conversation: conversation_changes},
        )
    )
    _readable_group_ids[0] = readable_group_ids


# Shared with the meetup and opportunity types: the groups a searcher can read, computed
# once per search (`query.principals_for` empties the cache first).
_readable_group_ids: list[Callable[[Any], set[int]] | None] = [None]


def _group_tokens(user) -> set[str]:
    reader = _readable_group_ids[0]
    tokens = {key("group", gid) for gid in reader(user)} if reader else set()
    from tremplin.platform.policies import is_organiser

    if is_organiser(user):
        tokens.add(ORGANISERS)
    return tokens


def register_meetups() -> None:
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
                    _theme_label(theme),
                    group.name if group else "",
                    meetup.venue_name,
                    _departement(meetup.departement),
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
        return [key("meetup", _column(part, "meetup_id"))]

    def group_items(group, state):
        group_id = _column(group, "id")
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
            principals=_group_tokens,
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
                    *(_theme_label(t) for t in themes),
                    _departement(opportunity.departement),
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
            principals=_group_tokens,
            load_options=lambda: [
                joinedload(Opportunity.group),
                selectinload(Opportunity.theme_rows),
            ],
            watches={
                OpportunityTheme: lambda row, state: [
                    key("opportunity", _column(row, "opportunity_id"))
                ]
            },
        )
    )


def register_funding() -> None:
    """Campaigns, through funding's own view policy (drafts stay with their team)."""
    from sqlalchemy.orm import joinedload

    from tremplin.funding.models import Campaign
    from tremplin.funding.policies import can_view_campaign
    from tremplin.members.models import Project

    def build_campaign(campaign) -> list[Document]:
        if not can_view_campaign(SOME_MEMBER, campaign):
            return []
        project = campaign.project
        return [
            Document(
                id=key("campaign", campaign.id),
                type="campaign",
                acl=(ANYONE,) if can_view_campaign(VISITOR, campaign) else (MEMBERS,),
                parents=(key("project", project.id),),
                title=campaign.title,
                tags=join(_theme_label(project.theme), project.title),
                body="\n".join(filter(None, [campaign.summary, plain(campaign.description)])),
                themes=(project.theme,) if project.theme else (),
                territory=project.departement,
                stages=(project.stage,) if project.stage else (),
                date=campaign.opened_at or campaign.created_at,
                subtitle=project.title,
            )
        ]

    def project_campaigns(project, state):
        project_id = _column(project, "id")
        if state in ("dirty", "bulk"):
            # Campaigns show their project's title, theme, place and visibility.
            return [
                Cascade(
                    "campaign",
                    lambda: Campaign.project_id == project_id,
                    origin=key("project", project_id),
                )
            ]
        return []

    registry.register(
        DocumentType(
            name="campaign",
            label=_l("Collecte"),
            plural=_l("Collectes"),
            model=Campaign,
            build=build_campaign,
            can_view=can_view_campaign,
            url=lambda c: safe_url("funding.campaign", campaign_id=c.id),
            order=45,
            load_options=lambda: [joinedload(Campaign.project)],
            watches={Project: project_campaigns},
        )
    )


def register_clubs() -> None:
    """Investor clubs' public cards: only what a club chose to show everyone (the card's
    keys: name, territory, presentation, theme, département), never its members, money,
    votes or minutes. Who sees a card is the clubs' own `can_view_club_card`."""
    from tremplin.funding.clubs import InvestorClub, can_view_club_card

    def build_club(club) -> list[Document]:
        if not can_view_club_card(VISITOR, club):
            return []  # an unpublished card: its members find their club elsewhere
        return [
            Document(
                id=key("club", club.id),
                type="club",
                acl=(ANYONE,),
                title=club.name,
                tags=join(_theme_label(club.theme), club.territory, _departement(club.departement)),
                body=plain(club.description),
                themes=(club.theme,) if club.theme else (),
                territory=club.departement,
                date=club.created_at,
                subtitle=club.territory,
            )
        ]

    def club_changes(club, state):
        # Not on every savings or vote (lock_version moves then): only the card's fields.
        if state == "dirty" and not changed(
            club, "name", "territory", "departement", "theme", "description", "is_public"
        ):
            return []
        return [key("club", _column(club, "id"))]

    registry.register(
        DocumentType(
            name="club",
            label=_l("Club d’investisseurs"),
            plural=_l("Clubs d’investisseurs"),
            model=InvestorClub,
            build=build_club,
            can_view=can_view_club_card,
            url=lambda c: safe_url("clubs.card", club_id=c.id),
            order=70,
            watches={InvestorClub: club_changes},
        )
    )
