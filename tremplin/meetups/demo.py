"""Demo meetups for `flask demo load`: the monthly Café Projets and the club's evenings on
the second Tuesday, past ones with their attendance, tables, proposals and commitments,
coming ones with registrations and a waiting list; and the organisers' *veille*.

Every name, organisation and address here is invented (inspired by the network's own
documents). Uses `ctx.objects["projects"]` and `ctx.objects["groups"]` when the members
and groups demos ran before.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from tremplin.meetups import (
    checkin,
    commitments,
    meetups,
    notices,
    opportunities,
    proposals,
    tables,
)
from tremplin.meetups.commitments import Offer
from tremplin.meetups.meetups import PARIS, MeetupDetails, MeetupProgramme
from tremplin.meetups.models import (
    CONFIRMED,
    WAITING,
    Opportunity,
    OpportunityApplication,
    OpportunityTheme,
    Registration,
    SupportCommitment,
    ThemeSubscription,
)
from tremplin.platform.extensions import db
from tremplin.platform.hooks import demo_loader

CAFE_AGENDA = [
    (15, "Accueil et café"),
    (20, "Présentation du projet par sa porteuse ou son porteur"),
    (15, "Questions de la salle"),
    (20, "Tables de propositions"),
    (30, "Restitution des tables et soutiens"),
    (20, "Moment convivial"),
]
CLUB_AGENDA = [
    (15, "Mot de bienvenue"),
    (30, "Tour de table et prise de connaissance"),
    (60, "Communication des deux intervenants"),
    (45, "Échanges"),
]

PROPOSALS = [
    "Demander à la régie de quartier un local de stockage pour les chutes textiles.",
    "Contacter les trois pressings de la rue pour une collecte hebdomadaire.",
    "Proposer un atelier de retouche dans la boutique éphémère de la Semaest (fictive).",
    "Monter un partenariat avec le lycée professionnel pour des stages de couture.",
    "Tester un abonnement « retouches illimitées » pour les commerçants du quartier.",
    "Présenter le projet au club d’investisseurs solidaires du 11e.",
    "Chercher un financement de la fondation d’entreprise du quartier (appel en septembre).",
    "Créer une page de précommande pour financer la surjeteuse.",
]


def _evening(day: date, start: time, minutes: int) -> tuple[datetime, datetime]:
    begin = datetime.combine(day, start, PARIS)
    return begin, begin + timedelta(minutes=minutes)


def _second_tuesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    offset = (1 - first.weekday()) % 7  # Tuesday is 1
    return first + timedelta(days=offset + 7)


def _month_shift(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _register(meetup, user, *, status=CONFIRMED, guests=0, at=None) -> Registration:
    registration = Registration(
        meetup=meetup,
        user=user,
        guests=guests,
        status=status,
        confirmed_at=at if status == CONFIRMED else None,
        waitlisted_at=at if status == WAITING else None,
        created_at=at,
        link_nonce=secrets.token_hex(16),
    )
    db.session.add(registration)
    return registration


def _visitor(meetup, name, email, *, at, guests=0, walk_in=False) -> Registration:
    registration = Registration(
        meetup=meetup,
        name=name,
        email=email,
        guests=guests,
        status=CONFIRMED,
        confirmed_at=at,
        created_at=at,
        is_walk_in=walk_in,
        link_nonce=secrets.token_hex(16),
    )
    db.session.add(registration)
    return registration


@demo_loader(30)
def load(ctx) -> dict:
    with notices.url_context():
        return _load(ctx)


def _load(ctx) -> dict:
    users = ctx.users
    projects = ctx.objects.get("projects", {})
    groups = ctx.objects.get("groups", {})
    today = ctx.now.astimezone(PARIS).date()
    claire, lakdar, bernadette = users["claire"], users["lakdar"], users["bernadette"]
    created = []

    # --- a past Café Projets: the full evening --------------------------------------------
    past_day = today - timedelta(days=35)
    past_day -= timedelta(days=(past_day.weekday() - 2) % 7)  # a Wednesday
    begin, end = _evening(past_day, time(18, 30), 150)
    retoucherie = projects.get("retoucherie")
    cafe = meetups.create_meetup(
        claire,
        MeetupDetails(
            title="Café Projets : l’Éco-retoucherie",
            starts_at=begin,
            ends_at=end,
            description=(
                "Une fois par mois, la salle des fêtes devient un café à thème : un "
                "projet est présenté, la salle se répartit en **tables de 6 à 8** "
                "pendant 20 minutes pour le faire avancer, et chacun peut s’engager : "
                "une somme, des contacts, un partenariat, des compétences.\n\nCe mois-"
                "ci, l’Éco-retoucherie : retouches, upcycling et recyclage des chutes "
                "textiles du quartier."
            ),
            venue_name="Mairie du 3e – Salle des Mariages",
            address="2 rue Eugène-Spuller, 75003 Paris",
            capacity=60,
            departement="75",
            theme="textile",
        ),
        programme=MeetupProgramme(
            agenda=CAFE_AGENDA, project_ids=[retoucherie.id] if retoucherie else []
        ),
        publish=True,
        allow_past=True,
    )
    meetups.add_speaker(
        claire,
        cafe,
        name="Lakdar Kherbi",
        organisation="Café Projets",
        offer="Animation de la soirée et restitution des tables.",
    )
    created.append(cafe)
    guests_of = {"jean": 1, "helene": 1}
    attendees = [
        "jean",
        "sophie",
        "mamadou",
        "nathalie",
        "olivier",
        "yasmina",
        "paul",
        "aminata",
        "julien",
        "rachid",
        "elodie",
        "samuel",
        "helene",
        "fatou",
        "awa",
        "karim",
        "lucie",
        "thomas",
    ]
    checked_at = begin + timedelta(minutes=5)
    registrations = {}
    for key in attendees:
        registrations[key] = _register(
            cafe, users[key], guests=guests_of.get(key, 0), at=begin - timedelta(days=10)
        )
    visitors = [
        _visitor(
            cafe, "Mireille Vasseur", "mireille.vasseur@exemple.fr", at=begin - timedelta(days=4)
        ),
        _visitor(cafe, "Hugo Lemaire", "hugo.lemaire@exemple.fr", at=begin - timedelta(days=2)),
        _visitor(cafe, "Nadia Benslimane", None, at=begin + timedelta(minutes=8), walk_in=True),
    ]
    _register(cafe, users["moussa"], at=begin - timedelta(days=3))  # registered, did not come
    db.session.flush()
    for registration in registrations.values():
        checkin.check_in(claire, registration)
        registration.checked_in_at = checked_at
    for registration in visitors:
        checkin.check_in(claire, registration)
        registration.checked_in_at = checked_at
    tables.split_into_tables(claire, cafe, 6, 8, seed=2026)
    for number, table in enumerate(tables.load_tables(cafe), start=1):
        for body in PROPOSALS[(number - 1) * 2 : (number - 1) * 2 + 3]:
            proposal = proposals.record_proposal(claire, table, body)
            proposal.created_at = begin + timedelta(minutes=80)
    cafe.tables_closed_at = begin + timedelta(minutes=95)
    if retoucherie:
        karim = users["karim"]
        support = [
            (
                "jean",
                Offer(
                    "skills",
                    "Relire le plan de financement et préparer le rendez-vous bancaire.",
                    quantity=8,
                    amount_cents=40_000,
                ),
                "fulfilled",
            ),
            (
                "sophie",
                Offer("skills", "Vérifier les statuts de l’association et le bail.", quantity=4),
                "in_progress",
            ),
            (
                "mamadou",
                Offer(
                    "contacts",
                    "Les gérants de trois pressings et d’un grossiste en tissus du Sentier.",
                    quantity=4,
                ),
                "accepted",
            ),
            (
                "nathalie",
                Offer("money", "Pour l’achat de la surjeteuse industrielle.", amount_cents=15_000),
                "accepted",
            ),
            (
                "yasmina",
                Offer(
                    "partnership", "Uniformes de cuisine retouchés par l’atelier pour le traiteur."
                ),
                "proposed",
            ),
            (
                "aminata",
                Offer(
                    "contacts",
                    "Les couturières du foyer de jeunes travailleuses qui cherchent un atelier.",
                    quantity=6,
                ),
                "proposed",
            ),
            (
                "olivier",
                Offer(
                    "premises",
                    "Un local de stockage de 12 m² dans une résidence du bailleur, le samedi.",
                    quantity=12,
                ),
                "cancelled",
            ),
        ]
        for key, offer, state in support:
            commitment = commitments.commit_support(
                retoucherie, offer, supporter=users[key], meetup=cafe
            )
            if state in ("accepted", "in_progress", "fulfilled"):
                commitments.accept(karim, commitment)
            if state == "in_progress":
                commitments.start(users[key], commitment)
            if state == "fulfilled":
                commitments.confirm_delivery(karim, commitment)
            if state == "cancelled":
                commitments.cancel(users[key], commitment, "Le local a finalement été loué.")
            stamp = begin + timedelta(minutes=110)
            commitment.created_at = stamp
            commitment.state_changed_at = stamp + timedelta(days=3 if state != "proposed" else 0)
            for event in commitment.events:
                event.created_at = stamp
            if commitment.fulfilled_at:
                commitment.fulfilled_at = stamp + timedelta(days=12)
            if commitment.accepted_at:
                commitment.accepted_at = stamp + timedelta(days=2)
        visitor_support = commitments.commit_support(
            retoucherie,
            Offer("time", "Tenir le stand de l’atelier au vide-grenier de juin.", quantity=6),
            registration=visitors[0],
            meetup=cafe,
        )
        visitor_support.created_at = begin + timedelta(minutes=115)
        visitor_support.state_changed_at = visitor_support.created_at
    cafe.updated_at = end

    # --- the club's past evening (second Tuesday) -----------------------------------------
    club_group = groups.get("dynamiques")
    year, month = _month_shift(today, -1)
    club_day = _second_tuesday(year, month)
    begin, end = _evening(club_day, time(18, 0), 150)
    sahel = projects.get("sahel")
    club = meetups.create_meetup(
        lakdar,
        MeetupDetails(
            title="Club Dynamiques africaines : financer son activité",
            starts_at=begin,
            ends_at=end,
            description=(
                "Les rencontres du club ont lieu chaque deuxième mardi du mois. **La "
                "participation est libre, sans rendez-vous.** Les rôles sont inversés : ce sont "
                "les organismes qui viennent présenter leur offre aux porteurs de projet."
            ),
            venue_name="Cité des métiers (fictive) – salle du club",
            address="30 avenue des Échanges, 75019 Paris",
            departement="75",
            theme="france-afrique",
        ),
        group=club_group,
        programme=MeetupProgramme(agenda=CLUB_AGENDA, project_ids=[sahel.id] if sahel else []),
        publish=True,
        allow_past=True,
    )
    meetups.add_speaker(
        lakdar,
        club,
        name="Inès Martel",
        organisation="Fonds d’amorçage solidaire d’Île-de-France (fictif)",
        offer="Prêts d’honneur de 2 000 à 8 000 € pour la création.",
    )
    meetups.add_speaker(
        lakdar,
        club,
        name="Bernadette Thomasset",
        organisation="Cité des métiers",
        offer="Les ateliers « créer son activité » et le conseil individuel.",
    )
    created.append(club)
    for key in (
        "moussa",
        "awa",
        "fatou",
        "aminata",
        "rachid",
        "karim",
        "mamadou",
        "samuel",
        "jean",
        "elodie",
    ):
        registration = _register(club, users[key], at=begin - timedelta(days=5))
        db.session.flush()
        checkin.check_in(lakdar, registration)
        registration.checked_in_at = begin + timedelta(minutes=10)
    for name in ("Ousmane Fofana", "Kadiatou Camara", "Serge Mbemba"):
        walk_in = _visitor(club, name, None, at=begin + timedelta(minutes=12), walk_in=True)
        db.session.flush()
        checkin.check_in(lakdar, walk_in)
        walk_in.checked_in_at = begin + timedelta(minutes=12)
    if sahel:
        for key, offer in (
            (
                "mamadou",
                Offer(
                    "contacts",
                    "Un transitaire au port de Dakar et un importateur à Marseille.",
                    quantity=2,
                ),
            ),
            (
                "rachid",
                Offer("skills", "Monter le prévisionnel pour le prêt d’honneur.", quantity=5),
            ),
        ):
            commitment = commitments.commit_support(sahel, offer, supporter=users[key], meetup=club)
            commitment.created_at = begin + timedelta(minutes=140)
            commitment.state_changed_at = commitment.created_at
    club.updated_at = end

    # --- coming meetups -------------------------------------------------------------------
    next_day = today + timedelta(days=12)
    next_day += timedelta(days=(2 - next_day.weekday()) % 7)
    begin, end = _evening(next_day, time(18, 30), 150)
    cosmethique = projects.get("cosmethique")
    upcoming = meetups.create_meetup(
        claire,
        MeetupDetails(
            title="Café Projets : la Maison de Cosm’éthique",
            starts_at=begin,
            ends_at=end,
            description=(
                "Un collectif d’une quarantaine de femmes formule des cosmétiques bio "
                "et éthiques ; quatorze d’entre elles veulent ouvrir une maison commune "
                "dans le 11e. Venez les aider à trouver le local, les premiers clients "
                "et le modèle économique.\n\nOuvert à tous, avec ou sans compte."
            ),
            venue_name="Mairie du 3e – Salle des Mariages",
            address="2 rue Eugène-Spuller, 75003 Paris",
            capacity=40,
            departement="75",
            theme="cosmetique",
        ),
        programme=MeetupProgramme(
            agenda=CAFE_AGENDA, project_ids=[cosmethique.id] if cosmethique else []
        ),
        publish=True,
    )
    meetups.add_speaker(
        claire,
        upcoming,
        name="Sophie Lambert",
        organisation=None,
        offer="Ce que dit la réglementation cosmétique pour une petite fabrique.",
    )
    created.append(upcoming)
    for key in (
        "jean",
        "sophie",
        "nathalie",
        "yasmina",
        "aminata",
        "helene",
        "lucie",
        "paul",
        "rachid",
        "julien",
        "karim",
    ):
        _register(
            upcoming, users[key], at=ctx.now - timedelta(days=2), guests=1 if key == "paul" else 0
        )
    _visitor(
        upcoming, "Mireille Vasseur", "mireille.vasseur@exemple.fr", at=ctx.now - timedelta(days=1)
    )

    year, month = _month_shift(today, 1)
    club_next = _second_tuesday(year, month)
    begin, end = _evening(club_next, time(18, 0), 150)
    next_club = meetups.create_meetup(
        lakdar,
        MeetupDetails(
            title="Club Dynamiques africaines : importer en commerce équitable",
            starts_at=begin,
            ends_at=end,
            description="Deuxième mardi du mois, participation libre et sans rendez-vous.",
            venue_name="Cité des métiers (fictive) – salle du club",
            address="30 avenue des Échanges, 75019 Paris",
            departement="75",
            theme="france-afrique",
        ),
        group=club_group,
        programme=MeetupProgramme(agenda=CLUB_AGENDA),
        publish=True,
    )
    meetups.add_speaker(
        lakdar,
        next_club,
        name="Paul Amégan",
        organisation="Réseau des douanes amies (fictif)",
        offer="Les formalités d’import pour les petites structures.",
    )
    created.append(next_club)
    for key in ("moussa", "mamadou", "samuel", "awa"):
        _register(next_club, users[key], at=ctx.now - timedelta(days=1))

    # tonight: the door is open (try the check-in page and the tables on a phone)
    soon = (ctx.now + timedelta(hours=2)).astimezone(PARIS)
    soon = soon.replace(minute=0 if soon.minute < 30 else 30, second=0, microsecond=0)
    tresses = projects.get("tresses")
    tonight = meetups.create_meetup(
        claire,
        MeetupDetails(
            title="Café Projets : Tresses & Transmission",
            starts_at=soon,
            ends_at=soon + timedelta(minutes=150),
            description="Un salon-école de coiffure afro qui forme des jeunes femmes du quartier.",
            venue_name="Maison des associations (fictive)",
            address="8 rue de l’Entraide, 75020 Paris",
            capacity=30,
            departement="75",
            theme="entreprendre-au-feminin",
        ),
        programme=MeetupProgramme(agenda=CAFE_AGENDA, project_ids=[tresses.id] if tresses else []),
        publish=True,
    )
    created.append(tonight)
    door = []
    for key in (
        "fatou",
        "helene",
        "jean",
        "julien",
        "lucie",
        "mamadou",
        "nathalie",
        "olivier",
        "paul",
        "rachid",
        "samuel",
        "sophie",
        "thomas",
        "yasmina",
    ):
        door.append(
            _register(
                tonight,
                users[key],
                at=ctx.now - timedelta(days=4),
                guests=1 if key == "jean" else 0,
            )
        )
    door.append(
        _visitor(
            tonight,
            "Mireille Vasseur",
            "mireille.vasseur@exemple.fr",
            at=ctx.now - timedelta(days=2),
            guests=2,
        )
    )
    door.append(
        _visitor(tonight, "Hugo Lemaire", "hugo.lemaire@exemple.fr", at=ctx.now - timedelta(days=1))
    )
    db.session.flush()
    for registration in door[:5]:
        checkin.check_in(claire, registration)

    feminin = groups.get("feminin")
    workshop_day = today + timedelta(days=5)
    begin, end = _evening(workshop_day, time(14, 0), 120)
    workshop = meetups.create_meetup(
        bernadette,
        MeetupDetails(
            title="Atelier pitch : trois minutes pour convaincre",
            starts_at=begin,
            ends_at=end,
            description="Un atelier en petit groupe pour préparer son pitch avant un Café Projets.",
            venue_name=None,
            address=None,
            online_url="https://visio.example.org/atelier-pitch",
            capacity=6,
            theme="entreprendre-au-feminin",
        ),
        group=feminin,
        programme=MeetupProgramme(
            agenda=[(20, "Tour de table"), (80, "Pitchs et retours"), (20, "Prochaines étapes")]
        ),
        publish=True,
    )
    created.append(workshop)
    for key in ("awa", "fatou", "aminata", "elodie", "lucie", "yasmina"):
        _register(workshop, users[key], at=ctx.now - timedelta(days=3))
    for key in ("helene", "ines"):
        _register(workshop, users[key], status=WAITING, at=ctx.now - timedelta(days=1))

    draft_day = today + timedelta(days=45)
    begin, end = _evening(draft_day, time(10, 0), 420)
    draft = meetups.create_meetup(
        claire,
        MeetupDetails(
            title="Village Projets : le rendez-vous annuel",
            starts_at=begin,
            ends_at=end,
            description="Les partenaires et les porteurs des éditions précédentes se retrouvent "
            "pour mesurer le chemin parcouru.",
            venue_name="Halle des Initiatives (fictive)",
            address="12 quai des Possibles, 75010 Paris",
            capacity=150,
            departement="75",
        ),
    )
    created.append(draft)

    # --- the watch --------------------------------------------------------------------------
    watch = [
        (
            "Appel à projets « Quartiers qui entreprennent »",
            "appel_a_projets",
            "Fondation des Quartiers Actifs (fictive)",
            ["insertion", "environnement", "textile"],
            ["emergence", "developpement"],
            "93",
            25,
            "Jusqu’à **15 000 €** et un accompagnement de six mois pour les projets qui créent de "
            "l’emploi dans les quartiers populaires.",
        ),
        (
            "Prêts d’honneur création — session de printemps",
            "financement",
            "Fonds d’amorçage solidaire d’Île-de-France (fictif)",
            ["france-afrique", "insertion", "commerce-equitable"],
            ["idee", "emergence"],
            None,
            40,
            "Prêts sans intérêt ni garantie de 2 000 à 8 000 €.",
        ),
        (
            "Local commercial de 110 m² en rez-de-chaussée, Paris 11e",
            "local",
            "Bailleur social du Faubourg (fictif)",
            ["cosmetique", "textile", "habitat-tiers-lieux"],
            [],
            "75",
            18,
            "Loyer modéré pour une activité de l’ESS ; visite sur rendez-vous.",
        ),
        (
            "Formation « Réglementation des cosmétiques artisanaux »",
            "formation",
            "Atelier des Formulatrices (fictif)",
            ["cosmetique", "entreprendre-au-feminin"],
            [],
            "75",
            30,
            "Deux jours pour comprendre le dossier d’information produit.",
        ),
        (
            "Coordinateur·rice d’atelier d’insertion textile (CDD 12 mois)",
            "emploi",
            "Association Fil Solidaire (fictive)",
            ["textile", "insertion"],
            [],
            "93",
            15,
            "Encadrer une équipe de six couturières en parcours d’insertion.",
        ),
        (
            "Concours « Talents des quartiers » — catégorie ESS",
            "concours",
            "Collectif Talents (fictif)",
            ["insertion", "numerique", "restauration"],
            ["emergence", "developpement", "essaimage"],
            None,
            60,
            "5 000 € et une année de mentorat pour trois lauréats.",
        ),
    ]
    posted = []
    for title, kind, organisation, themes, stages, dept, days, text in watch:
        item = opportunities.post_opportunity(
            bernadette,
            opportunities.OpportunityFields(
                title=title,
                kind=kind,
                organisation=organisation,
                description=text,
                themes=themes,
                stages=stages,
                departement=dept,
                url="https://exemple.org/veille",
                deadline=today + timedelta(days=days),
            ),
            today=today,
        )
        item.created_at = ctx.now - timedelta(days=days % 9)
        posted.append(item)
    closed = Opportunity(
        title="Appel à projets « Alimentation durable » (clos)",
        kind="appel_a_projets",
        organisation="Métropole (fictive)",
        description="Clos : les lauréats ont été annoncés.",
        stages=[],
        deadline=today - timedelta(days=20),
        posted_by_id=bernadette.id,
        created_at=ctx.now - timedelta(days=70),
    )
    closed.theme_rows = [
        OpportunityTheme(theme="restauration"),
        OpportunityTheme(theme="agriculture"),
    ]
    db.session.add(closed)
    db.session.flush()
    db.session.add(
        OpportunityApplication(
            opportunity_id=closed.id,
            user_id=users["yasmina"].id,
            status="won",
            won_at=ctx.now - timedelta(days=10),
        )
    )
    db.session.add(
        OpportunityApplication(
            opportunity_id=closed.id, user_id=users["camille"].id, status="applied"
        )
    )
    db.session.add(
        OpportunityApplication(
            opportunity_id=posted[0].id, user_id=users["karim"].id, status="applied"
        )
    )
    for key, themes in (
        ("awa", ["cosmetique", "entreprendre-au-feminin"]),
        ("karim", ["textile", "insertion"]),
        ("moussa", ["france-afrique"]),
    ):
        for theme in themes:
            db.session.add(ThemeSubscription(user_id=users[key].id, theme=theme))
    db.session.flush()
    count = db.session.scalar(select(func.count(SupportCommitment.id)))
    return {"rencontres": len(created), "soutiens": count, "opportunités": len(posted) + 1}
