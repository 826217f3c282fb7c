"""The words the members module shows for its codes (stages, needs, milestones…), in the
network's own vocabulary. Codes are stored; labels are lazy and follow the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLES = [
    ("porteur", _l("Porteur ou porteuse de projet")),
    ("mentor", _l("Parrain ou marraine")),
    ("investisseur", _l("Investisseur ou investisseuse solidaire")),
    ("animateur", _l("Animateur ou animatrice")),
]
ROLE_LABELS = dict(ROLES)
ROLE_SHORT = {
    "porteur": _l("Porteur·se de projet"),
    "mentor": _l("Parrain / marraine"),
    "investisseur": _l("Investisseur·se"),
    "animateur": _l("Animateur·rice"),
}

STAGES = [
    ("idee", _l("Idée")),
    ("emergence", _l("Émergence")),
    ("developpement", _l("Développement")),
    ("essaimage", _l("Essaimage")),
]
STAGE_LABELS = dict(STAGES)
STAGE_HINTS = {
    "idee": _l("L’idée se précise, on cherche à la tester."),
    "emergence": _l("Le projet se structure : étude, modèle économique, premiers partenaires."),
    "developpement": _l("L’activité a démarré et grandit."),
    "essaimage": _l("Le projet fait des petits sur d’autres territoires."),
}

NEED_KINDS = [
    ("financement", _l("Financement")),
    ("local", _l("Local")),
    ("competences", _l("Compétences")),
    ("partenariat", _l("Partenariat")),
    ("contacts", _l("Contacts")),
    ("mentorat", _l("Mentorat")),
]
NEED_KIND_LABELS = dict(NEED_KINDS)

UNITS = [("eur", "€"), ("m2", "m²"), ("hours", _l("heures"))]
UNIT_LABELS = dict(UNITS)

MILESTONES = [
    ("business_plan", _l("Business plan rédigé")),
    ("legal_entity", _l("Structure juridique créée")),
    ("first_funding", _l("Premier financement obtenu")),
    ("first_hire", _l("Première embauche")),
    ("prize", _l("Prix ou concours remporté")),
    ("return_to_employment", _l("Retour à l’emploi du porteur ou de la porteuse")),
    ("collective_project", _l("Projet collectif lancé avec d’autres membres du réseau")),
]
MILESTONE_LABELS = dict(MILESTONES)

VISIBILITIES = [
    ("public", _l("Tout le monde")),
    ("members", _l("Membres du réseau")),
    ("private", _l("Moi seulement")),
]
VISIBILITY_LABELS = dict(VISIBILITIES)

PROJECT_VISIBILITIES = [
    ("public", _l("Public : visible par tout le monde")),
    ("members", _l("Réservé aux membres du réseau")),
]

FIELD_LABELS = {
    "avatar": _l("Photo"),
    "roles": _l("Rôles"),
    "themes": _l("Thèmes"),
    "skills": _l("Compétences"),
    "bio": _l("Présentation"),
    "location": _l("Commune et département"),
    "languages": _l("Langues parlées"),
    "links": _l("Liens"),
    "phone": _l("Téléphone"),
}

OFFER_STATUS_LABELS = {
    "pending": _l("En attente de réponse"),
    "accepted": _l("Acceptée"),
    "declined": _l("Déclinée"),
    "withdrawn": _l("Retirée"),
}

# Who could help with a need: the kinds of organisation a member may act for, and how
# available they are (members/suggestions.py).
ORGANISATION_KINDS = [
    ("association", _l("Association")),
    ("entreprise", _l("Entreprise")),
    ("collectivite", _l("Collectivité ou service public")),
    ("financeur", _l("Banque ou financeur")),
    ("bailleur", _l("Propriétaire ou bailleur de locaux")),
    ("independant", _l("Indépendant·e ou professionnel·le libéral·e")),
]
ORGANISATION_LABELS = dict(ORGANISATION_KINDS)
AVAILABILITIES = [
    ("available", _l("Disponible pour aider")),
    ("occasional", _l("Disponible de temps en temps")),
    ("unavailable", _l("Pas disponible en ce moment")),
]
AVAILABILITY_LABELS = dict(AVAILABILITIES)
