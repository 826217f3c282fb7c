"""Forms of the token and webhook pages: validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, URLField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from tremplin.api.models import EVENTS, SCOPES

REQUIRED = _l("Ce champ est obligatoire.")

SCOPE_LABELS = {
    "read": _l("Lire mes données (inscriptions, promesses, binômes, notifications)"),
    "rsvp": _l("M'inscrire aux rencontres"),
    "help": _l("Proposer mon aide sur des besoins"),
    "chat": _l("Écrire dans les salons de mes groupes"),
    "notifications": _l("Marquer mes notifications comme lues"),
}

EVENT_LABELS = {
    "meetup.published": _l("Une rencontre est publiée"),
    "registration.created": _l("Quelqu'un s'inscrit à une rencontre"),
    "campaign.succeeded": _l("Une collecte réussit"),
    "pledge.collected": _l("Un paiement de promesse est reçu"),
    "member.joined": _l("Un membre rejoint un groupe"),
}


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField(
        _l("Nom du jeton"),
        validators=[DataRequired(REQUIRED), Length(max=80, message=_l("80 caractères au plus."))],
        description=_l("Pour le reconnaître : « tableur des inscriptions », « appli mobile »…"),
    )
    scopes = Checkboxes(
        _l("Ce que le jeton peut faire"),
        choices=[(s, SCOPE_LABELS[s]) for s in SCOPES],
        validators=[DataRequired(_l("Choisissez au moins une portée."))],
    )


class SubscriptionForm(FlaskForm):
    url = URLField(
        _l("Adresse qui reçoit les événements"),
        validators=[DataRequired(REQUIRED), Length(max=500, message=_l("500 caractères au plus."))],
        description=_l(
            "Une adresse https:// de votre outil, qui répond 2xx en moins de 5 secondes."
        ),
    )
    description = StringField(
        _l("Description (facultatif)"),
        validators=[Length(max=200, message=_l("200 caractères au plus."))],
    )
    events = Checkboxes(
        _l("Événements"),
        choices=[(e, EVENT_LABELS[e]) for e in EVENTS],
        validators=[DataRequired(_l("Choisissez au moins un événement."))],
    )
