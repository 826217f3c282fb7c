"""Asking for help by name: a project team invites a suggested member to look at a need,
the member declines in one click or offers help; a member says how (and whether) they want
to be suggested; and sets aside a suggestion on their home page.

Every write is safe twice: one invitation per member and need (unique key), one dismissal
per member and need (primary key), limits counted under the need's row lock. Never
commits.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from tremplin.members import notices, policies, signals
from tremplin.members.models import (
    AVAILABILITIES,
    INVITATION_DECLINED,
    INVITATION_OFFERED,
    INVITATION_SENT,
    OPEN,
    ORGANISATION_KINDS,
    HelpPreference,
    Need,
    NeedInvitation,
    NeedSuggestionDismissal,
)
from tremplin.members.suggestions import HelperPool, excluded_for, need_words, score
from tremplin.platform.errors import DomainError, NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.hooks import data_exporter, on_account_deleted
from tremplin.platform.models import User
from tremplin.platform.notifications import notify
from tremplin.platform.types import utcnow

DEFAULTS = {
    # A team invites at most this many members per need, and this many a day in all.
    "NEED_INVITATIONS_PER_NEED": 5,
    "NEED_INVITATIONS_PER_DAY": 20,
    # Organisers' list: open needs with no offer this many days after they were posted.
    "NEEDS_UNANSWERED_DAYS": 14,
}


class InvitationRefused(DomainError):
    default_message = _l("Cette invitation n’est pas possible.")


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def invite(need: Need, invitee: User, by: User) -> NeedInvitation:
    """Invite `invitee` to look at `need`. Only a suggested member (who did not opt out,
    is not on the team and has not answered yet) can be invited, once; the per-need and
    per-day limits are checked under a lock of the need's row."""
    if not policies.can_invite_for_need(by, need):
        raise NotAllowed()
    if need.status != OPEN:
        raise InvitationRefused(_l("Ce besoin est pourvu : il n’attend plus d’aide."))
    # Lock the need's row (PostgreSQL): two teammates inviting at once count in turn.
    db.session.execute(select(Need.id).where(Need.id == need.id).with_for_update()).close()
    if invitee.id in excluded_for(need):
        raise InvitationRefused(_l("Cette personne fait partie de l’équipe ou a déjà répondu."))
    pool = HelperPool.load(by, only={invitee.id})
    helper = pool.helpers.get(invitee.id)
    points, reasons = score(helper, need_words(need)) if helper else (0, [])
    if helper is None or points <= 0:
        # Opted out, unavailable, or nothing the inviter may see links them to the need.
        raise InvitationRefused(_l("Cette personne ne fait pas partie des suggestions."))
    sent_for_need = db.session.scalar(
        select(func.count()).select_from(NeedInvitation).where(NeedInvitation.need_id == need.id)
    )
    if sent_for_need >= setting("NEED_INVITATIONS_PER_NEED"):
        raise InvitationRefused(
            _l(
                "Vous avez déjà invité %(count)s personnes pour ce besoin : attendez leurs réponses.",
                count=setting("NEED_INVITATIONS_PER_NEED"),
            )
        )
    sent_today = db.session.scalar(
        select(func.count())
        .select_from(NeedInvitation)
        .where(
            NeedInvitation.invited_by_id == by.id,
            NeedInvitation.created_at >= utcnow() - timedelta(days=1),
        )
    )
    if sent_today >= setting("NEED_INVITATIONS_PER_DAY"):
        raise InvitationRefused(
            _l("Vous avez envoyé beaucoup d’invitations aujourd’hui : réessayez demain.")
        )
    with force_locale("fr"):  # the log is in the network's language, whoever invites
        logged = [str(r.text) for r in reasons]
    invitation = NeedInvitation(
        need_id=need.id, invitee_id=invitee.id, invited_by_id=by.id, reasons=logged
    )
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
            db.session.flush()
    except IntegrityError as exc:
        raise InvitationRefused(_l("Cette personne est déjà invitée pour ce besoin.")) from exc
    notify(
        invitee,
        notices.INVITATIONS,
        _l(
            "%(name)s vous invite à regarder le besoin « %(need)s » du projet %(project)s.",
            name=by.public_name,
            need=need.title,
            project=need.project.title,
        ),
        url_for("members.need", need_id=need.id),
    )
    return invitation


def decline(invitation: NeedInvitation, user: User) -> bool:
    """Decline an invitation in one click; True when this call declined it (a second click,
    or a click after offering help, changes nothing)."""
    if not policies.can_answer_need_invitation(user, invitation):
        raise NotAllowed()
    result = db.session.execute(
        update(NeedInvitation)
        .where(NeedInvitation.id == invitation.id, NeedInvitation.status == INVITATION_SENT)
        .values(status=INVITATION_DECLINED, responded_at=utcnow())
    )
    db.session.expire(invitation)
    return result.rowcount == 1


@signals.help_offered.connect
def _invitation_answered(offer, **_extra) -> None:
    """Offering help on a need one was invited to answers the invitation."""
    db.session.execute(
        update(NeedInvitation)
        .where(
            NeedInvitation.need_id == offer.need_id,
            NeedInvitation.invitee_id == offer.helper_id,
            NeedInvitation.status != INVITATION_OFFERED,
        )
        .values(status=INVITATION_OFFERED, responded_at=utcnow())
    )


def dismiss(user: User, need: Need) -> None:
    """Set a suggested need aside: it is not suggested to `user` again (twice is once)."""
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed()
    exists = db.session.get(NeedSuggestionDismissal, (user.id, need.id))
    if exists is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(NeedSuggestionDismissal(user_id=user.id, need_id=need.id))
            db.session.flush()
    except IntegrityError:
        pass  # the other click won


def save_preference(
    user: User, *, opted_out: bool, availability: str, organisation_kind: str | None
) -> HelpPreference:
    if availability not in AVAILABILITIES:
        raise DomainError(_l("Choisissez une disponibilité de la liste."), field="availability")
    if organisation_kind and organisation_kind not in ORGANISATION_KINDS:
        raise DomainError(
            _l("Choisissez un type d’organisation de la liste."), field="organisation_kind"
        )
    preference = db.session.get(HelpPreference, user.id)
    if preference is None:
        preference = HelpPreference(user_id=user.id)
        try:
            with db.session.begin_nested():
                db.session.add(preference)
                db.session.flush()
        except IntegrityError:
            preference = db.session.get(HelpPreference, user.id)
    preference.opted_out = opted_out
    preference.availability = availability
    preference.organisation_kind = organisation_kind or None
    db.session.flush()
    return preference


@data_exporter
def export_help_data(user: User) -> dict:
    """The member's suggestion settings, the invitations they received and sent, and the
    needs they set aside (RGPD: download my data)."""
    preference = db.session.get(HelpPreference, user.id)
    received = db.session.scalars(
        select(NeedInvitation)
        .where(NeedInvitation.invitee_id == user.id)
        .order_by(NeedInvitation.created_at)
    ).all()
    sent = db.session.scalars(
        select(NeedInvitation)
        .where(NeedInvitation.invited_by_id == user.id)
        .order_by(NeedInvitation.created_at)
    ).all()
    dismissed = db.session.scalars(
        select(NeedSuggestionDismissal.need_id).where(NeedSuggestionDismissal.user_id == user.id)
    ).all()

    def row(invitation: NeedInvitation) -> dict:
        return {
            "need_id": invitation.need_id,
            "status": invitation.status,
            "reasons": invitation.reasons or [],
            "created_at": invitation.created_at.isoformat(),
        }

    return {
        "help_preferences": None
        if preference is None
        else {
            "opted_out": preference.opted_out,
            "availability": preference.availability,
            "organisation_kind": preference.organisation_kind,
        },
        "need_invitations_received": [row(i) for i in received],
        "need_invitations_sent": [row(i) for i in sent],
        "need_suggestions_set_aside": list(dismissed),
    }


@on_account_deleted
def forget_help_data(user: User) -> None:
    """An erased member is never suggested again and leaves no settings behind; the
    invitations they sent stay with the need, unsigned."""
    db.session.execute(delete(HelpPreference).where(HelpPreference.user_id == user.id))
    db.session.execute(
        delete(NeedSuggestionDismissal).where(NeedSuggestionDismissal.user_id == user.id)
    )
    db.session.execute(delete(NeedInvitation).where(NeedInvitation.invitee_id == user.id))
    db.session.execute(
        update(NeedInvitation)
        .where(NeedInvitation.invited_by_id == user.id)
        .values(invited_by_id=None)
    )
