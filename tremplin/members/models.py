"""People and their projects: profiles, project pages and teams, needs and offers of help,
the project journal with its milestones, and follows.

Rows only: every rule (who may see or change what) lives in policies.py and services.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.types import UTCDateTime, utcnow

# Per-field visibility levels, from the most open to the most closed.
PUBLIC, MEMBERS, PRIVATE = "public", "members", "private"
VISIBILITY_LEVELS = (PUBLIC, MEMBERS, PRIVATE)

# The profile fields a member can show or hide, with their default level. Nothing that
# locates or reaches a person is public by default.
PROFILE_FIELDS: dict[str, str] = {
    "avatar": PUBLIC,
    "roles": PUBLIC,
    "themes": PUBLIC,
    "skills": PUBLIC,
    "bio": MEMBERS,
    "location": MEMBERS,
    "languages": MEMBERS,
    "links": MEMBERS,
    "phone": PRIVATE,
}

# Tag kinds stored in profile_tags, and the visibility field each one obeys.
TAG_KINDS = {"skill": "skills", "theme": "themes", "language": "languages", "role": "roles"}

PROJECT_STAGES = ("idee", "emergence", "developpement", "essaimage")
PROJECT_VISIBILITIES = (PUBLIC, MEMBERS)
NEED_KINDS = ("financement", "local", "competences", "partenariat", "contacts", "mentorat")
NEED_UNITS = ("eur", "m2", "hours")
MILESTONE_KINDS = (
    "business_plan",
    "legal_entity",
    "first_funding",
    "first_hire",
    "prize",
    "return_to_employment",
    "collective_project",
)

# Team membership
OWNER, TEAMMATE = "owner", "member"
INVITED, ACCEPTED, DECLINED = "invited", "accepted", "declined"
# Offers of help
PENDING, OFFER_ACCEPTED, OFFER_DECLINED, WITHDRAWN = "pending", "accepted", "declined", "withdrawn"
OPEN, FULFILLED = "open", "fulfilled"


def _visibility_column(field: str) -> Mapped[str]:
    return mapped_column(
        String(8), default=PROFILE_FIELDS[field], server_default=PROFILE_FIELDS[field]
    )


class Profile(db.Model):
    """What a member tells the network about themselves, field by field visible to the
    public, to members, or to nobody but them."""

    __tablename__ = "profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    bio: Mapped[str | None] = mapped_column(Text)
    commune: Mapped[str | None] = mapped_column(String(120))
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    links: Mapped[list | None] = mapped_column(JSON)  # [{"label": ..., "url": ...}]
    avatar_file: Mapped[str | None] = mapped_column(String(80), index=True)

    avatar_visibility: Mapped[str] = _visibility_column("avatar")
    roles_visibility: Mapped[str] = _visibility_column("roles")
    themes_visibility: Mapped[str] = _visibility_column("themes")
    skills_visibility: Mapped[str] = _visibility_column("skills")
    bio_visibility: Mapped[str] = _visibility_column("bio")
    location_visibility: Mapped[str] = _visibility_column("location")
    languages_visibility: Mapped[str] = _visibility_column("languages")
    links_visibility: Mapped[str] = _visibility_column("links")
    phone_visibility: Mapped[str] = _visibility_column("phone")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(
        backref=backref("profile", uselist=False, lazy="select", passive_deletes=True)
    )
    tags: Mapped[list[ProfileTag]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProfileTag.id"
    )

    def visibility(self, field: str) -> str:
        return getattr(self, f"{field}_visibility")

    def tag_values(self, kind: str) -> list[str]:
        return [tag.value for tag in self.tags if tag.kind == kind]

    @property
    def skills(self) -> list[str]:
        return self.tag_values("skill")

    @property
    def themes(self) -> list[str]:
        return self.tag_values("theme")

    @property
    def languages(self) -> list[str]:
        return self.tag_values("language")

    @property
    def roles(self) -> list[str]:
        return self.tag_values("role")


class ProfileTag(db.Model):
    """One skill, theme, language or role of a member (a row each, so the directory can
    filter on them with an index on any database)."""

    __tablename__ = "profile_tags"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "key"),
        Index("ix_profile_tags_kind_key", "kind", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("profiles.user_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(60))  # as typed (skills) or a vocabulary code
    key: Mapped[str] = mapped_column(String(60))  # casefolded, for matching

    profile: Mapped[Profile] = relationship(back_populates="tags")


class Project(db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("visibility IN ('public', 'members')", name="visibility"),
        Index("ix_projects_visibility_updated", "visibility", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    pitch: Mapped[str] = mapped_column(String(280))
    description: Mapped[str | None] = mapped_column(Text)
    theme: Mapped[str | None] = mapped_column(String(40), index=True)
    stage: Mapped[str] = mapped_column(String(20), default="idee", index=True)
    commune: Mapped[str | None] = mapped_column(String(120))
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    logo_file: Mapped[str | None] = mapped_column(String(80), index=True)
    visibility: Mapped[str] = mapped_column(String(8), default=PUBLIC)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship()
    memberships: Mapped[list[ProjectMember]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ProjectMember.id",
    )
    needs: Mapped[list[Need]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        passive_deletes=True,
        # open needs first, newest first
        order_by=lambda: [Need.status.desc(), Need.created_at.desc(), Need.id.desc()],
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: [Milestone.occurred_on.desc(), Milestone.id.desc()],
    )
    # Never loaded whole (a journal grows without end): pages query a slice of it.
    journal_entries: Mapped[list[JournalEntry]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
    )

    @property
    def team(self) -> list[ProjectMember]:
        """Accepted members, owner first."""
        accepted = [m for m in self.memberships if m.status == ACCEPTED]
        return sorted(accepted, key=lambda m: (m.role != OWNER, m.id))

    @property
    def invitations(self) -> list[ProjectMember]:
        return [m for m in self.memberships if m.status == INVITED]

    def has_team_member(self, user) -> bool:
        user_id = getattr(user, "id", None)
        return any(m.user_id == user_id and m.status == ACCEPTED for m in self.memberships)

    @property
    def open_needs(self) -> list[Need]:
        return [n for n in self.needs if n.status == OPEN]

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.title!r}>"


class ProjectMember(db.Model):
    """A member on a project's team: the owner, or someone the owner invited (who accepts
    or declines)."""

    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default=TEAMMATE)
    title: Mapped[str | None] = mapped_column(String(80))  # "co-fondatrice", "trésorier"…
    status: Mapped[str] = mapped_column(String(10), default=INVITED)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class Need(db.Model):
    """Something a project asks the network for: money, premises, skills, partners,
    contacts or a mentor."""

    __tablename__ = "needs"
    __table_args__ = (Index("ix_needs_status_kind", "status", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str | None] = mapped_column(Text)
    amount_cents: Mapped[int | None] = mapped_column()  # for money (unit "eur")
    quantity: Mapped[int | None] = mapped_column()  # m² or hours
    quantity_unit: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="needs")
    created_by: Mapped[User] = relationship()
    offers: Mapped[list[HelpOffer]] = relationship(
        back_populates="need",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: [HelpOffer.created_at, HelpOffer.id],
    )

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


class HelpOffer(db.Model):
    """A member's answer to a need. Once the team accepts it, the helper and the member who
    accepted see each other's contact details (*mise en relation*)."""

    __tablename__ = "help_offers"
    __table_args__ = (UniqueConstraint("need_id", "helper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    need: Mapped[Need] = relationship(back_populates="offers")
    helper: Mapped[User] = relationship(foreign_keys=[helper_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])

    @property
    def is_accepted(self) -> bool:
        return self.status == OFFER_ACCEPTED


class JournalEntry(db.Model):
    """A dated update in a project's journal (*suivi du projet*)."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(140))
    body: Mapped[str] = mapped_column(Text)
    image_file: Mapped[str | None] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    project: Mapped[Project] = relationship(back_populates="journal_entries")
    author: Mapped[User] = relationship()


class Milestone(db.Model):
    """A structured, dated step of a project (business plan written, company created…),
    declared by its team and confirmed by an organiser; the impact dashboard counts the
    confirmed ones."""

    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_kind_confirmed", "kind", "confirmed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(280))
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="milestones")
    declared_by: Mapped[User] = relationship(foreign_keys=[declared_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class Follow(db.Model):
    """A member following another member or a project (exactly one of the two)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "user_id"),
        UniqueConstraint("follower_id", "project_id"),
        CheckConstraint("(user_id IS NULL) <> (project_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    follower: Mapped[User] = relationship(foreign_keys=[follower_id])


# Who could help with a need: the member's own settings for suggestions, the invitations a
# project team sends, and the suggestions a member has set aside.
AVAILABLE, OCCASIONAL, UNAVAILABLE = "available", "occasional", "unavailable"
AVAILABILITIES = (AVAILABLE, OCCASIONAL, UNAVAILABLE)
ORGANISATION_KINDS = (
    "association",
    "entreprise",
    "collectivite",
    "financeur",
    "bailleur",
    "independant",
)
INVITATION_SENT, INVITATION_DECLINED, INVITATION_OFFERED = "sent", "declined", "offered"


class HelpPreference(db.Model):
    """How a member wants to be suggested for needs: not at all ("ne pas me suggérer"),
    how available they are, and the kind of organisation they act for. No row: the
    defaults (suggested, available, no organisation)."""

    __tablename__ = "help_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    opted_out: Mapped[bool] = mapped_column(default=False)
    availability: Mapped[str] = mapped_column(String(12), default=AVAILABLE)
    organisation_kind: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NeedInvitation(db.Model):
    """A project team asking a suggested member to look at a need: sent once per member and
    need, declined in one click, marked `offered` when the member offers help. It is also
    the log of who invited whom, when, and for which reasons."""

    __tablename__ = "need_invitations"
    __table_args__ = (UniqueConstraint("need_id", "invitee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    invitee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=INVITATION_SENT)
    reasons: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    need: Mapped[Need] = relationship()
    invitee: Mapped[User] = relationship(foreign_keys=[invitee_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class NeedSuggestionDismissal(db.Model):
    """A need a member set aside in "Vous pourriez aider": never suggested to them again."""

    __tablename__ = "need_suggestion_dismissals"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    need_id: Mapped[int] = mapped_column(
        ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
