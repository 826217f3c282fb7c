"""Demo mentoring for `flask demo load`: offers for the demo mentors, requests waiting,
pairings active, quiet, proposed and completed, with goals, sessions and feedback. Every
name and word here is invented.

Uses the projects of the members' demo (`ctx.objects["projects"]`) when they are there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from tremplin.mentoring.models import (
    DEPARTEMENT,
    LANGUAGE,
    OPEN,
    P_ACTIVE,
    P_COMPLETED,
    P_PROPOSED,
    PENDING,
    PROPOSED,
    SECTOR,
    SKILL,
    MentoringRequest,
    MentoringSession,
    MentorOffer,
    MentorOfferTag,
    Pairing,
    PairingFeedback,
    PairingGoal,
)
from tremplin.platform.extensions import db
from tremplin.platform.hooks import demo_loader

# key: (skills, sectors, languages, départements, format, hours/month, max mentees,
#       available, presentation)
OFFERS = {
    "fatou": (
        ["juridique", "administratif", "business-plan", "pitch"],
        ["cosmetique", "entreprendre-au-feminin"],
        ["fr", "wo", "ff"],
        ["93", "75"],
        "both",
        4,
        2,
        True,
        "J’ai été accompagnée à mes débuts, au club du mardi : je rends la pareille. "
        "Réglementation cosmétique, dossiers, et l’art de présenter son projet.",
    ),
    "claire": (
        ["reseau", "pitch", "business-plan", "ess"],
        ["education-populaire", "insertion"],
        ["fr", "en"],
        ["75"],
        "both",
        3,
        2,
        True,
        "Dix ans d’animation du Café Projets : je connais les dispositifs et les gens.",
    ),
    "jean": (
        ["financement", "gestion", "business-plan"],
        ["commerce-equitable", "restauration"],
        ["fr"],
        ["94", "75"],
        "both",
        6,
        3,
        True,
        "Ancien chargé d’affaires dans une banque coopérative. Plans de financement, "
        "trésorerie, dossiers de prêt d’honneur.",
    ),
    "sophie": (
        ["marketing", "numerique", "commercial"],
        ["textile", "cosmetique", "numerique"],
        ["fr", "en", "es"],
        ["92", "75"],
        "both",
        4,
        2,
        True,
        "Directrice marketing pendant quinze ans, aujourd’hui indépendante.",
    ),
    "mamadou": (
        ["international", "commercial", "financement", "administratif"],
        ["france-afrique", "commerce-equitable", "agriculture"],
        ["fr", "bm", "snk", "en"],
        ["94", "93"],
        "both",
        5,
        2,
        True,
        "Vingt ans d’import-export entre Bamako, Dakar et Rungis. Douanes, "
        "logistique, coopératives de producteurs.",
    ),
    "julien": (
        ["gestion", "juridique", "rh"],
        ["restauration", "education-populaire"],
        ["fr"],
        ["69"],
        "in_person",
        3,
        1,
        True,
        "Expert-comptable à Lyon, bénévole dans deux cafés associatifs.",
    ),
    "rachid": (
        ["financement", "gestion", "ess"],
        ["habitat-tiers-lieux", "insertion"],
        ["fr", "ar", "ber"],
        ["92"],
        "both",
        2,
        2,
        False,
        "En pause jusqu’à la rentrée : je reprendrai des binômes en septembre.",
    ),
    "samuel": (
        ["numerique", "marketing", "pitch"],
        ["numerique", "culture"],
        ["fr", "en"],
        ["93"],
        "online",
        4,
        2,
        True,
        "Développeur web, je vous aide à être visibles en ligne sans vous ruiner.",
    ),
}


def _offer(user, spec) -> MentorOffer:
    skills, sectors, languages, depts, fmt, hours, places, available, text = spec
    offer = MentorOffer(
        user_id=user.id,
        presentation=text,
        format=fmt,
        hours_per_month=hours,
        max_mentees=places,
        is_available=available,
    )
    for kind, codes in (
        (SKILL, skills),
        (SECTOR, sectors),
        (LANGUAGE, languages),
        (DEPARTEMENT, depts),
    ):
        offer.tags.extend(MentorOfferTag(kind=kind, code=code) for code in codes)
    db.session.add(offer)
    return offer


@dataclass(frozen=True)
class DemoPairing:
    """A demo pairing: mentor and porteur (user keys), the project (key), started
    `days_ago`; its state, goals ((title, progress %)), sessions ((days ago, minutes, notes,
    next steps)), when it completed, and who proposed it with which message."""

    mentor: str
    porteur: str
    project_key: str
    days_ago: int
    state: str = P_ACTIVE
    goals: Sequence[tuple[str, int]] = ()
    sessions: Sequence[tuple[int, int, str, str | None]] = ()
    completed_days_ago: int | None = None
    proposed_by: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class DemoRequest:
    """A demo request for a mentor: porteur (user key), project (key), needs, goals; the
    languages, département and sector wished (the project's by default), its state, the
    mentor it went to, and when it was made."""

    porteur: str
    project_key: str
    needs: Sequence[str]
    goals: str
    languages: tuple[str, ...] = ("fr",)
    dept: str | None = None
    sector: str | None = None
    state: str = OPEN
    mentor: str | None = None
    days_ago: int = 3


@demo_loader(50)
def load(ctx) -> dict:
    from tremplin.mentoring.pairings import _open_channel

    users, now = ctx.users, ctx.now
    today = now.date()
    projects = ctx.objects.get("projects", {})

    def project(key):
        return projects.get(key)

    for key, spec in OFFERS.items():
        _offer(users[key], spec)
    db.session.flush()

    def pairing(spec: DemoPairing) -> Pairing:
        mentor, porteur, project_key = spec.mentor, spec.porteur, spec.project_key
        days_ago, state, message = spec.days_ago, spec.state, spec.message
        proposed_by, completed_days_ago = spec.proposed_by, spec.completed_days_ago
        started = today - timedelta(days=days_ago)
        p = Pairing(
            mentor_id=users[mentor].id,
            porteur_id=users[porteur].id,
            project_id=project(project_key).id if project(project_key) else None,
            state=state,
            started_on=started,
            planned_end_on=started + timedelta(weeks=26),
            proposed_by_id=users[proposed_by].id if proposed_by else None,
            proposal_message=message,
            created_at=now - timedelta(days=days_ago + 2),
            accepted_at=None if state == P_PROPOSED else now - timedelta(days=days_ago),
        )
        if state == P_COMPLETED:
            p.completed_at = now - timedelta(days=completed_days_ago)
            p.ended_by_id = users[mentor].id
        for title, progress in spec.goals:
            p.goals.append(
                PairingGoal(
                    title=title,
                    progress=progress,
                    created_by_id=users[porteur].id,
                    achieved_at=now if progress == 100 else None,
                )
            )
        db.session.add(p)
        db.session.flush()
        for days, minutes, notes, next_steps in spec.sessions:
            db.session.add(
                MentoringSession(
                    pairing_id=p.id,
                    held_on=today - timedelta(days=days),
                    duration_minutes=minutes,
                    notes=notes,
                    next_steps=next_steps,
                    logged_by_id=users[mentor].id,
                    created_at=now - timedelta(days=days),
                )
            )
        if state != P_PROPOSED:
            _open_channel(p)
        return p

    done = pairing(
        DemoPairing(
            "fatou",
            "awa",
            "cosmethique",
            days_ago=240,
            state=P_COMPLETED,
            completed_days_ago=60,
            goals=[
                ("Boucler le dossier d’information produit (DIP)", 100),
                ("Présenter le projet au jury de la Fondation", 100),
            ],
            sessions=[
                (
                    235,
                    90,
                    "Premier tour du projet. Les recettes sont prêtes, le dossier "
                    "réglementaire fait peur.",
                    "Lister les ingrédients par recette.",
                ),
                (205, 120, "Relecture des fiches ingrédients.", "Contacter un évaluateur."),
                (170, 60, "Point téléphonique : l’évaluateur est trouvé.", None),
                (
                    140,
                    90,
                    "Préparation du pitch : 3 minutes, pas une de plus.",
                    "Répéter devant le club mardi.",
                ),
                (110, 75, "Retour sur le passage devant le club : très bien reçu.", None),
                (90, 120, "Dossier de candidature à la Fondation.", "Envoyer avant le 15."),
                (65, 45, "Lauréate ! On prépare la suite.", None),
            ],
        )
    )
    db.session.add_all(
        [
            PairingFeedback(
                pairing_id=done.id,
                author_id=users["awa"].id,
                side="porteur",
                rating=5,
                comment="Fatou m’a fait gagner des mois sur le DIP, et "
                "confiance pour le pitch. Merci !",
            ),
            PairingFeedback(
                pairing_id=done.id,
                author_id=users["fatou"].id,
                side="mentor",
                rating=5,
                comment="Un projet solide et une porteuse qui avance vite.",
            ),
        ]
    )

    pairing(
        DemoPairing(
            "sophie",
            "awa",
            "cosmethique",
            days_ago=45,
            goals=[
                ("Une identité visuelle pour la boutique", 60),
                ("Lancer la page Instagram", 30),
            ],
            sessions=[
                (40, 90, "Atelier marque : valeurs, cibles, ton.", "Trois pistes de nom."),
                (12, 60, "Choix du logo parmi les trois pistes.", "Brief au graphiste."),
            ],
        )
    )
    pairing(
        DemoPairing(
            "mamadou",
            "moussa",
            "sahel",
            days_ago=95,
            goals=[
                ("Dédouaner le premier conteneur sans surprise", 80),
                ("Trois épiceries partenaires en Île-de-France", 33),
            ],
            sessions=[
                (90, 120, "Les incoterms, sans jargon.", "Devis de deux transitaires."),
                (60, 90, "Visite à Rungis ensemble.", None),
                (30, 60, "Préparation du rendez-vous avec l’épicerie de Saint-Ouen.", None),
                (9, 90, "Bilan du premier conteneur.", "Relancer la coopérative de Kayes."),
            ],
        )
    )
    pairing(
        DemoPairing(
            "jean",
            "karim",
            "retoucherie",
            days_ago=70,
            goals=[("Plan de financement de la surjeteuse", 50)],
            sessions=[
                (65, 90, "Tour des financements possibles.", "Dossier France Active."),
                (20, 60, "Relecture du dossier.", None),
            ],
        )
    )
    pairing(
        DemoPairing(
            "julien",
            "ines",
            "cafe",
            days_ago=130,
            goals=[("Choisir entre licence III et licence restaurant", 40)],
            sessions=[
                (120, 90, "Les licences, les horaires, le voisinage.", None),
                (
                    52,
                    60,
                    "Budget prévisionnel de la première année.",
                    "Revoir les charges de personnel.",
                ),
            ],
        )
    )
    proposal = pairing(
        DemoPairing(
            "samuel",
            "elodie",
            "clic",
            days_ago=0,
            state=P_PROPOSED,
            proposed_by="lakdar",
            message="Élodie cherche à lancer son site, Samuel connaît bien le sujet : "
            "je vous laisse faire connaissance.",
        )
    )

    def request(spec: DemoRequest) -> MentoringRequest:
        proj = project(spec.project_key)
        req = MentoringRequest(
            porteur_id=users[spec.porteur].id,
            project_id=proj.id if proj else None,
            goals=spec.goals,
            needs=list(spec.needs),
            languages=list(spec.languages),
            departement=spec.dept or (proj.departement if proj else None),
            sector=spec.sector or (proj.theme if proj else None),
            state=spec.state,
            mentor_id=users[spec.mentor].id if spec.mentor else None,
            created_at=now - timedelta(days=spec.days_ago),
        )
        if spec.state == PENDING:
            req.sent_at = now - timedelta(days=spec.days_ago)
            req.expires_at = req.sent_at + timedelta(days=14)
        if proj is not None:
            req.project_needs = [n for n in proj.needs if n.kind in ("mentorat", "financement")]
        db.session.add(req)
        return req

    request(
        DemoRequest(
            "awa",
            "cosmethique",
            ["financement", "gestion", "business-plan"],
            "Financer le matériel de fabrication et tenir une trésorerie saine la première "
            "année de la boutique.",
            languages=("fr", "wo"),
            dept="93",
            days_ago=2,
        )
    )
    request(
        DemoRequest(
            "aminata",
            "tresses",
            ["business-plan", "financement", "juridique"],
            "Ouvrir mon salon de coiffure afro à Évry : statut, prévisionnel, premier prêt.",
            languages=("fr", "wo"),
            state=PENDING,
            mentor="fatou",
            days_ago=4,
        )
    )
    request(
        DemoRequest(
            "camille",
            "panier",
            ["commercial", "local", "reseau"],
            "Trouver un point de retrait et mes cinquante premiers abonnés.",
            days_ago=19,
        )
    )
    request(
        DemoRequest(
            "yasmina",
            "traiteur",
            ["financement", "gestion"],
            "Financer la cuisine du second site et revoir les prix.",
            languages=("fr", "ar"),
            state=PENDING,
            mentor="jean",
            days_ago=6,
        )
    )
    db.session.flush()
    # The organiser's proposal came from Élodie's request.
    elodie_request = request(
        DemoRequest(
            "elodie",
            "clic",
            ["numerique", "marketing"],
            "Un site simple et une présence en ligne pour les ateliers.",
            state=PROPOSED,
            mentor="samuel",
            days_ago=10,
        )
    )
    db.session.flush()
    proposal.request_id = elodie_request.id
    db.session.flush()
    return {"parrains et marraines": len(OFFERS), "binômes": 6, "demandes de parrainage": 5}
