"""Demo clubs for `flask demo load`: an active Cigales-style club in Paris with two years of
savings, two investments in demo projects (one partly repaid, one paying a dividend),
minutes of its past decisions and a vote in progress; and a club forming in Lyon. Every
name and figure is invented.

Over 500 lines: demo data only (two clubs with two years of history), read once by
`flask demo load`; no rule lives here.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tremplin.funding import ledger
from tremplin.funding.clubs import fund
from tremplin.funding.clubs.dates import PARIS, add_months, add_years, month_start, paris_today
from tremplin.funding.clubs.models import (
    ABSTAIN,
    ACTIVE,
    ADOPTED,
    AGAINST,
    CAPITAL_SHARES,
    CO_GERANT,
    CONTRIBUTION,
    CURRENT_ACCOUNT,
    DIVIDEND,
    FOR,
    FORMING,
    FUNDED,
    GERANT,
    GERANT_TERM_DAYS,
    MEMBER,
    MEMBER_ACTIVE,
    ON_APPLICATION,
    ON_ROLE,
    REPAYMENT,
    REQUESTED,
    SECRETAIRE,
    SUBMITTED,
    TRESORIER,
    UNDER_VOTE,
    VOTE_CLOSED,
    VOTE_OPEN,
    ClubApplication,
    ClubBallot,
    ClubElector,
    ClubExpense,
    ClubInvestment,
    ClubMembership,
    ClubVote,
    InvestmentCompanion,
    InvestorClub,
    PortfolioEvent,
    SavingsPayment,
    SavingsPlan,
)
from tremplin.funding.clubs.portfolio import EventFields
from tremplin.platform.extensions import db
from tremplin.platform.hooks import demo_loader

CHARTER = (
    "1. Nous investissons notre épargne dans des projets **locaux, utiles et créateurs "
    "d’emplois** de l’Est parisien.\n"
    "2. Chaque décision se prend en réunion ou en ligne, **une personne, une voix**, quel que "
    "soit le montant épargné.\n"
    "3. Nous accompagnons chaque projet soutenu : deux membres le suivent pendant au moins "
    "cinq ans.\n"
    "4. Nous ne cherchons pas le rendement : nous récupérons notre épargne quand le projet le "
    "peut."
)

# key, role, monthly saving (€), months not paid at the end (late)
MEMBERS = [
    ("lucie", GERANT, 30, 0),
    ("jean", TRESORIER, 50, 0),
    ("mamadou", SECRETAIRE, 20, 0),
    ("nathalie", MEMBER, 15, 0),
    ("olivier", CO_GERANT, 40, 0),
    ("yasmina", MEMBER, 10, 2),
    ("paul", MEMBER, 25, 0),
    ("rachid", MEMBER, 30, 0),
    ("helene", MEMBER, 20, 0),
]
BALLOTS_IN_PROGRESS = [("jean", FOR), ("mamadou", FOR), ("nathalie", ABSTAIN), ("olivier", FOR)]


def _at(day, hour: int = 19) -> datetime:
    return datetime.combine(day, time(hour), PARIS).astimezone(UTC)


@demo_loader(45)
def load_demo(ctx) -> dict:
    projects = ctx.objects.get("projects") or {}
    users = ctx.users
    if not all(k in users for k, *_rest in MEMBERS):
        return {}
    today = paris_today(ctx.now)
    founded = add_months(month_start(today), -26)
    activated = founded + timedelta(days=35)
    club = InvestorClub(
        name="Cigales de la Roquette",
        territory="Paris 11e",
        departement="75",
        theme="environnement",
        state=ACTIVE,
        founded_on=founded,
        activated_on=activated,
        investing_ends_on=add_years(activated, 5),
        is_public=True,
        description="Neuf voisines et voisins du 11e qui mettent de côté chaque mois pour "
        "investir dans les projets solidaires du quartier : commerce équitable, "
        "réemploi, alimentation durable.",
        charter=CHARTER,
        quorum_percent=50,
        majority="simple",
        voting_days=7,
        is_secret_ballot=True,
        payment_day=5,
        created_by_id=users["lucie"].id,
        created_at=_at(founded),
    )
    db.session.add(club)
    db.session.flush()
    memberships = {}
    first_month = add_months(month_start(founded), 2)
    for key, role, _monthly, _missed in MEMBERS:
        since = today - timedelta(days=300) if role == GERANT else activated
        membership = ClubMembership(
            club=club,
            user_id=users[key].id,
            state=MEMBER_ACTIVE,
            role=role,
            role_since=since if role != MEMBER else None,
            term_ends_on=since + timedelta(days=GERANT_TERM_DAYS) if role == GERANT else None,
            joined_at=_at(founded + timedelta(days=7)),
            declared_natural_person_at=_at(founded),
            created_at=_at(founded),
        )
        db.session.add(membership)
        memberships[key] = membership
    db.session.add(
        ClubMembership(
            club=club,
            user_id=users["samuel"].id,
            state=REQUESTED,
            message="Bonjour ! J’habite rue Keller et je voudrais épargner "
            "20 € par mois avec vous.",
            declared_natural_person_at=_at(today - timedelta(days=3)),
            created_at=_at(today - timedelta(days=3)),
        )
    )
    db.session.flush()

    payments = 0
    last_due = (
        month_start(today) if today.day >= club.payment_day else add_months(month_start(today), -1)
    )
    for key, _role, monthly, missed in MEMBERS:
        membership = memberships[key]
        db.session.add(
            SavingsPlan(
                club_id=club.id,
                membership_id=membership.id,
                monthly_cents=monthly * 100,
                starts_on=first_month,
                created_at=_at(founded + timedelta(days=10)),
            )
        )
        month = first_month
        paid_until = add_months(last_due, -missed)
        while month <= paid_until:
            received = month.replace(day=club.payment_day + 2)
            key_ = f"club:{club.id}:saving:{membership.id}:{month:%Y-%m}:1"
            payment = SavingsPayment(
                club_id=club.id,
                membership_id=membership.id,
                user_id=membership.user_id,
                amount_cents=monthly * 100,
                for_month=month,
                received_on=received,
                reference=f"VIR CIGALES {users[key].display_name.split()[0].upper()}",
                ledger_key=key_,
                recorded_by_id=users["jean"].id,
                created_at=_at(received),
            )
            db.session.add(payment)
            db.session.flush()
            fund.post(
                club.id,
                key_,
                fund.SAVING,
                [
                    (fund.saver_account(club.id, membership.user_id), -monthly * 100),
                    (fund.fund_account(club.id), monthly * 100),
                ],
                subject=f"club_payment:{payment.id}",
                about=ledger.PostingRef(
                    reference=payment.reference,
                    occurred_at=_at(received),
                    memo=f"Épargne {month:%m/%Y}",
                ),
            )
            payments += 1
            month = add_months(month, 1)

    electors = [users[k] for k, *_r in MEMBERS]

    def closed_vote(kind, title, opened_on, counts, **fields):
        from tremplin.funding.clubs.votes import write_minutes

        decision = fields.pop("_decision", None) or "La décision est adoptée."
        vote = ClubVote(
            club_id=club.id,
            kind=kind,
            title=title,
            opened_by_id=users["lucie"].id,
            opens_at=_at(opened_on),
            closes_at=_at(opened_on + timedelta(days=7)),
            is_secret=True,
            quorum_percent=50,
            majority="simple",
            abstention_counts=False,
            electors_count=len(electors),
            state=VOTE_CLOSED,
            closed_at=_at(opened_on + timedelta(days=7)),
            result=ADOPTED,
            for_count=counts[0],
            against_count=counts[1],
            abstain_count=counts[2],
            **fields,
        )
        voters = sum(counts)
        vote.electors = [
            ClubElector(user_id=u.id, has_voted=i < voters) for i, u in enumerate(electors)
        ]
        db.session.add(vote)
        db.session.flush()
        for choice, n in zip((FOR, AGAINST, ABSTAIN), counts, strict=True):
            for _ in range(n):
                db.session.add(ClubBallot(vote_id=vote.id, choice=choice))
        db.session.flush()
        return vote, write_minutes(club, vote, decision)

    closed_vote(
        ON_ROLE,
        "Désigner Jean-Pierre Morel comme trésorier·e",
        activated,
        (8, 0, 1),
        role=TRESORIER,
        candidate_id=users["jean"].id,
    )
    investments, invested = 0, 0
    plans = []
    if "cosmethique" in projects:
        plans.append(
            (
                "cosmethique",
                CONTRIBUTION,
                2_000,
                "association",
                None,
                14,
                ["nathalie", "helene"],
                "France Active Paris",
            )
        )
    if "traiteur" in projects:
        plans.append(
            (
                "traiteur",
                CAPITAL_SHARES,
                1_500,
                "scic",
                300,
                8,
                ["paul", "rachid"],
                "Club Cigales de Belleville, Garrigue",
            )
        )
    for key, instrument, amount, form, stake, months_ago, companions, co in plans:
        project = projects[key]
        day = add_months(month_start(today), -months_ago).replace(day=12)
        application = ClubApplication(
            club_id=club.id,
            project_id=project.id,
            submitted_by_id=project.owner_id,
            amount_cents=amount * 100,
            instrument=instrument,
            state=FUNDED,
            plan=f"Nous demandons {amount} € pour financer l’aménagement de notre atelier et "
            "le fonds de roulement de la première année. Le plan de trésorerie joint montre "
            "un retour à l’équilibre en dix-huit mois.",
            created_at=_at(day - timedelta(days=30)),
            decided_at=_at(day - timedelta(days=10)),
        )
        db.session.add(application)
        db.session.flush()
        closed_vote(
            ON_APPLICATION,
            f"Investir dans « {project.title} » ({_euros(amount)})",
            day - timedelta(days=17),
            (6, 1, 1),
            application_id=application.id,
            _decision=f"La candidature est acceptée : le club peut investir jusqu’à "
            f"{_euros(amount)} dans le projet.",
        )
        investment = ClubInvestment(
            club_id=club.id,
            application_id=application.id,
            project_id=project.id,
            instrument=instrument,
            amount_cents=amount * 100,
            legal_form=form,
            stake_basis_points=stake,
            co_investors=co,
            invested_on=day,
            created_by_id=users["jean"].id,
            created_at=_at(day),
            ledger_key=f"club:{club.id}:investment:{application.id}",
        )
        investment.companions = [InvestmentCompanion(user_id=users[k].id) for k in companions]
        db.session.add(investment)
        db.session.flush()
        fund.post(
            club.id,
            investment.ledger_key,
            fund.INVESTMENT,
            [
                (fund.fund_account(club.id), -amount * 100),
                (fund.investee_account(investment.id), amount * 100),
            ],
            subject=f"club_investment:{investment.id}",
            about=ledger.PostingRef(occurred_at=_at(day), memo=f"Investissement — {project.title}"),
        )
        investments += 1
        invested += amount
        if key == "cosmethique":
            _event(
                club,
                investment,
                users["jean"],
                EventFields(
                    kind=REPAYMENT,
                    amount_cents=40_000,
                    occurred_on=add_months(day, 10),
                    note="Premier remboursement de l’apport, comme prévu à la convention.",
                ),
            )
        else:
            _event(
                club,
                investment,
                users["jean"],
                EventFields(
                    kind=DIVIDEND,
                    amount_cents=4_500,
                    occurred_on=add_months(day, 6),
                    note="Rémunération des parts sociales votée en assemblée générale de la SCIC.",
                ),
            )
    for years_ago in (1, 0):
        paid_on = add_months(month_start(today), -12 * years_ago - 1).replace(day=20)
        key_ = f"club:{club.id}:expense:demo-{years_ago}"
        expense = ClubExpense(
            club_id=club.id,
            amount_cents=2_400,
            paid_on=paid_on,
            ledger_key=key_,
            label="Frais de tenue du compte bancaire du club",
            recorded_by_id=users["jean"].id,
            created_at=_at(paid_on),
        )
        db.session.add(expense)
        db.session.flush()
        fund.post(
            club.id,
            key_,
            fund.EXPENSE,
            [(fund.fund_account(club.id), -2_400), (fund.expenses_account(club.id), 2_400)],
            subject=f"club_expense:{expense.id}",
            about=ledger.PostingRef(occurred_at=_at(paid_on), memo=expense.label),
        )

    in_progress = 0
    if "retoucherie" in projects:
        project = projects["retoucherie"]
        application = ClubApplication(
            club_id=club.id,
            project_id=project.id,
            submitted_by_id=project.owner_id,
            amount_cents=250_000,
            instrument=CAPITAL_SHARES,
            state=UNDER_VOTE,
            plan="L’Éco-retoucherie devient une SCOP : 2 500 € de parts sociales du club "
            "compléteraient l’apport des salariés pour acheter deux machines à coudre "
            "industrielles et une surjeteuse. Nous rémunérerons les parts dès le deuxième "
            "exercice bénéficiaire.",
            created_at=_at(today - timedelta(days=12)),
        )
        db.session.add(application)
        db.session.flush()
        opened = ctx.now - timedelta(days=2)
        vote = ClubVote(
            club_id=club.id,
            kind=ON_APPLICATION,
            application_id=application.id,
            title=f"Investir dans « {project.title} » (2 500 €)",
            motion="Karim nous a présenté le projet à la réunion du mois : lisez "
            "son plan et le prévisionnel joints avant de voter.",
            opened_by_id=users["lucie"].id,
            opens_at=opened,
            closes_at=opened + timedelta(days=7),
            is_secret=True,
            quorum_percent=50,
            majority="simple",
            abstention_counts=False,
            electors_count=len(electors),
            state=VOTE_OPEN,
        )
        voted = {k for k, _c in BALLOTS_IN_PROGRESS}
        vote.electors = [
            ClubElector(user_id=users[k].id, has_voted=k in voted) for k, *_r in MEMBERS
        ]
        db.session.add(vote)
        db.session.flush()
        for _key, choice in BALLOTS_IN_PROGRESS:
            db.session.add(ClubBallot(vote_id=vote.id, choice=choice))
        in_progress = 1
    if "sahel" in projects:
        db.session.add(
            ClubApplication(
                club_id=club.id,
                project_id=projects["sahel"].id,
                submitted_by_id=projects["sahel"].owner_id,
                amount_cents=300_000,
                instrument=CURRENT_ACCOUNT,
                state=SUBMITTED,
                plan="Un apport en compte courant d’associé de 3 000 € pour financer le stock de "
                "la prochaine récolte de karité, remboursé en dix-huit mensualités.",
                created_at=_at(today - timedelta(days=4)),
            )
        )
    db.session.flush()

    from tremplin.groups import open_conversation

    conversation = open_conversation(electors, title=club.name, kind="club", owner=club)
    club.conversation_id = conversation.id

    forming = InvestorClub(
        name="Cigales du Rhône",
        territory="Lyon 7e",
        departement="69",
        theme="restauration",
        state=FORMING,
        founded_on=today - timedelta(days=20),
        is_public=True,
        description="Un club en constitution pour soutenir l’alimentation durable à Lyon : il "
        "nous manque encore deux membres pour commencer !",
        created_by_id=users["julien"].id,
        created_at=_at(today - timedelta(days=20)),
    )
    db.session.add(forming)
    db.session.flush()
    for index, key in enumerate(("julien", "thomas", "ines")):
        db.session.add(
            ClubMembership(
                club=forming,
                user_id=users[key].id,
                state=MEMBER_ACTIVE,
                role=GERANT if index == 0 else MEMBER,
                role_since=today - timedelta(days=20) if index == 0 else None,
                term_ends_on=today - timedelta(days=20) + timedelta(days=GERANT_TERM_DAYS)
                if index == 0
                else None,
                joined_at=_at(today - timedelta(days=20 - index)),
                declared_natural_person_at=_at(today - timedelta(days=20 - index)),
            )
        )
    db.session.flush()
    forming.conversation_id = open_conversation(
        [users["julien"], users["thomas"], users["ines"]],
        title=forming.name,
        kind="club",
        owner=forming,
    ).id
    db.session.flush()
    ctx.objects["clubs"] = {"roquette": club, "rhone": forming}
    return {
        "clubs d’investisseurs": 2,
        "versements d’épargne": payments,
        "investissements de club": investments,
        "vote(s) en cours": in_progress,
    }


def _euros(amount: int) -> str:
    return f"{amount:,} €".replace(",", "\u202f")


def _event(club, investment, by, fields: EventFields) -> None:
    """A movement of the portfolio as it happened in the past (written directly, dated)."""
    kind, cents, day, note = fields.kind, fields.amount_cents, fields.occurred_on, fields.note
    key = f"club:{club.id}:event:demo-{investment.id}-{kind}"
    event = PortfolioEvent(
        investment_id=investment.id,
        kind=kind,
        amount_cents=cents,
        principal_cents=cents if kind == REPAYMENT else 0,
        occurred_on=day,
        note=note,
        ledger_key=key,
        recorded_by_id=by.id,
        created_at=_at(day),
    )
    db.session.add(event)
    db.session.flush()
    source = (
        fund.investee_account(investment.id)
        if kind == REPAYMENT
        else fund.income_account(investment.id)
    )
    fund.post(
        club.id,
        key,
        fund.REPAYMENT if kind == REPAYMENT else fund.DIVIDEND,
        [(source, -cents), (fund.fund_account(club.id), cents)],
        subject=f"club_investment:{investment.id}",
        about=ledger.PostingRef(occurred_at=_at(day), memo=note),
    )
