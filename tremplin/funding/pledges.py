"""Pledge services: promise, change, cancel (until the deadline); save a card for a pledge
(Stripe SetupIntent); record bank transfers received (promise mode) and refunds (both
modes); turn a meetup's money commitment into a pledge. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from tremplin.funding import bookkeeping, ledger, notices, payments, receipts
from tremplin.funding.errors import (
    AlreadyPledged,
    CampaignNotOpen,
    InvalidAmount,
    InvalidReward,
    OwnCampaign,
    PaymentNotPossible,
    PledgeLocked,
    RewardSoldOut,
)
from tremplin.funding.models import (
    ACTIVE,
    CANCELLED,
    COLLECTED,
    DECLINED,
    DUE,
    KEEP_WHAT_YOU_RAISE,
    LIVE_STATUSES,
    OPEN,
    PENDING,
    PROMISE_MODE,
    REQUIRES_ACTION,
    STRIPE_MODE,
    UNPAID,
    BankTransfer,
    Campaign,
    Pledge,
    Reward,
    StripeCustomer,
    move_pledge,
)
from tremplin.funding.rules import accepts_pledges, check_amount, max_pledge_cents
from tremplin.platform.errors import NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow

PARIS = ZoneInfo("Europe/Paris")
PENDING_TTL = timedelta(hours=2)  # a card page left unfinished frees its reward after this


def _is_team_member(user, project) -> bool:
    from tremplin.funding import policies

    return policies.is_team_member(user, project)


def _locked_campaign(campaign_id: int) -> Campaign:
    """The campaign row, locked until commit on PostgreSQL: pledges and the deadline
    decision of one campaign never interleave."""
    return db.session.scalar(select(Campaign).where(Campaign.id == campaign_id).with_for_update())


def transfer_reference(pledge_id: int) -> str:
    """TRP + id + two check digits (ISO 7064 mod 97-10): a typo in a bank reference shows."""
    body = f"{pledge_id:06d}"
    check = 98 - (int(body) * 100) % 97
    return f"TRP{body}{check:02d}"


# --- rewards ------------------------------------------------------------------------------


def _reward_for(campaign: Campaign, reward_id: int | None, amount_cents: int) -> Reward | None:
    if not reward_id:
        return None
    reward = db.session.get(Reward, reward_id)
    if reward is None or reward.campaign_id != campaign.id:
        raise InvalidReward()
    if amount_cents < reward.min_amount_cents:
        raise InvalidAmount(
            _(
                "Cette contrepartie demande une promesse d'au moins %(min)s.",
                min=_euros(reward.min_amount_cents),
            )
        )
    return reward


def _claim_reward(reward: Reward) -> None:
    """Take one reward from stock with a conditional update: two backers can never both
    take the last one."""
    taken = db.session.execute(
        update(Reward)
        .where(
            Reward.id == reward.id,
            (Reward.quantity.is_(None)) | (Reward.claimed_count < Reward.quantity),
        )
        .values(claimed_count=Reward.claimed_count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise RewardSoldOut()
    db.session.refresh(reward)


def _release_reward(reward_id: int | None) -> None:
    if reward_id:
        db.session.execute(
            update(Reward)
            .where(Reward.id == reward_id, Reward.claimed_count > 0)
            .values(claimed_count=Reward.claimed_count - 1)
            .execution_options(synchronize_session=False)
        )


def _euros(cents: int) -> str:
    from tremplin.platform.templating import euros

    return euros(cents)


# --- pledging -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PledgeChoices:
    """What a backer chooses beside the amount: a reward, a word to the team, what the
    public list hides, and the name and address for the tax receipt (None: unchanged when
    changing a pledge)."""

    reward_id: int | None = None
    message: str | None = None
    hide_amount: bool = False
    hide_name: bool = False
    donor_name: str | None = None
    donor_address: str | None = None


@dataclass(frozen=True)
class PledgeOrigin:
    """Where a pledge comes from: the site ("web"), or a meetup commitment ("meetup", with
    the commitment's reference, unique per pledge)."""

    source: str = "web"
    ref: str | None = None


def pledge(
    campaign: Campaign,
    backer,
    *,
    amount_cents: int,
    choices: PledgeChoices | None = None,
    origin: PledgeOrigin | None = None,
    now: datetime | None = None,
) -> Pledge:
    """A backer promises `amount_cents`. Promise mode: the promise counts at once (and for
    keep-what-you-raise is due at once, by transfer). Stripe mode: the pledge waits for the
    card to be saved (`prepare_card` then `fulfil_setup`)."""
    now = now or utcnow()
    choices = choices or PledgeChoices()
    origin = origin or PledgeOrigin()
    if backer is None or not getattr(backer, "is_authenticated", False):
        raise NotAllowed()
    amount_cents = check_amount(amount_cents, maximum=max_pledge_cents())
    campaign = _locked_campaign(campaign.id)
    if not accepts_pledges(campaign, now):
        raise CampaignNotOpen()
    if _is_team_member(backer, campaign.project):
        raise OwnCampaign()
    existing = db.session.scalar(
        select(Pledge).where(
            Pledge.campaign_id == campaign.id,
            Pledge.backer_id == backer.id,
            Pledge.status.in_(LIVE_STATUSES),
        )
    )
    if existing is not None and existing.status != PENDING:
        error = AlreadyPledged()
        error.pledge = existing
        raise error
    reward = _reward_for(campaign, choices.reward_id, amount_cents)
    if existing is not None:  # an unfinished card page: start again from this pledge
        return change_pledge(existing, backer, amount_cents=amount_cents, choices=choices, now=now)
    if reward is not None:
        _claim_reward(reward)
    item = Pledge(
        campaign_id=campaign.id,
        backer_id=backer.id,
        amount_cents=amount_cents,
        reward_id=reward.id if reward else None,
        message=(choices.message or "").strip() or None,
        is_amount_hidden=bool(choices.hide_amount),
        is_name_hidden=bool(choices.hide_name),
        donor_name=(choices.donor_name or "").strip() or None,
        donor_address=(choices.donor_address or "").strip() or None,
        mode=campaign.mode or PROMISE_MODE,
        source=origin.source,
        source_ref=origin.ref,
        status=PENDING if campaign.mode == STRIPE_MODE else ACTIVE,
    )
    item.campaign = campaign
    db.session.add(item)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise AlreadyPledged() from None
    item.reference = transfer_reference(item.id)
    if item.status == ACTIVE:
        _promise_made(item, now)
    db.session.flush()
    return item


def _promise_made(item: Pledge, now: datetime) -> None:
    campaign = item.campaign
    if campaign.rule == KEEP_WHAT_YOU_RAISE:
        item.status, item.due_at = DUE, now
        if item.mode == PROMISE_MODE:
            notices.pledge_due(item)
    notices.pledge_confirmed(item)


def _check_changeable(item: Pledge, by, now: datetime) -> Campaign:
    if by is None or item.backer_id != getattr(by, "id", None):
        raise NotAllowed()
    campaign = _locked_campaign(item.campaign_id)
    if item.status not in (PENDING, ACTIVE) or not accepts_pledges(campaign, now):
        raise PledgeLocked()
    return campaign


def change_pledge(
    item: Pledge,
    by,
    *,
    amount_cents: int,
    choices: PledgeChoices | None = None,
    now: datetime | None = None,
) -> Pledge:
    now = now or utcnow()
    choices = choices or PledgeChoices()
    amount_cents = check_amount(amount_cents, maximum=max_pledge_cents())
    campaign = _check_changeable(item, by, now)
    reward = _reward_for(campaign, choices.reward_id, amount_cents)
    new_reward_id = reward.id if reward else None
    if new_reward_id != item.reward_id:
        if reward is not None:
            _claim_reward(reward)
        _release_reward(item.reward_id)
        item.reward_id = new_reward_id
    item.amount_cents = amount_cents
    item.message = (choices.message or "").strip() or None
    item.is_amount_hidden = bool(choices.hide_amount)
    item.is_name_hidden = bool(choices.hide_name)
    if choices.donor_name is not None:
        item.donor_name = choices.donor_name.strip() or None
    if choices.donor_address is not None:
        item.donor_address = choices.donor_address.strip() or None
    db.session.flush()
    db.session.expire(item, ["reward"])
    return item


def cancel_pledge(item: Pledge, by, now: datetime | None = None) -> Pledge:
    now = now or utcnow()
    _check_changeable(item, by, now)
    if not _cancel(item, now):
        raise PledgeLocked()
    return item


def _cancel(item: Pledge, now: datetime) -> bool:
    """Cancel a pledge not yet due (its reward freed, the backer told); False when it moved
    on meanwhile."""
    if not move_pledge(item, (PENDING, ACTIVE), status=CANCELLED, cancelled_at=now):
        return False
    _release_reward(item.reward_id)
    db.session.flush()
    notices.pledge_cancelled(item)
    return True


def drop_pending(item: Pledge, now: datetime | None = None) -> None:
    """A pledge whose card was never saved: withdrawn quietly, its reward freed."""
    if item.status == PENDING and move_pledge(
        item, PENDING, status=CANCELLED, cancelled_at=now or utcnow()
    ):
        _release_reward(item.reward_id)
        db.session.flush()


def expire_pending(now: datetime | None = None) -> int:
    now = now or utcnow()
    stale = db.session.scalars(
        select(Pledge).where(Pledge.status == PENDING, Pledge.created_at < now - PENDING_TTL)
    ).all()
    for item in stale:
        drop_pending(item, now)
    return len(stale)


# --- cards (Stripe mode) ----------------------------------------------------------------------


def ensure_customer(user) -> str:
    """The member's Stripe Customer id, created once (idempotency key from the member id)."""
    found = db.session.get(StripeCustomer, user.id)
    if found is not None:
        return found.customer_id
    customer_id = payments.create_customer(
        email=user.email,
        name=user.display_name,
        user_id=user.id,
        key=f"tremplin-customer-{user.id}",
    )
    try:
        with db.session.begin_nested():
            db.session.add(StripeCustomer(user_id=user.id, customer_id=customer_id))
    except IntegrityError:
        return db.session.get(StripeCustomer, user.id).customer_id
    return customer_id


def prepare_card(item: Pledge, by) -> payments.Setup:
    """The SetupIntent the card page confirms with Stripe.js: reused while unfinished, a new
    one once the previous one is done (to change the card of a declined pledge)."""
    if by is None or item.backer_id != getattr(by, "id", None):
        raise NotAllowed()
    if item.mode != STRIPE_MODE or item.status not in (PENDING, ACTIVE, DUE, DECLINED):
        raise PaymentNotPossible()
    if item.status == PENDING and not accepts_pledges(item.campaign):
        raise CampaignNotOpen()
    if item.setup_intent_id:
        current = payments.retrieve_setup_intent(item.setup_intent_id)
        if current.status in (
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
        ):
            return current
    customer = ensure_customer(by)
    previous = item.setup_intent_id or "first"
    setup = payments.create_setup_intent(
        customer=customer,
        key=f"tremplin-pledge-{item.token}-setup-{previous}",
        metadata={"tremplin_pledge": str(item.id), "tremplin_campaign": str(item.campaign_id)},
    )
    item.setup_intent_id = setup.id
    db.session.flush()
    return setup


def fulfil_setup(
    item: Pledge, snapshot: payments.Setup | None = None, now: datetime | None = None
) -> str:
    """The card page's return and the `setup_intent.succeeded` webhook both land here. The
    SetupIntent is read from Stripe (or the verified event), never from the query string.
    Returns "saved", "incomplete" or "canceled"."""
    now = now or utcnow()
    if not item.setup_intent_id:
        return "incomplete"
    setup = snapshot or payments.retrieve_setup_intent(item.setup_intent_id)
    if setup.id != item.setup_intent_id:
        return "incomplete"  # an older SetupIntent: the pledge has moved on
    if setup.status == "canceled":
        return "canceled"
    if setup.status != "succeeded" or not setup.payment_method:
        return "incomplete"
    if item.status == PENDING:
        campaign = _locked_campaign(item.campaign_id)
        if not accepts_pledges(campaign, now):
            drop_pending(item, now)
            raise CampaignNotOpen()
        if move_pledge(item, PENDING, status=ACTIVE, payment_method_id=setup.payment_method):
            _promise_made(item, now)
    elif item.status in (ACTIVE, DUE, DECLINED, REQUIRES_ACTION):
        changed = item.payment_method_id != setup.payment_method
        item.payment_method_id = setup.payment_method
        if changed and item.status == DECLINED:
            item.next_retry_at = now  # try the new card at once
    db.session.flush()
    return "saved"


# --- bank transfers (promise mode) --------------------------------------------------------------


def record_transfer(
    item: Pledge,
    by,
    *,
    amount_cents: int,
    received_on: date,
    note: str | None = None,
    now: datetime | None = None,
) -> BankTransfer:
    """The treasurer saw `amount_cents` arrive for this promise (partially or fully).

    The check of what is still owed and the write are one guarded UPDATE: two treasurers
    (or one double tap) recording the same money at once, only what is owed is counted;
    the second one is told how much is left."""
    now = now or utcnow()
    amount_cents = check_amount(amount_cents, minimum=1, field="amount")
    if received_on > now.date() + timedelta(days=1):
        raise InvalidAmount(
            _("La date de réception ne peut pas être dans le futur."), field="received_on"
        )
    db.session.flush()
    counted = db.session.execute(
        update(Pledge)
        .where(
            Pledge.id == item.id,
            Pledge.mode == PROMISE_MODE,
            Pledge.status.in_((DUE, UNPAID)),
            Pledge.collected_cents + amount_cents <= Pledge.amount_cents,
        )
        .values(collected_cents=Pledge.collected_cents + amount_cents)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(item)
    if not counted:
        if item.mode != PROMISE_MODE or item.status not in (DUE, UNPAID):
            raise PaymentNotPossible(_("Cette promesse n'attend pas de virement."))
        remaining = item.amount_cents - item.collected_cents
        raise InvalidAmount(
            _("Le montant dépasse ce qui reste dû (%(rest)s).", rest=_euros(remaining))
        )
    transfer = BankTransfer(
        pledge_id=item.id,
        amount_cents=amount_cents,
        received_on=received_on,
        note=(note or "").strip() or None,
        recorded_by_id=by.id,
    )
    db.session.add(transfer)
    db.session.flush()
    arrived = min(datetime.combine(received_on, time(12), PARIS).astimezone(UTC), now)
    bookkeeping.record_payment(
        item,
        amount_cents,
        key=f"transfer:{transfer.id}",
        kind="transfer",
        about=ledger.PostingRef(
            reference=item.reference,
            actor=by,
            occurred_at=arrived,
            memo=f"virement reçu le {received_on.isoformat()}",
        ),
        counted=True,
    )
    if item.collected_cents >= item.amount_cents:
        if move_pledge(item, (DUE, UNPAID), status=COLLECTED, collected_at=now):
            receipts.issue_for(item, now)
            notices.pledge_collected(item)
    else:
        notices.transfer_received(item, amount_cents)
    notices.transfer_recorded(item, amount_cents, by)
    db.session.flush()
    return transfer


# --- meetups -------------------------------------------------------------------------------------


def pledge_from_commitment(
    commitment_ref: str,
    backer,
    project_id: int,
    amount_cents: int,
    *,
    message: str | None = None,
    now: datetime | None = None,
) -> Pledge:
    """A money support commitment made at a meetup becomes a pledge on the project's open
    campaign. Idempotent on `commitment_ref` (calling twice returns the same pledge).
    Raises CampaignNotOpen (no open campaign), AlreadyPledged (`exc.pledge`), OwnCampaign,
    InvalidAmount. In Stripe mode the pledge is "pending" until the backer saves a card
    (send them to `pledge_card_url(pledge)`)."""
    source_ref = f"meetup:{commitment_ref}"
    existing = db.session.scalar(select(Pledge).where(Pledge.source_ref == source_ref))
    if existing is not None:
        return existing
    campaign = db.session.scalar(
        select(Campaign)
        .where(Campaign.project_id == project_id, Campaign.status == OPEN)
        .order_by(Campaign.id.desc())
    )
    if campaign is None:
        raise CampaignNotOpen(
            _("Ce projet n'a pas de collecte ouverte pour recevoir cet engagement.")
        )
    return pledge(
        campaign,
        backer,
        amount_cents=amount_cents,
        choices=PledgeChoices(message=message),
        origin=PledgeOrigin("meetup", source_ref),
        now=now,
    )


def withdraw_commitment_pledge(commitment_ref: str, now: datetime | None = None) -> bool:
    """The meetup commitment behind a pledge was cancelled: the pledge is cancelled with it
    while the campaign still accepts changes (its reward freed, the backer told). A pledge
    already due, being charged or collected stays as it is (the team refunds it if need
    be). Returns whether the pledge was cancelled."""
    now = now or utcnow()
    item = db.session.scalar(select(Pledge).where(Pledge.source_ref == f"meetup:{commitment_ref}"))
    if item is None or item.status not in (PENDING, ACTIVE):
        return False
    return accepts_pledges(_locked_campaign(item.campaign_id), now) and _cancel(item, now)


# --- reminders ---------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """Remind backers of promises still to pay by transfer, and of card payments waiting for
    their confirmation. Each reminder is claimed by a conditional update on the counter the
    job read, so two runs at once never send the same reminder twice."""
    now = now or utcnow()
    days = int(current_app.config.get("FUNDING_REMINDER_DAYS", 7))
    most = int(current_app.config.get("FUNDING_MAX_REMINDERS", 3))
    sent = {"promises": 0, "confirmations": 0}
    candidates = db.session.scalars(
        select(Pledge).where(
            ((Pledge.status == DUE) & (Pledge.mode == PROMISE_MODE))
            | (Pledge.status == REQUIRES_ACTION),
            Pledge.reminder_count < most,
        )
    ).all()
    for item in candidates:
        last = item.last_reminded_at or item.due_at or item.updated_at
        wait = timedelta(days=days if item.status == DUE else max(days // 2, 1))
        if last is not None and last > now - wait:
            continue
        claimed = db.session.execute(
            update(Pledge)
            .where(
                Pledge.id == item.id,
                Pledge.reminder_count == item.reminder_count,
                Pledge.status == item.status,
            )
            .values(reminder_count=Pledge.reminder_count + 1, last_reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        if item.status == DUE:
            notices.promise_reminder(item)
            sent["promises"] += 1
        else:
            notices.payment_requires_action(item, reminder=True)
            sent["confirmations"] += 1
    db.session.flush()
    return sent
