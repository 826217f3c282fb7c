"""Search documents of funding: campaigns, through funding's own view policy (drafts
stay with their team)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin.search import (
    ANYONE,
    MEMBERS,
    SOME_MEMBER,
    VISITOR,
    Cascade,
    Document,
    DocumentType,
    column,
    join,
    key,
    plain,
    registry,
    safe_url,
    theme_label,
)


def register() -> None:
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
                tags=join(theme_label(project.theme), project.title),
                body="\n".join(filter(None, [campaign.summary, plain(campaign.description)])),
                themes=(project.theme,) if project.theme else (),
                territory=project.departement,
                stages=(project.stage,) if project.stage else (),
                date=campaign.opened_at or campaign.created_at,
                subtitle=project.title,
            )
        ]

    def project_campaigns(project, state):
        project_id = column(project, "id")
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
