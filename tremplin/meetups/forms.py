"""Forms of the meetups module: validation of what was typed, never persistence (the rules
themselves are in the services, which every form goes through)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from tremplin.meetups.models import MAX_GUESTS
from tremplin.platform.vocabulary import DEPARTEMENTS, THEMES

REQUIRED = _l("Ce champ est obligatoire.")
NUMBER = _l("Indiquez un nombre entier.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EurosField(Field):
    """An amount in euros as people type it ("1 200", "15,50", "15.5 €"), kept in cents."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        euros, cents = divmod(abs(self.data), 100)
        text = f"{euros},{cents:02d}" if cents else str(euros)
        return ("-" if self.data < 0 else "") + text

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = valuelist[0].strip().replace("€", "").replace("\u00a0", "").replace("\u202f", "")
        text = text.replace(" ", "").replace(",", ".")
        if not re.fullmatch(r"-?\d{1,12}(\.\d{1,2})?", text):
            raise ValueError(_l("Indiquez un montant en euros, par exemple 150 ou 12,50."))
        negative = text.startswith("-")
        whole, _dot, frac = text.lstrip("-").partition(".")
        cents = int(whole) * 100 + int((frac + "00")[:2])
        self.data = -cents if negative else cents


def theme_choices(blank=None):
    choices = [(code, str(label)) for code, label in THEMES]
    return ([("", blank)] if blank else []) + choices


def departement_choices(blank):
    return [("", blank)] + [(code, f"{name} ({code})") for code, name in DEPARTEMENTS]


STAGE_CHOICES = [
    ("idee", _l("Idée")),
    ("emergence", _l("Émergence")),
    ("developpement", _l("Développement")),
    ("essaimage", _l("Essaimage")),
]


class MeetupForm(FlaskForm):
    title = StringField(
        _l("Titre"),
        validators=[DataRequired(REQUIRED), Length(max=160)],
        description=_l("Par exemple « Café Projets : Jaccede.com »."),
    )
    description = TextAreaField(
        _l("Présentation"),
        validators=[Length(max=20000)],
        description=_l(
            "Markdown accepté : le projet présenté, à qui s’adresse la soirée, comment venir."
        ),
    )
    group_id = SelectField(_l("Organisée par"), coerce=int, default=0)
    starts_at = DateTimeLocalField(
        _l("Début (heure de Paris)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Indiquez la date et l’heure de début."))],
    )
    ends_at = DateTimeLocalField(
        _l("Fin (heure de Paris)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Indiquez la date et l’heure de fin."))],
    )
    venue_name = StringField(
        _l("Lieu"),
        validators=[Length(max=160)],
        description=_l("Par exemple « Mairie du 3e – Salle des Mariages »."),
    )
    address = StringField(
        _l("Adresse"), validators=[Length(max=300)], render_kw={"autocomplete": "street-address"}
    )
    online_url = StringField(
        _l("Lien de visioconférence"),
        validators=[Length(max=500)],
        description=_l("Si la rencontre se tient (aussi) en ligne."),
    )
    departement = SelectField(_l("Département"), choices=[])
    theme = SelectField(_l("Thématique"), choices=[])
    capacity = IntegerField(
        _l("Capacité (personnes)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=5000, message=_l("De 1 à 5 000 personnes.")),
        ],
        description=_l(
            "Invités compris. Laissez vide s’il n’y a pas de limite ; au-delà, "
            "les inscriptions vont en liste d’attente."
        ),
        render_kw={"inputmode": "numeric", "min": 1},
    )
    agenda = TextAreaField(
        _l("Ordre du jour"),
        validators=[Length(max=4000)],
        description=_l("Une partie par ligne, la durée d’abord : « 15 min – Mot de bienvenue »."),
    )
    projects = SelectMultipleField(
        _l("Projet(s) présenté(s)"), coerce=int, choices=[], validate_choice=False
    )
    table_minutes = IntegerField(
        _l("Durée des tables de propositions (minutes)"),
        default=20,
        validators=[Optional(), NumberRange(min=5, max=120, message=_l("De 5 à 120 minutes."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.departement.choices = departement_choices(str(_l("— Non précisé —")))
        self.theme.choices = theme_choices(str(_l("— Aucune en particulier —")))


class CancelMeetupForm(FlaskForm):
    reason = TextAreaField(
        _l("Message aux inscrits (facultatif)"), validators=[Length(max=500)], render_kw={"rows": 3}
    )


class SpeakerForm(FlaskForm):
    name = StringField(_l("Nom de l’intervenant·e"), validators=[Length(max=120)])
    organisation = StringField(
        _l("Organisation"),
        validators=[Length(max=160)],
        description=_l("Par exemple « Cité des métiers », « France Active », « Semaest »."),
    )
    offer = TextAreaField(
        _l("Ce qu’elle ou il présente"), validators=[Length(max=500)], render_kw={"rows": 2}
    )
    member_email = EmailField(
        _l("Adresse d’un membre (facultatif)"),
        validators=[
            Optional(),
            Email(message=_l("Adresse e-mail non valide."), check_deliverability=False),
        ],
        description=_l("Pour relier l’intervenant·e à son profil."),
    )


def guests_field(label=_l("Personnes qui m’accompagnent")):
    return IntegerField(
        label,
        default=0,
        validators=[
            Optional(),
            NumberRange(
                min=0, max=MAX_GUESTS, message=_l("De 0 à %(max)d personnes.", max=MAX_GUESTS)
            ),
        ],
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_GUESTS},
    )


class RSVPForm(FlaskForm):
    guests = guests_field()


class GuestsForm(FlaskForm):
    guests = guests_field()


class VisitorRegistrationForm(FlaskForm):
    name = StringField(
        _l("Votre nom"),
        validators=[DataRequired(REQUIRED), Length(min=2, max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Votre adresse e-mail"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=254),
            Email(message=_l("Cette adresse e-mail n’est pas valide."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
        description=_l(
            "Nous vous écrivons seulement au sujet de cette rencontre : le lien de "
            "confirmation, un rappel la veille, un éventuel changement."
        ),
    )
    guests = guests_field()
    # Left empty by people; robots fill every field.
    website = StringField(_l("Ne pas remplir"), render_kw={"autocomplete": "off", "tabindex": "-1"})


class WalkInForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[Length(max=120)], render_kw={"autocomplete": "off"})
    email = EmailField(
        _l("E-mail (facultatif)"),
        validators=[
            Optional(),
            Email(message=_l("Cette adresse e-mail n’est pas valide."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "off", "inputmode": "email"},
        description=_l("Pour lui envoyer son lien personnel (proposer un soutien)."),
    )
    guests = guests_field(_l("Accompagnants"))


class CheckInForm(FlaskForm):
    guests = IntegerField(
        _l("Accompagnants présents"), validators=[Optional(), NumberRange(min=0, max=MAX_GUESTS)]
    )


class SplitForm(FlaskForm):
    min_size = IntegerField(
        _l("Au moins"),
        default=6,
        validators=[DataRequired(NUMBER), NumberRange(min=2, max=20, message=_l("De 2 à 20."))],
        render_kw={"inputmode": "numeric", "min": 2, "max": 20},
    )
    max_size = IntegerField(
        _l("Au plus"),
        default=8,
        validators=[DataRequired(NUMBER), NumberRange(min=2, max=20, message=_l("De 2 à 20."))],
        render_kw={"inputmode": "numeric", "min": 2, "max": 20},
    )


class MoveForm(FlaskForm):
    table = SelectField(_l("Déplacer vers"), coerce=int, choices=[], validate_choice=False)


class TimerForm(FlaskForm):
    minutes = IntegerField(
        _l("Minutes"),
        default=20,
        validators=[Optional(), NumberRange(min=1, max=120, message=_l("De 1 à 120 minutes."))],
    )


class ProposalForm(FlaskForm):
    body = TextAreaField(
        _l("Proposition"),
        validators=[DataRequired(REQUIRED), Length(max=2000)],
        render_kw={"rows": 3},
        description=_l("Une idée, un contact, un partenaire possible, un lieu…"),
    )
    project = SelectField(_l("Pour le projet"), coerce=int, choices=[], validate_choice=False)


COMMITMENT_KIND_CHOICES = [
    ("money", _l("Argent (promesse)")),
    ("contacts", _l("Liste de contacts")),
    ("partnership", _l("Partenariat")),
    ("skills", _l("Compétences")),
    ("premises", _l("Local")),
    ("time", _l("Temps bénévole")),
    ("equipment", _l("Matériel")),
]


class CommitmentForm(FlaskForm):
    kind = RadioField(
        _l("Je propose"),
        choices=COMMITMENT_KIND_CHOICES,
        validators=[DataRequired(_l("Choisissez un type de soutien."))],
    )
    description = TextAreaField(
        _l("Précisez"),
        validators=[DataRequired(REQUIRED), Length(max=2000)],
        render_kw={"rows": 3},
        description=_l(
            "Par exemple « 10 contacts de gérants de "
            "supérettes à Paris 11e », « un atelier de 40 m² "
            "le samedi matin », « relire le business plan »."
        ),
    )
    quantity = IntegerField(
        _l("Combien"),
        validators=[Optional()],
        description=_l(
            "Heures pour des compétences ou du temps, m² pour un local, nombre de contacts."
        ),
        render_kw={"inputmode": "numeric"},
    )
    amount = EurosField(
        _l("Montant ou valeur estimée (€)"),
        description=_l(
            "Le montant promis pour un soutien en argent (une "
            "promesse, pas un paiement) ; sinon, si vous le "
            "souhaitez, la valeur de votre soutien."
        ),
    )
    meetup_id = SelectField(
        _l("Rencontre"), coerce=int, choices=[], validate_choice=False, default=0
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Un mot d’explication (facultatif)"), validators=[Length(max=500)], render_kw={"rows": 2}
    )


KIND_CHOICES = [
    ("appel_a_projets", _l("Appel à projets")),
    ("financement", _l("Financement")),
    ("local", _l("Local")),
    ("formation", _l("Formation")),
    ("emploi", _l("Emploi")),
    ("concours", _l("Concours")),
]


class OpportunityForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=160)])
    kind = SelectField(_l("Type"), choices=KIND_CHOICES)
    organisation = StringField(
        _l("Proposé par"),
        validators=[Length(max=160)],
        description=_l("L’organisme qui porte l’offre."),
    )
    url = StringField(
        _l("Lien"),
        validators=[
            Optional(),
            Length(max=500),
            URL(message=_l("Indiquez une adresse web complète (https://…).")),
        ],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)])
    themes = MultiCheckboxField(_l("Thèmes"), choices=[])
    stages = MultiCheckboxField(
        _l("Stades des projets concernés"),
        choices=STAGE_CHOICES,
        description=_l("Aucun coché : tous les stades."),
    )
    departement = SelectField(_l("Territoire"), choices=[])
    deadline = DateField(
        _l("Date limite"),
        validators=[Optional()],
        description=_l("Dernier jour pour candidater (laissez vide s’il n’y en a pas)."),
    )
    group_id = SelectField(_l("Publiée pour"), coerce=int, default=0, choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.themes.choices = theme_choices()
        self.departement.choices = departement_choices(str(_l("Toute la France")))


class SubscriptionForm(FlaskForm):
    themes = MultiCheckboxField(_l("Les thèmes que je suis"), choices=[])
    frequency = RadioField(
        _l("Résumé par e-mail"),
        choices=[("weekly", _l("Chaque semaine")), ("monthly", _l("Chaque mois"))],
        default="weekly",
    )
    digest = BooleanField(_l("Je veux recevoir le résumé par e-mail"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.themes.choices = theme_choices()


# --- minutes and survey ------------------------------------------------------------------

MINUTES_ACTION_ROWS = 5


class MinutesActionForm(Form):
    description = StringField(_l("Action"), validators=[Optional(), Length(max=300)])
    owner_id = SelectField(_l("Responsable"), coerce=int, default=0, choices=[])
    due_on = DateField(_l("Pour le"), validators=[Optional()])


class MinutesForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=160)])
    held_at = DateTimeLocalField(
        _l("Date de la réunion"), validators=[DataRequired(REQUIRED)], format="%Y-%m-%dT%H:%M"
    )
    attendees = TextAreaField(
        _l("Présents"),
        validators=[Length(max=5000)],
        description=_l("Un nom par ligne, repris du pointage à l’accueil : corrigez si besoin."),
        render_kw={"rows": 6},
    )
    body = TextAreaField(
        _l("Compte rendu"),
        validators=[Length(max=20000)],
        description=_l(
            "Markdown : **gras**, *italique*, listes avec « - », liens. Le HTML n’est pas "
            "interprété."
        ),
        render_kw={"rows": 10},
    )
    decisions = TextAreaField(
        _l("Décisions"),
        validators=[Length(max=10000)],
        description=_l("Une décision par ligne, en commençant par « - »."),
        render_kw={"rows": 4},
    )
    actions = FieldList(FormField(MinutesActionForm), min_entries=MINUTES_ACTION_ROWS)
    share_with_group = BooleanField(_l("Publier aussi pour tous les membres du groupe"))

    def set_owners(self, users) -> None:
        choices = [(0, _l("— personne —"))] + [(u.id, u.public_name) for u in users]
        for entry in self.actions:
            entry.form.owner_id.choices = choices


SCORE_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


class SurveyForm(FlaskForm):
    satisfaction = RadioField(
        "", choices=SCORE_CHOICES, validators=[DataRequired(_l("Choisissez une note de 1 à 5."))]
    )
    usefulness = RadioField("", choices=SCORE_CHOICES, validators=[Optional()])
    recommend = RadioField(
        "", choices=[("yes", _l("Oui")), ("no", _l("Non"))], validators=[Optional()]
    )
    extra = RadioField("", choices=SCORE_CHOICES, validators=[Optional()])
    comment = TextAreaField("", validators=[Length(max=2000)], render_kw={"rows": 4})

    def label_with(self, questions: dict) -> None:
        self.satisfaction.label.text = questions["satisfaction"]
        self.usefulness.label.text = questions["usefulness"]
        self.recommend.label.text = questions["recommend"]
        self.comment.label.text = questions["comment"]
        self.extra.label.text = questions.get("extra") or ""


class SurveyQuestionsForm(FlaskForm):
    satisfaction = StringField(_l("Satisfaction (note de 1 à 5)"), validators=[Length(max=200)])
    usefulness = StringField(_l("Utilité (note de 1 à 5)"), validators=[Length(max=200)])
    recommend = StringField(_l("Recommandation (oui / non)"), validators=[Length(max=200)])
    comment = StringField(_l("Texte libre"), validators=[Length(max=200)])
    extra = StringField(
        _l("Question en plus (note de 1 à 5)"),
        validators=[Length(max=200)],
        description=_l("Laissez vide pour ne pas en poser."),
    )
