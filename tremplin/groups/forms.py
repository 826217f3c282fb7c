"""Groups forms: validation only, never persistence."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FileField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from tremplin.groups.chat import MAX_LENGTH
from tremplin.groups.moderation import REASON_LABELS
from tremplin.platform.vocabulary import THEMES

REQUIRED = _l("Ce champ est obligatoire.")


class GroupForm(FlaskForm):
    name = StringField(
        _l("Nom du groupe"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=3, max=120, message=_l("Entre 3 et 120 caractères.")),
        ],
    )
    theme = SelectField(_l("Thématique"), choices=THEMES, validators=[DataRequired(REQUIRED)])
    description = TextAreaField(
        _l("Description"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=5000, message=_l("5 000 caractères au maximum.")),
        ],
        description=_l("À qui s’adresse le groupe, ce qu’on y fait. Markdown accepté."),
    )
    visibility = RadioField(
        _l("Adhésion"),
        default="public",
        choices=[
            ("public", _l("Ouvert : chacun rejoint le groupe en acceptant la charte")),
            (
                "private",
                _l(
                    "Sur demande : les animateurs acceptent les demandes ; seuls les membres "
                    "lisent les salons"
                ),
            ),
        ],
    )
    log_audience = RadioField(
        _l("Journal de modération"),
        default="members",
        choices=[
            ("members", _l("Lisible par les membres du groupe")),
            ("network", _l("Lisible par tous les membres connectés du réseau")),
        ],
        description=_l(
            "Le journal nomme les personnes sanctionnées et les motifs : réservez-le aux "
            "membres du groupe, sauf raison de l’ouvrir."
        ),
    )


class NewGroupForm(GroupForm):
    charter = TextAreaField(
        _l("Charte du groupe"),
        validators=[Optional(), Length(max=10000, message=_l("10 000 caractères au maximum."))],
        description=_l(
            "Les règles que chaque membre accepte en rejoignant le groupe. Markdown accepté."
        ),
    )


class CharterForm(FlaskForm):
    body = TextAreaField(
        _l("Nouvelle version de la charte"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=10000, message=_l("10 000 caractères au maximum.")),
        ],
        description=_l("Chaque membre devra l’accepter à nouveau pour continuer à écrire."),
    )


class JoinForm(FlaskForm):
    accept_charter = BooleanField(_l("J’ai lu la charte du groupe et je l’accepte"))
    message = TextAreaField(
        _l("Quelques mots pour les animateurs (facultatif)"),
        validators=[Optional(), Length(max=1000, message=_l("1 000 caractères au maximum."))],
    )


class AcceptCharterForm(FlaskForm):
    accept_charter = BooleanField(
        _l("J’ai lu la charte du groupe et je l’accepte"),
        validators=[DataRequired(_l("Cochez la case pour accepter la charte."))],
    )


class ChannelForm(FlaskForm):
    name = StringField(
        _l("Nom du salon"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=60, message=_l("60 caractères au maximum.")),
        ],
        description=_l("Par exemple : financement, locaux, recrutement."),
    )
    topic = StringField(
        _l("Sujet"),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au maximum."))],
    )


class MessageForm(FlaskForm):
    # The length is checked by the service too (same message over the socket).
    body = TextAreaField(_l("Message"), render_kw={"maxlength": MAX_LENGTH, "rows": 3})
    # Read from request.files by the view; declared so a refusal shows next to its field.
    documents = MultipleFileField(_l("Joindre des documents"))
    voice = FileField(_l("Message vocal"))


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail du membre"),
        validators=[
            DataRequired(REQUIRED),
            Email(message=_l("Cette adresse e-mail n’est pas valide."), check_deliverability=False),
        ],
    )


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Rôle"),
        choices=[
            ("member", _l("Membre")),
            ("resource", _l("Personne ressource")),
            ("organiser", _l("Animateur ou animatrice")),
        ],
    )
    reason = StringField(
        _l("Motif (visible dans le journal)"), validators=[Optional(), Length(max=500)]
    )


class ReportForm(FlaskForm):
    reason = RadioField(
        _l("Pourquoi signalez-vous ce message ?"),
        choices=list(REASON_LABELS.items()),
        validators=[DataRequired(_l("Choisissez une raison."))],
    )
    details = TextAreaField(
        _l("Précisions (facultatif)"),
        validators=[Optional(), Length(max=2000, message=_l("2 000 caractères au maximum."))],
    )


class ReasonForm(FlaskForm):
    reason = StringField(
        _l("Motif (visible par tous les membres dans le journal)"),
        validators=[Optional(), Length(max=500)],
    )


class MuteForm(ReasonForm):
    minutes = SelectField(
        _l("Durée"),
        coerce=int,
        choices=[(60, _l("1 heure")), (24 * 60, _l("24 heures")), (7 * 24 * 60, _l("7 jours"))],
    )


class BanForm(ReasonForm):
    days = SelectField(
        _l("Durée"),
        coerce=int,
        choices=[(7, _l("7 jours")), (30, _l("30 jours")), (0, _l("Jusqu’à levée de l’exclusion"))],
    )


class ConversationForm(FlaskForm):
    participants = SelectMultipleField(
        _l("Avec"),
        coerce=int,
        validators=[DataRequired(_l("Choisissez au moins une personne."))],
        description=_l("Les membres des groupes que vous partagez."),
    )
    title = StringField(_l("Titre (facultatif)"), validators=[Optional(), Length(max=120)])
    body = TextAreaField(_l("Premier message"), render_kw={"maxlength": MAX_LENGTH, "rows": 4})
