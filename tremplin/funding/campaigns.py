"""Campaign services: create and edit a *collecte* and its rewards, open it (goal, rule and
deadline lock), post updates, decide it at the deadline (succeeded / failed) and close it;
plus the totals every page shows. Services flush, never commit. The project's funding
settings (bank details, Stripe account, receipt issuer) are in project_settings.py; the
rules other services read, in rules.py.

Over 500 lines: one campaign lifecycle (draft → open → decided → closed) whose steps share
its locks and checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from tremplin.funding import bookkeeping, notices, payments
from tremplin.funding.errors import CampaignLocked, InvalidCampaign
from tremplin.funding.models import (
    ACTIVE,
    ALL_OR_NOTHING,
    CLOSED,
    COUNTED_STATUSES,
    DRAFT,
    DUE,
    FAILED,
    KEEP_WHAT_YOU_RAISE,
    OPEN,
    PENDING,
    PROMISE_MODE,
    RELEASED,
    RULES,
    STRIPE_MODE,
    SUCCEEDED,
    THRESHOLD,
    TO_COLLECT_STATUSES,
    UNPAID,
    Campaign,
    CampaignUpdate,
    Pledge,
    Reward,
    move_pledge,
)
from tremplin.funding.rules import (  # noqa: E402,F401  (part of campaigns' interface)
    MIN_PLEDGE_CENTS,
    accepts_pledges,
    check_amount,
    max_pledge_cents,
    settings_for,
)
from tremplin.platform.errors import NotAllowed
from tremplin.platform.extensions import db
from tremplin.platform.types import utcnow

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_DURATION_DAYS = 45
MAX_DURATION_DAYS = 90


def max_goal_cents() -> int:
    return int(current_app.config.get("FUNDING_MAX_GOAL_CENTS", 100_000_000))


# --- dates -------------------------------------------------------------------------------


def deadline_from_date(day: date) -> datetime:
    """A deadline chosen as a day ends at 23:59:59 that day in Paris."""
    return datetime.combine(day, time(23, 59, 59), PARIS).astimezone(UTC)


def default_deadline_date(now: datetime | None = None) -> date:
    now = now or utcnow()
    return (now.astimezone(PARIS) + timedelta(days=DEFAULT_DURATION_DAYS)).date()


def _check_deadline(deadline_at: datetime, now: datetime) -> None:
    if deadline_at <= now + timedelta(hours=1):
        raise InvalidCampaign(_("La date limite doit être dans le futur."), field="deadline")
    latest = deadline_from_date((now.astimezone(PARIS) + timedelta(days=MAX_DURATION_DAYS)).date())
    if deadline_at > latest:
        raise InvalidCampaign(
            _(
                "Une collecte dure au plus %(n)d jours : choisissez une date "
                "limite avant le %(day)s.",
                n=MAX_DURATION_DAYS,
                day=latest.astimezone(PARIS).strftime("%d/%m/%Y"),
            ),
            field="deadline",
        )


def days_left(campaign: Campaign, now: datetime | None = None) -> int:
    now = now or utcnow()
    if campaign.status != OPEN or campaign.deadline_at <= now:
        return 0
    return math.ceil((campaign.deadline_at - now).total_seconds() / 86400)


# --- creating and editing -------------------------------------------------------------------


def _check_rule(rule: str, goal_cents: int, threshold_cents: int | None) -> int | None:
    if rule not in RULES:
        raise InvalidCampaign(_("Choisissez une règle de collecte."), field="rule")
    check_amount(goal_cents, minimum=MIN_PLEDGE_CENTS, maximum=max_goal_cents(), field="goal")
    if rule != THRESHOLD:
        return None
    if threshold_cents is None:
        raise InvalidCampaign(_("Indiquez le premier palier à atteindre."), field="threshold")
    check_amount(threshold_cents, field="threshold")
    if threshold_cents >= goal_cents:
        raise InvalidCampaign(
            _("Le premier palier doit être inférieur à l'objectif."), field="threshold"
        )
    return threshold_cents


@dataclass(frozen=True)
class CampaignFields:
    """What a team writes about its campaign. Goal, rule, first threshold and deadline are
    set in draft only: None leaves them as they are when editing; on creation the goal is
    required, the rule is all-or-nothing and the deadline the default one unless given."""

    title: str
    summary: str
    description: str | None = None
    goal_cents: int | None = None
    rule: str | None = None
    threshold_cents: int | None = None
    deadline: date | None = None


def create_campaign(
    project, by, fields: CampaignFields, *, now: datetime | None = None
) -> Campaign:
    from tremplin.funding import policies

    now = now or utcnow()
    rule = ALL_OR_NOTHING if fields.rule is None else fields.rule
    goal_cents = fields.goal_cents
    if not policies.can_create_campaign(by, project):
        raise NotAllowed()
    threshold_cents = _check_rule(rule, goal_cents, fields.threshold_cents)
    deadline_at = deadline_from_date(fields.deadline or default_deadline_date(now))
    _check_deadline(deadline_at, now)
    campaign = Campaign(
        project_id=project.id,
        project=project,
        title=fields.title.strip(),
        summary=fields.summary.strip(),
        description=(fields.description or "").strip() or None,
        goal_cents=goal_cents,
        rule=rule,
        threshold_cents=threshold_cents,
        deadline_at=deadline_at,
        status=DRAFT,
        created_by_id=by.id,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(
    campaign: Campaign, by, fields: CampaignFields, *, now: datetime | None = None
) -> Campaign:
    """Text can change at any time before the end; goal, rule and deadline only in draft."""
    now = now or utcnow()
    if campaign.status not in (DRAFT, OPEN):
        raise InvalidCampaign(_("Cette collecte est terminée : elle ne se modifie plus."))
    goal_cents, rule, threshold_cents, deadline = (
        fields.goal_cents,
        fields.rule,
        fields.threshold_cents,
        fields.deadline,
    )
    campaign.title, campaign.summary = fields.title.strip(), fields.summary.strip()
    campaign.description = (fields.description or "").strip() or None
    locked = {
        "goal_cents": goal_cents,
        "rule": rule,
        "threshold_cents": threshold_cents,
        "deadline": deadline,
    }
    if campaign.status == OPEN:
        new_deadline = deadline_from_date(deadline) if deadline else campaign.deadline_at
        if (
            (goal_cents is not None and goal_cents != campaign.goal_cents)
            or (rule is not None and rule != campaign.rule)
            or (rule == THRESHOLD and threshold_cents != campaign.threshold_cents)
            or new_deadline != campaign.deadline_at
        ):
            raise CampaignLocked()
    elif any(value is not None for value in locked.values()):
        goal = goal_cents if goal_cents is not None else campaign.goal_cents
        new_rule = rule or campaign.rule
        campaign.threshold_cents = _check_rule(new_rule, goal, threshold_cents)
        campaign.goal_cents, campaign.rule = goal, new_rule
        if deadline is not None:
            deadline_at = deadline_from_date(deadline)
            _check_deadline(deadline_at, now)
            campaign.deadline_at = deadline_at
    db.session.flush()
    return campaign


@dataclass(frozen=True)
class RewardFields:
    """A reward as its team describes it: `value_cents` is its declared value (the
    counterparts rule of tax receipts), None when not given."""

    title: str
    description: str | None
    min_amount_cents: int
    quantity: int | None
    value_cents: int | None = None


def add_reward(campaign: Campaign, by, fields: RewardFields) -> Reward:
    title, description = fields.title, fields.description
    min_amount_cents, quantity, value_cents = (
        fields.min_amount_cents,
        fields.quantity,
        fields.value_cents,
    )
    if campaign.status not in (DRAFT, OPEN):
        raise InvalidCampaign(_("Cette collecte est terminée."))
    check_amount(min_amount_cents, maximum=max_pledge_cents(), field="min_amount")
    if quantity is not None and (
        isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1
    ):
        raise InvalidCampaign(
            _("Le nombre disponible est un nombre entier positif."), field="quantity"
        )
    if value_cents is not None and (
        isinstance(value_cents, bool) or not isinstance(value_cents, int) or value_cents < 0
    ):
        raise InvalidCampaign(_("La valeur est un montant positif ou nul."), field="value")
    reward = Reward(
        campaign=campaign,
        value_cents=value_cents,
        title=title.strip(),
        description=(description or "").strip() or None,
        min_amount_cents=min_amount_cents,
        quantity=quantity,
    )
    db.session.add(reward)
    db.session.flush()
    return reward


def remove_reward(reward: Reward, by) -> None:
    if reward.claimed_count:
        raise InvalidCampaign(
            _("Des soutiens ont choisi cette contrepartie : elle ne peut plus être retirée.")
        )
    if reward.campaign.status not in (DRAFT, OPEN):
        raise InvalidCampaign(_("Cette collecte est terminée."))
    db.session.delete(reward)
    db.session.flush()


def takes_cards(project_id: int) -> bool:
    """The platform never holds backers' money: card payments only when Stripe is configured
    and the money can go straight to the project's own connected account (Stripe Connect),
    unless the deployment is itself a registered intermediary
    (`FUNDING_PLATFORM_IS_INTERMEDIARY`). The account must be one Stripe lets take
    charges (`charges_enabled`, stored by the Connect onboarding's return, see
    connect.py). Otherwise the campaign runs in promise mode."""
    if not payments.is_enabled():
        return False
    if current_app.config.get("FUNDING_PLATFORM_IS_INTERMEDIARY"):
        return True
    settings = settings_for(project_id)
    return bool(settings.stripe_account_id and settings.stripe_charges_enabled)


def open_campaign(campaign: Campaign, by, now: datetime | None = None) -> Campaign:
    """Draft → open. The payment mode is fixed now: card payments when the project can
    receive them (`takes_cards`), promises paid by bank transfer otherwise (the project's
    RIB is then required)."""
    now = now or utcnow()
    if campaign.status != DRAFT:
        raise InvalidCampaign(_("Seule une collecte en préparation peut être ouverte."))
    _check_deadline(campaign.deadline_at, now)
    already = db.session.scalar(
        select(func.count(Campaign.id)).where(
            Campaign.project_id == campaign.project_id, Campaign.status == OPEN
        )
    )
    if already:
        raise InvalidCampaign(_("Ce projet a déjà une collecte ouverte."))
    mode = STRIPE_MODE if takes_cards(campaign.project_id) else PROMISE_MODE
    if mode == PROMISE_MODE and not settings_for(campaign.project_id).has_bank_details:
        raise InvalidCampaign(
            _(
                "Renseignez d'abord le RIB du projet (titulaire et IBAN) : les "
                "soutiens y verseront leurs promesses."
            )
        )
    claimed = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == DRAFT)
        .values(status=OPEN, mode=mode, opened_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise InvalidCampaign(_("Cette collecte vient d'être ouverte par quelqu'un d'autre."))
    db.session.refresh(campaign)
    return campaign


def post_update(campaign: Campaign, by, *, title: str, body: str) -> CampaignUpdate:
    if campaign.status == DRAFT:
        raise InvalidCampaign(_("Publiez des actualités une fois la collecte ouverte."))
    item = CampaignUpdate(
        campaign_id=campaign.id, author_id=by.id, title=title.strip(), body=body.strip()
    )
    db.session.add(item)
    db.session.flush()
    backers = db.session.scalars(
        select(Pledge).where(Pledge.campaign_id == campaign.id, Pledge.status.in_(COUNTED_STATUSES))
    ).all()
    for pledge in backers:
        notices.campaign_update(pledge, campaign, item)
    return item


# --- deciding at the deadline ------------------------------------------------------------------


def outcome_for(campaign: Campaign, pledged_cents: int) -> str:
    if campaign.rule == KEEP_WHAT_YOU_RAISE:
        return SUCCEEDED if pledged_cents > 0 else FAILED
    return SUCCEEDED if pledged_cents >= campaign.success_target_cents else FAILED


def decide(campaign_id: int, now: datetime | None = None) -> str | None:
    """Decide one ended campaign: succeeded or failed, once. The campaign row is locked
    (PostgreSQL) and moved by a conditional update, so two runners never both decide it;
    backers are told by the one that did. Returns the outcome, or None if not due."""
    now = now or utcnow()
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update()
    )
    if campaign is None or campaign.status != OPEN or campaign.deadline_at > now:
        return None
    pledged = totals([campaign.id])[campaign.id].pledged_cents
    outcome = outcome_for(campaign, pledged)
    won = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == OPEN)
        .values(status=outcome, outcome=outcome, ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        return None
    db.session.refresh(campaign)
    settle_pledges(campaign, now)
    notices.campaign_ended(campaign, pledged)
    if outcome == SUCCEEDED:
        from tremplin.funding import signals

        signals.campaign_succeeded.send(campaign)
    return outcome


def settle_pledges(campaign: Campaign, now: datetime | None = None) -> int:
    """Move the pledges of a decided campaign on: due (to collect) when it succeeded,
    released when it failed. Idempotent, and run again by every close, so a pledge
    committed at the very edge of the deadline is not forgotten."""
    from tremplin.funding import pledges as pledge_services

    now = now or utcnow()
    moved = 0
    if campaign.outcome == SUCCEEDED:
        rows = db.session.scalars(
            select(Pledge).where(Pledge.campaign_id == campaign.id, Pledge.status == ACTIVE)
        ).all()
        for pledge in rows:
            if move_pledge(pledge, ACTIVE, status=DUE, due_at=now):
                notices.pledge_due(pledge)
                moved += 1
    elif campaign.outcome == FAILED:
        rows = db.session.scalars(
            select(Pledge).where(
                Pledge.campaign_id == campaign.id, Pledge.status.in_((ACTIVE, DUE))
            )
        ).all()
        for pledge in rows:
            if move_pledge(pledge, (ACTIVE, DUE), status=RELEASED):
                notices.pledge_released(pledge)
                moved += 1
    stale = db.session.scalars(
        select(Pledge).where(Pledge.campaign_id == campaign.id, Pledge.status == PENDING)
    ).all()
    for pledge in stale:  # a card never saved: nothing to collect
        pledge_services.drop_pending(pledge, now)
    db.session.flush()
    return moved


def close_campaign(campaign: Campaign, by, now: datetime | None = None) -> Campaign:
    """Succeeded → closed by the team (promise mode): promises still unpaid are marked so.
    Failed campaigns close as soon as they are decided."""
    now = now or utcnow()
    if campaign.status not in (SUCCEEDED, FAILED):
        raise InvalidCampaign(_("Seule une collecte terminée peut être clôturée."))
    if campaign.is_stripe and db.session.scalar(
        select(func.count(Pledge.id)).where(Pledge.campaign_id == campaign.id, Pledge.status == DUE)
    ):
        raise InvalidCampaign(
            _(
                "Des paiements par carte sont encore en cours : réessayez une "
                "fois le prochain passage des paiements effectué."
            )
        )
    for pledge in db.session.scalars(
        select(Pledge).where(
            Pledge.campaign_id == campaign.id, Pledge.status.in_(TO_COLLECT_STATUSES)
        )
    ):
        if (
            move_pledge(pledge, TO_COLLECT_STATUSES, status=UNPAID, next_retry_at=None)
            and campaign.is_stripe
        ):
            _abandon_payments(pledge)
    campaign.status, campaign.closed_at = CLOSED, now
    db.session.flush()
    return campaign


def _abandon_payments(pledge: Pledge) -> None:
    """A payment waiting for the backer's confirmation is cancelled at Stripe when the team
    gives up on it (a confirmation arriving anyway would still be recorded, never lost)."""
    for attempt in pledge.attempts:
        if attempt.payment_intent_id and attempt.status in (
            "requires_action",
            "requires_capture",
            "started",
        ):
            intent = payments.cancel(
                attempt.payment_intent_id, key=f"{attempt.idempotency_key}-cancel"
            )
            from tremplin.funding.charging import apply_intent

            apply_intent(attempt, intent)


def has_pledges_to_collect(campaign: Campaign) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(Pledge.id)).where(
                Pledge.campaign_id == campaign.id, Pledge.status.in_(TO_COLLECT_STATUSES)
            )
        )
    )


def ended_campaign_ids(now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Campaign.id)
            .where(Campaign.status == OPEN, Campaign.deadline_at <= now)
            .order_by(Campaign.id)
        )
    )


# --- totals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    pledged_cents: int = 0  # counted promises (what the progress bar shows)
    backers_count: int = 0
    collected_cents: int = 0  # actually received (ledger), net of refunds and fees
    goal_cents: int = 0

    @property
    def percent(self) -> int:
        if not self.goal_cents:
            return 0
        return int(self.pledged_cents * 100 // self.goal_cents)


def totals(campaign_ids) -> dict[int, Totals]:
    """Totals of many campaigns in two queries (pledges, ledger)."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Pledge.campaign_id,
            func.coalesce(func.sum(Pledge.amount_cents - Pledge.refunded_cents), 0),
            func.count(Pledge.id),
            Campaign.goal_cents,
        )
        .join(Campaign, Campaign.id == Pledge.campaign_id)
        .where(Pledge.campaign_id.in_(ids), Pledge.status.in_(COUNTED_STATUSES))
        .group_by(Pledge.campaign_id, Campaign.goal_cents)
    ).all()
    goals = dict(
        db.session.execute(
            select(Campaign.id, Campaign.goal_cents).where(Campaign.id.in_(ids))
        ).all()
    )
    collected = bookkeeping.campaign_balances(ids)
    found = {cid: (int(pledged), int(count)) for cid, pledged, count, _goal in rows}
    return {
        cid: Totals(
            pledged_cents=found.get(cid, (0, 0))[0],
            backers_count=found.get(cid, (0, 0))[1],
            collected_cents=collected.get(cid, 0),
            goal_cents=goals.get(cid, 0),
        )
        for cid in ids
    }
