"""The words the clubs show for their codes, in the network's vocabulary (lazy: they follow
the reader's language)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin.funding.clubs import models as m

CLUB_STATES = {
    m.FORMING: _l("En constitution"),
    m.ACTIVE: _l("Actif"),
    m.MANAGING: _l("En gestion"),
    m.CLOSED: _l("Clôturé"),
}
CLUB_STATE_HINTS = {
    m.FORMING: _l("Le club réunit ses membres : il devient actif à partir de 5 membres."),
    m.ACTIVE: _l("Le club épargne et investit pendant sa période d’investissement."),
    m.MANAGING: _l(
        "Plus d’épargne ni de nouvel investissement : le club suit ses projets "
        "jusqu’à la cession ou la répartition du portefeuille."
    ),
    m.CLOSED: _l("Le club est clôturé ; le relevé de répartition reste consultable."),
}
CLUB_STATE_TONES = {
    m.FORMING: "warning",
    m.ACTIVE: "success",
    m.MANAGING: "accent",
    m.CLOSED: "muted",
}

ROLES = {
    m.GERANT: _l("Gérant·e"),
    m.CO_GERANT: _l("Co-gérant·e"),
    m.TRESORIER: _l("Trésorier·e"),
    m.SECRETAIRE: _l("Secrétaire"),
    m.MEMBER: _l("Membre"),
}
MEMBERSHIP_STATES = {
    m.INVITED: _l("Invitation envoyée"),
    m.REQUESTED: _l("Demande en attente"),
    m.MEMBER_ACTIVE: _l("Membre"),
    m.LEFT: _l("A quitté le club"),
    m.DECLINED: _l("Refusée"),
}

MAJORITIES = {
    m.SIMPLE: _l("Majorité simple (plus de la moitié)"),
    m.TWO_THIRDS: _l("Majorité des deux tiers"),
    m.THREE_QUARTERS: _l("Majorité des trois quarts"),
    m.UNANIMITY: _l("Unanimité"),
}

INSTRUMENTS = {
    m.CAPITAL_SHARES: _l("Parts sociales (capital)"),
    m.CURRENT_ACCOUNT: _l("Compte courant d’associé"),
    m.CONTRIBUTION: _l("Apport avec droit de reprise"),
    m.HONOUR_LOAN: _l("Prêt d’honneur"),
}

LEGAL_FORMS = {
    "sarl": _l("SARL"),
    "sas": _l("SAS ou SASU"),
    "sa": _l("SA (société anonyme)"),
    "scop": _l("SCOP (coopérative)"),
    "scic": _l("SCIC (coopérative)"),
    "cooperative": _l("Autre coopérative"),
    "association": _l("Association"),
    "ei": _l("Entreprise individuelle"),
    "autre": _l("Autre forme"),
}

APPLICATION_STATES = {
    m.SUBMITTED: _l("Reçue"),
    m.UNDER_VOTE: _l("Au vote"),
    m.ACCEPTED: _l("Acceptée"),
    m.REJECTED: _l("Refusée"),
    m.WITHDRAWN: _l("Retirée"),
    m.FUNDED: _l("Financée"),
}
APPLICATION_TONES = {
    m.SUBMITTED: "muted",
    m.UNDER_VOTE: "warning",
    m.ACCEPTED: "success",
    m.REJECTED: "error",
    m.WITHDRAWN: "muted",
    m.FUNDED: "success",
}

VOTE_KINDS = {
    m.ON_APPLICATION: _l("Candidature"),
    m.ON_ROLE: _l("Rôle"),
    m.ON_MOTION: _l("Décision"),
}
CHOICES = {m.FOR: _l("Pour"), m.AGAINST: _l("Contre"), m.ABSTAIN: _l("Abstention")}
RESULTS = {
    m.ADOPTED: _l("Adoptée"),
    m.NOT_ADOPTED: _l("Rejetée"),
    m.NO_QUORUM: _l("Quorum non atteint"),
}
RESULT_TONES = {m.ADOPTED: "success", m.NOT_ADOPTED: "error", m.NO_QUORUM: "warning"}

INVESTMENT_STATES = {
    m.INV_ACTIVE: _l("En portefeuille"),
    m.INV_REPAID: _l("Remboursé"),
    m.INV_EXITED: _l("Cédé (sortie)"),
    m.INV_WRITTEN_OFF: _l("Perdu (passé en perte)"),
}
EVENT_KINDS = {
    m.REPAYMENT: _l("Remboursement"),
    m.DIVIDEND: _l("Dividende"),
    m.INTEREST: _l("Intérêts"),
    m.EXIT: _l("Sortie (cession)"),
    m.WRITE_OFF: _l("Passage en perte"),
}

PAYMENT_METHODS = {m.BY_TRANSFER: _l("Virement"), m.BY_CARD: _l("Prélèvement par carte")}

MOVEMENT_KINDS = {
    "club_saving": _l("Épargne versée"),
    "club_saving_reversal": _l("Versement annulé"),
    "club_investment": _l("Investissement"),
    "club_repayment": _l("Remboursement"),
    "club_dividend": _l("Dividende"),
    "club_interest": _l("Intérêts"),
    "club_exit": _l("Sortie (cession)"),
    "club_write_off": _l("Passage en perte"),
    "club_expense": _l("Frais"),
    "club_distribution": _l("Répartition à la clôture"),
}

MONTH_STATUS = {
    "paid": _l("Versée"),
    "partial": _l("Incomplète"),
    "late": _l("En retard"),
    "due": _l("À verser"),
    "upcoming": _l("À venir"),
}
MONTH_TONES = {
    "paid": "success",
    "partial": "warning",
    "late": "error",
    "due": "warning",
    "upcoming": "muted",
}


def percent(basis_points: int | None) -> str:
    """1250 -> "12,5 %" (French decimal comma)."""
    if basis_points is None:
        return ""
    whole, rest = divmod(basis_points, 100)
    text = f"{whole},{rest:02d}".rstrip("0").rstrip(",")
    return f"{text}\u00a0%"
