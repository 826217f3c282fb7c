"""What groups do when a member deletes their account or downloads their data.

Messages stay in their threads (shown under "Membre supprimé"); memberships, read markers
and the member's name on reports go."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from tremplin.groups.models import (
    Conversation,
    ConversationParticipant,
    GroupMembership,
    Message,
    MessageReport,
    ModerationRequest,
    ReadMarker,
)
from tremplin.groups.policies import forget_memberships
from tremplin.platform.accounts import DELETED_NAME
from tremplin.platform.extensions import db
from tremplin.platform.hooks import data_exporter, on_account_deleted
from tremplin.platform.types import stamp, utcnow


@on_account_deleted
def forget_member(user) -> None:
    db.session.execute(delete(GroupMembership).where(GroupMembership.user_id == user.id))
    db.session.execute(delete(ReadMarker).where(ReadMarker.user_id == user.id))
    db.session.execute(
        update(MessageReport).where(MessageReport.reporter_id == user.id).values(reporter_id=None)
    )
    db.session.execute(
        update(ModerationRequest)
        .where(ModerationRequest.requested_by_id == user.id, ModerationRequest.state == "pending")
        .values(state="cancelled", decided_at=utcnow())
    )
    # A stored conversation title may carry their name (a mentoring pair's is "Mentor ·
    # Porteur"): in the conversations they were in, it becomes "Membre supprimé" (#21).
    if user.display_name:
        db.session.execute(
            update(Conversation)
            .where(
                Conversation.id.in_(
                    select(ConversationParticipant.conversation_id).where(
                        ConversationParticipant.user_id == user.id
                    )
                ),
                Conversation.title.contains(user.display_name, autoescape=True),
            )
            .values(title=func.replace(Conversation.title, user.display_name, DELETED_NAME))
            .execution_options(synchronize_session=False)
        )
    forget_memberships()


@data_exporter
def export_member(user) -> dict:
    memberships = db.session.scalars(
        select(GroupMembership).where(GroupMembership.user_id == user.id)
    ).all()
    messages = db.session.scalars(
        select(Message).where(Message.author_id == user.id).order_by(Message.id)
    ).all()
    reports = db.session.scalars(
        select(MessageReport).where(MessageReport.reporter_id == user.id)
    ).all()
    return {
        "groupes": {
            "adhesions": [
                {
                    "groupe": m.group.name,
                    "role": m.role,
                    "etat": m.state,
                    "charte_acceptee": m.accepted_charter_version,
                    "depuis": stamp(m.joined_at),
                    "sourdine_jusqu_au": stamp(m.muted_until),
                }
                for m in memberships
            ],
            "messages": [
                {
                    "id": m.id,
                    "salon": f"{m.channel.group.name} / {m.channel.name}" if m.channel_id else None,
                    "conversation": m.conversation_id,
                    "texte": m.body,
                    "envoye_le": m.created_at.isoformat(),
                    "modifie_le": stamp(m.edited_at),
                    "supprime_le": stamp(m.deleted_at),
                    "masque_le": stamp(m.hidden_at),
                }
                for m in messages
            ],
            "signalements": [
                {
                    "message": r.message_id,
                    "raison": r.reason,
                    "details": r.details,
                    "le": r.created_at.isoformat(),
                }
                for r in reports
            ],
        }
    }
