"""Legal texts kept as numbered versions, and which versions each member accepted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tremplin.platform.extensions import db
from tremplin.platform.types import UTCDateTime, utcnow


class LegalVersion(db.Model):
    """One published version of a legal page (mentions légales, confidentialité…).
    Versions are never edited: an administrator's change publishes the next number."""

    __tablename__ = "legal_versions"
    __table_args__ = (UniqueConstraint("slug", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text)  # Markdown, rendered through render_markdown
    summary: Mapped[str | None] = mapped_column(String(300))  # what changed
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LegalAcceptance(db.Model):
    """A member accepted this version (at registration, or later when it changed)."""

    __tablename__ = "legal_acceptances"
    __table_args__ = (
        UniqueConstraint("user_id", "version_id"),
        Index("ix_legal_acceptances_version_id", "version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("legal_versions.id", ondelete="CASCADE"))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
