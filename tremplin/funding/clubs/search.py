"""Search documents of investor clubs: only their public cards."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin.search import (
    ANYONE,
    VISITOR,
    Document,
    DocumentType,
    changed,
    column,
    departement_label,
    join,
    key,
    plain,
    registry,
    safe_url,
    theme_label,
)


def register() -> None:
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
                tags=join(
                    theme_label(club.theme), club.territory, departement_label(club.departement)
                ),
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
        return [key("club", column(club, "id"))]

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
