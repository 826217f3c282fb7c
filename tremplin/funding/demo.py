"""Demo campaigns for `flask demo load`, in promise mode (no Stripe keys needed): an open
campaign close to its goal, one that succeeded (transfers partly received, so the ledger
has movements) and one that failed. Every name and amount is invented.

Uses the projects the members module put in `ctx.objects["projects"]`; without them,
there is nothing to fund and the loader does nothing.
"""

from __future__ import annotations

from datetime import timedelta

from tremplin.funding import bookkeeping, ledger
from tremplin.funding.campaigns import deadline_from_date
from tremplin.funding.models import (
    ALL_OR_NOTHING,
    CLOSED,
    COLLECTED,
    DUE,
    FAILED,
    OPEN,
    PROMISE_MODE,
    RELEASED,
    SUCCEEDED,
    THRESHOLD,
    BankTransfer,
    Campaign,
    CampaignUpdate,
    Pledge,
    ProjectFundingSettings,
    Receipt,
    Reward,
)
from tremplin.funding.pledges import transfer_reference
from tremplin.funding.receipts import amount_in_words
from tremplin.platform.extensions import db
from tremplin.platform.hooks import demo_loader

# A fictional but well-formed IBAN (the checksum is right; the account does not exist).
DEMO_IBAN = "FR7630006000011234567890189"

CAMPAIGNS = [
    # project, title, summary, goal €, rule, threshold €, state, days (to deadline / since end)
    # (every amount in this file is in euros)
    (
        "cosmethique",
        "Ouvrir la boutique-atelier de la Maison de Cosm’éthique",
        "Équiper l’atelier de fabrication et payer les trois premiers mois de loyer du local du 11e.",
        8000,
        ALL_OR_NOTHING,
        None,
        OPEN,
        6,
    ),
    (
        "traiteur",
        "Une deuxième cuisine pour le Traiteur des Quatre Saisons",
        "Une chambre froide et un piano de cuisson pour former quatre salariés de plus.",
        5000,
        THRESHOLD,
        3000,
        SUCCEEDED,
        -20,
    ),
    (
        "cafe",
        "Le local du Café des Rencontres",
        "Le dépôt de garantie et les travaux d’accessibilité d’un rez-de-chaussée à Lyon 8e.",
        12000,
        ALL_OR_NOTHING,
        None,
        FAILED,
        -10,
    ),
]

REWARDS = {
    "cosmethique": [
        ("Un baume à lèvres de la maison", 20, None),
        ("Un atelier de fabrication de savon", 60, 12),
        ("Votre nom sur le mur des fondatrices", 150, 20),
    ],
    "traiteur": [("Un repas pour deux à la table d’hôtes", 80, 30)],
    "cafe": [],
}

# project: [(backer, amount €, reward index or None, hide amount, hide name, message)]
PLEDGES = {
    "cosmethique": [
        ("jean", 500, 2, False, False, "Fier de soutenir ce collectif !"),
        ("nathalie", 60, 1, False, False, None),
        ("olivier", 1200, 2, True, False, None),
        ("yasmina", 150, 1, False, False, "Entre entrepreneuses, on se serre les coudes."),
        ("paul", 2000, 2, False, True, None),
        ("helene", 300, 2, False, False, None),
        ("mamadou", 800, 2, False, False, None),
        ("rachid", 1000, 2, True, False, None),
        ("claire", 40, 0, False, False, None),
        ("lucie", 250, 2, False, False, None),
        ("julien", 50, 0, False, False, None),
        ("samuel", 1100, 2, False, False, None),
    ],
    "traiteur": [
        ("jean", 1500, 0, False, False, None),
        ("nathalie", 200, 0, False, False, None),
        ("olivier", 1000, 0, False, False, "Pour la formation des jeunes."),
        ("paul", 1800, 0, False, True, None),
        ("helene", 500, 0, False, False, None),
        ("awa", 600, 0, False, False, None),
    ],
    "cafe": [
        ("jean", 1000, None, False, False, None),
        ("nathalie", 300, None, False, False, None),
        ("helene", 1500, None, False, False, None),
        ("claire", 300, None, False, False, None),
    ],
}

SETTINGS = {
    "cosmethique": {"account_holder": "Association Maison de Cosm’éthique"},
    "traiteur": {"account_holder": "SCIC Traiteur des Quatre Saisons"},
    "cafe": {
        "account_holder": "Association Le Café des Rencontres",
        "is_general_interest": True,
        "organisation_name": "Association Le Café des Rencontres",
        "organisation_address": "12 rue Imaginaire, 69008 Lyon",
        "organisation_object": "Favoriser le lien social et l’entraide entre générations.",
        "organisation_kind": "oeuvre_interet_general",
        "signatory": "Inès Haddad, présidente",
    },
}


@demo_loader(40)
def load_demo(ctx) -> dict:
    projects = ctx.objects.get("projects") or {}
    if not projects:
        return {}
    now, users = ctx.now, ctx.users
    made = pledged = 0
    for key, title, summary, goal, rule, threshold, state, days in CAMPAIGNS:
        project = projects.get(key)
        if project is None:
            continue
        owner = project.owner_id
        db.session.add(
            ProjectFundingSettings(
                project_id=project.id, iban=DEMO_IBAN, bic="AGRIFRPP", **SETTINGS[key]
            )
        )
        if state == OPEN:
            deadline = deadline_from_date((now + timedelta(days=days)).date())
            opened, ended = now - timedelta(days=40), None
        else:
            deadline = deadline_from_date((now + timedelta(days=days)).date()) - timedelta(days=1)
            opened, ended = deadline - timedelta(days=45), deadline + timedelta(minutes=10)
        campaign = Campaign(
            project_id=project.id,
            title=title,
            summary=summary,
            goal_cents=goal * 100,
            rule=rule,
            threshold_cents=threshold * 100 if threshold else None,
            mode=PROMISE_MODE,
            status=CLOSED if state == FAILED else state,
            outcome=None if state == OPEN else state,
            deadline_at=deadline,
            opened_at=opened,
            ended_at=ended,
            closed_at=ended if state == FAILED else None,
            created_by_id=owner,
            created_at=opened - timedelta(days=3),
            description=_DESCRIPTIONS[key],
        )
        db.session.add(campaign)
        rewards = [
            Reward(campaign=campaign, title=t, min_amount_cents=m * 100, quantity=q)
            for t, m, q in REWARDS[key]
        ]
        db.session.add_all(rewards)
        db.session.flush()
        made += 1
        for index, (who, amount, reward_index, hide_amount, hide_name, message) in enumerate(
            PLEDGES[key]
        ):
            reward = rewards[reward_index] if reward_index is not None and rewards else None
            if reward is not None:
                reward.claimed_count += 1
            pledge = Pledge(
                campaign_id=campaign.id,
                backer_id=users[who].id,
                amount_cents=amount * 100,
                reward_id=reward.id if reward else None,
                message=message,
                is_amount_hidden=hide_amount,
                is_name_hidden=hide_name,
                mode=PROMISE_MODE,
                status={OPEN: "active", SUCCEEDED: DUE, FAILED: RELEASED}[state],
                created_at=opened + timedelta(days=2 + index * 3),
                due_at=ended if state == SUCCEEDED else None,
            )
            db.session.add(pledge)
            db.session.flush()
            pledge.reference = transfer_reference(pledge.id)
            pledged += 1
            if state == SUCCEEDED and index < 4:
                _received(pledge, users[key_owner(key)].id, ended, full=index != 3)
        if state != OPEN:
            continue
        db.session.add(
            CampaignUpdate(
                campaign_id=campaign.id,
                author_id=owner,
                created_at=now - timedelta(days=8),
                title="Le local est trouvé !",
                body="Le bail est signé sous condition : il ne manque plus que l’équipement de "
                "l’atelier. **Merci** à toutes celles et ceux qui ont déjà promis.",
            )
        )
    db.session.flush()
    return {"collectes": made, "promesses": pledged}


def key_owner(project_key: str) -> str:
    return {"cosmethique": "awa", "traiteur": "yasmina", "cafe": "ines"}[project_key]


def _received(pledge: Pledge, recorder_id: int, ended, *, full: bool) -> None:
    amount = pledge.amount_cents if full else pledge.amount_cents // 2
    day = (ended + timedelta(days=4)).date()
    transfer = BankTransfer(
        pledge_id=pledge.id,
        amount_cents=amount,
        received_on=day,
        recorded_by_id=recorder_id,
        created_at=ended + timedelta(days=5),
    )
    db.session.add(transfer)
    db.session.flush()
    bookkeeping.record_payment(
        pledge,
        amount,
        key=f"transfer:{transfer.id}",
        kind="transfer",
        about=ledger.PostingRef(
            reference=pledge.reference,
            memo=f"virement reçu le {day.isoformat()}",
            occurred_at=ended + timedelta(days=4),
        ),
    )
    db.session.refresh(pledge)
    if full:
        pledge.status, pledge.collected_at = COLLECTED, ended + timedelta(days=5)
        db.session.add(
            Receipt(
                pledge_id=pledge.id,
                project_id=pledge.campaign.project_id,
                kind="payment",
                number=f"P-{pledge.id:06d}",
                amount_cents=amount,
                issued_at=ended + timedelta(days=5),
                details={
                    "donor_name": pledge.backer.display_name,
                    "donor_address": "",
                    "project_title": pledge.campaign.project.title,
                    "campaign_title": pledge.campaign.title,
                    "amount_in_words": amount_in_words(amount),
                    "paid_on": day.isoformat(),
                    "payment_method": "virement",
                    "reference": pledge.reference,
                },
            )
        )


_DESCRIPTIONS = {
    "cosmethique": (
        "Depuis trois ans, notre club fabrique des cosmétiques bio dans les cuisines des unes et "
        "des autres. La boutique éphémère de l’hiver dernier a prouvé qu’il y a une clientèle : "
        "**il est temps d’ouvrir un vrai lieu**.\n\n"
        "### À quoi servira l’argent\n\n"
        "- 4 200 € pour équiper l’atelier (paillasse inox, balances, mélangeur, étiqueteuse) ;\n"
        "- 3 000 € pour les trois premiers mois de loyer ;\n"
        "- 800 € pour les analyses de sécurité des premières recettes.\n\n"
        "Si l’objectif n’est pas atteint, **personne n’a rien à verser**."
    ),
    "traiteur": (
        "Notre cuisine de Bobigny tourne à plein. Un deuxième site nous permettrait de former "
        "quatre personnes de plus chaque année.\n\nDès 3 000 €, nous achetons la chambre froide ; "
        "à 5 000 €, le piano de cuisson."
    ),
    "cafe": (
        "Un café associatif où l’on vient en famille, où les anciens racontent et où l’on "
        "apprend à réparer plutôt que jeter.\n\nLa somme servira au dépôt de garantie et à la "
        "rampe d’accès."
    ),
}
