"""The words mentoring shows for its codes: what a mentor can help with, formats, states.

Codes are stored; labels are lazy and follow the reader's language. The skills are one
shared list so that a porteur's needs and a mentor's skills can be matched exactly.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

# What a mentor helps with — and what a porteur asks help for.
SKILLS: list[tuple[str, object]] = [
    ("business-plan", _l("Business plan et modèle économique")),
    ("financement", _l("Recherche de financements")),
    ("gestion", _l("Gestion, comptabilité et trésorerie")),
    ("juridique", _l("Statuts et questions juridiques")),
    ("administratif", _l("Démarches administratives")),
    ("marketing", _l("Marketing et communication")),
    ("commercial", _l("Vente et prospection")),
    ("numerique", _l("Outils numériques et site web")),
    ("rh", _l("Recrutement et ressources humaines")),
    ("international", _l("Import-export et projets France–Afrique")),
    ("local", _l("Recherche d’un local")),
    ("reseau", _l("Réseau et partenariats")),
    ("pitch", _l("Prise de parole et pitch")),
    ("ess", _l("Modèles de l’ESS : coopérative, association, agréments")),
]
SKILL_LABELS = dict(SKILLS)

FORMATS: list[tuple[str, object]] = [
    ("both", _l("En personne ou à distance")),
    ("in_person", _l("En personne")),
    ("online", _l("À distance (visio, téléphone)")),
]
FORMAT_LABELS = dict(FORMATS)

REQUEST_STATE_LABELS = {
    "open": _l("Dans le vivier : en attente d’un parrain ou d’une marraine"),
    "pending": _l("Envoyée, en attente de réponse"),
    "proposed": _l("Binôme proposé par l’équipe d’animation"),
    "accepted": _l("Acceptée"),
    "declined": _l("Déclinée"),
    "withdrawn": _l("Retirée"),
}
REQUEST_STATE_SHORT = {
    "open": _l("Dans le vivier"),
    "pending": _l("En attente de réponse"),
    "proposed": _l("Binôme proposé"),
    "accepted": _l("Acceptée"),
    "declined": _l("Déclinée"),
    "withdrawn": _l("Retirée"),
}

PAIRING_STATE_LABELS = {
    "proposed": _l("Proposé"),
    "active": _l("En cours"),
    "paused": _l("En pause"),
    "completed": _l("Terminé"),
    "declined": _l("Décliné"),
}
PAIRING_STATE_TAGS = {
    "proposed": "tag--warning",
    "active": "tag--success",
    "paused": "tag--muted",
    "completed": "",
    "declined": "tag--error",
}

PROGRESS_CHOICES = [(n, f"{n} %") for n in range(0, 101, 10)]

# Words in a project's need that point at one of the skills above (accents and case
# folded). A need's kind alone is enough for some.
NEED_KIND_SKILLS = {
    "financement": "financement",
    "local": "local",
    "partenariat": "reseau",
    "contacts": "reseau",
}
SKILL_KEYWORDS: dict[str, tuple[str, ...]] = {
    "business-plan": (
        "business plan",
        "business-plan",
        "modele economique",
        "previsionnel",
        "etude de marche",
    ),
    "financement": (
        "financ",
        "subvention",
        "pret",
        "levee de fonds",
        "crowdfunding",
        "banque",
        "collecte",
    ),
    "gestion": ("comptab", "tresorerie", "gestion", "budget", "facturation"),
    "juridique": ("juridique", "statut", "contrat", "droit", "assurance"),
    "administratif": (
        "administratif",
        "urssaf",
        "declaration",
        "impot",
        "dossier",
        "autorisation",
        "licence",
    ),
    "marketing": (
        "marketing",
        "communication",
        "reseaux sociaux",
        "logo",
        "marque",
        "identite visuelle",
    ),
    "commercial": ("vente", "commercial", "prospection", "client", "distribution"),
    "numerique": ("numerique", "site", "web", "informatique", "logiciel", "application"),
    "rh": ("recrut", "embauche", "salarie", "ressources humaines", "benevole"),
    "international": ("export", "import", "afrique", "douane", "international"),
    "local": ("local", "atelier", "boutique", "entrepot", "bureau", "cuisine partagee"),
    "reseau": ("reseau", "partenaire", "partenariat", "contact", "mise en relation"),
    "pitch": ("pitch", "prise de parole", "oral", "jury", "presentation"),
    "ess": (
        "cooperative",
        "scop",
        "scic",
        "association",
        "agrement",
        "esus",
        " ess",
        "economie sociale",
    ),
}


def _fold(value: str) -> str:
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode()
    return " " + re.sub(r"\s+", " ", text.casefold()) + " "


def skills_for_need(
    kind: str | None, title: str | None, description: str | None = None
) -> list[str]:
    """The mentoring skills a project's need calls for, guessed from its kind and words
    (used to pre-fill a request; the porteur confirms)."""
    found: list[str] = []
    if kind in NEED_KIND_SKILLS:
        found.append(NEED_KIND_SKILLS[kind])
    words = _fold(f"{title or ''} {description or ''}")
    for code, keywords in SKILL_KEYWORDS.items():
        if code not in found and any(keyword in words for keyword in keywords):
            found.append(code)
    return found
