"""Following members and projects, and the feed (*fil d'actualité*) of what they post:
journal updates, new needs and milestones, newest first, a page at a time.

A feed page costs the same few statements however many items it shows: one query pages
through the union of the three kinds, then one query per kind loads the rows shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, func, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from tremplin.members import policies
from tremplin.members.models import PUBLIC, Follow, JournalEntry, Milestone, Need, Project
from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.models import User
from tremplin.platform.paging import PageNumbers

FEED_PAGE_SIZE = 20


class CannotFollow(DomainError):
    default_message = _l("Vous ne pouvez pas suivre ce membre ou ce projet.")


def _follow(follower: User, **target) -> Follow:
    existing = db.session.scalar(select(Follow).filter_by(follower_id=follower.id, **target))
    if existing is not None:
        return existing
    follow = Follow(follower_id=follower.id, **target)
    try:
        with db.session.begin_nested():
            db.session.add(follow)
            db.session.flush()
    except IntegrityError:  # followed twice at once: one row is enough
        return db.session.scalar(select(Follow).filter_by(follower_id=follower.id, **target))
    return follow


def follow_user(follower: User, user: User) -> Follow:
    if not policies.can_follow_member(follower, user):
        raise CannotFollow()
    return _follow(follower, user_id=user.id)


def follow_project(follower: User, project: Project) -> Follow:
    if not policies.can_follow_project(follower, project):
        raise CannotFollow()
    return _follow(follower, project_id=project.id)


def unfollow(follower: User, *, user: User | None = None, project: Project | None = None) -> None:
    stmt = select(Follow).where(Follow.follower_id == follower.id)
    stmt = (
        stmt.where(Follow.user_id == user.id)
        if user is not None
        else stmt.where(Follow.project_id == project.id)
    )
    for follow in db.session.scalars(stmt):
        db.session.delete(follow)
    db.session.flush()


@dataclass(frozen=True)
class FollowState:
    is_following: bool
    followers: int


def follow_state(
    viewer, *, user: User | None = None, project: Project | None = None
) -> FollowState:
    """Whether the viewer follows the target, and how many do (one statement)."""
    target = Follow.user_id == user.id if user is not None else Follow.project_id == project.id
    viewer_id = viewer.id if getattr(viewer, "is_authenticated", False) else -1
    count, mine = db.session.execute(
        select(
            func.count(Follow.id),
            func.coalesce(func.max(case((Follow.follower_id == viewer_id, 1), else_=0)), 0),
        ).where(target)
    ).one()
    return FollowState(is_following=bool(mine), followers=count or 0)


def followers_of(*, project: Project | None = None, user: User | None = None) -> list[User]:
    """Active members following the project or the member (each once)."""
    conditions = []
    if project is not None:
        conditions.append(Follow.project_id == project.id)
    if user is not None:
        conditions.append(Follow.user_id == user.id)
    ids = select(Follow.follower_id).where(or_(*conditions))
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(ids), User.deleted_at.is_(None), User.suspended_at.is_(None))
            .options(joinedload(User.email_consents))
            .order_by(User.id)
        ).unique()
    )


def followed_projects(viewer) -> list[Project]:
    return list(
        db.session.scalars(
            select(Project)
            .join(Follow, Follow.project_id == Project.id)
            .where(Follow.follower_id == viewer.id)
            .order_by(Project.title)
        )
    )


# --- the feed -----------------------------------------------------------------------------


@dataclass
class FeedItem:
    kind: str  # "journal", "need", "milestone"
    at: datetime
    obj: Any

    @property
    def project(self) -> Project:
        return self.obj.project


@dataclass
class FeedPage(PageNumbers):
    """Just what the `pagination` macro reads."""

    items: list[FeedItem]
    page: int
    per_page: int
    total: int


def _union(viewer):
    projects = select(Follow.project_id).where(
        Follow.follower_id == viewer.id, Follow.project_id.is_not(None)
    )
    people = select(Follow.user_id).where(
        Follow.follower_id == viewer.id, Follow.user_id.is_not(None)
    )
    visible = select(Project.id)
    if not getattr(viewer, "is_authenticated", False):
        visible = visible.where(Project.visibility == PUBLIC)

    def part(kind: str, model, at, author):
        return select(
            literal(kind, String).label("kind"), model.id.label("id"), at.label("at")
        ).where(
            or_(model.project_id.in_(projects), author.in_(people)),
            author != viewer.id,
            model.project_id.in_(visible),
        )

    return union_all(
        part("journal", JournalEntry, JournalEntry.created_at, JournalEntry.author_id),
        part("need", Need, Need.created_at, Need.created_by_id),
        part("milestone", Milestone, Milestone.declared_at, Milestone.declared_by_id),
    ).subquery()


def feed(viewer, page: int = 1, per_page: int = FEED_PAGE_SIZE) -> FeedPage:
    if not policies.can_view_feed(viewer):
        return FeedPage([], 1, per_page, 0)
    page = max(1, page)
    union = _union(viewer)
    total = db.session.scalar(select(func.count()).select_from(union)) or 0
    rows = db.session.execute(
        select(union.c.kind, union.c.id, union.c.at)
        .order_by(union.c.at.desc(), union.c.kind, union.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    wanted = {
        kind: [r.id for r in rows if r.kind == kind] for kind in ("journal", "need", "milestone")
    }
    # One statement per kind, even when a kind is absent from the page: a fixed count.
    loaded = {
        "journal": db.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.id.in_(wanted["journal"]))
            .options(
                joinedload(JournalEntry.project),
                joinedload(JournalEntry.author).joinedload(User.profile),
            )
        ).all(),
        "need": db.session.scalars(
            select(Need)
            .where(Need.id.in_(wanted["need"]))
            .options(joinedload(Need.project), joinedload(Need.created_by).joinedload(User.profile))
        ).all(),
        "milestone": db.session.scalars(
            select(Milestone)
            .where(Milestone.id.in_(wanted["milestone"]))
            .options(
                joinedload(Milestone.project),
                joinedload(Milestone.declared_by).joinedload(User.profile),
            )
        ).all(),
    }
    by_key = {(kind, obj.id): obj for kind, objs in loaded.items() for obj in objs}
    items = [
        FeedItem(r.kind, r.at, by_key[(r.kind, r.id)]) for r in rows if (r.kind, r.id) in by_key
    ]
    return FeedPage(items, page, per_page, total)
