"""Mentoring forms: validation of what was typed, never persistence (the services hold the
rules, so they hold for every caller)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from tremplin.mentoring.labels import FORMATS, PROGRESS_CHOICES, SKILLS
from tremplin.platform.vocabulary import DEPARTEMENTS, LANGUAGES, THEMES

REQUIRED = _l("Ce champ est obligatoire.")
DEPARTEMENT_CHOICES = [(code, f"{code} – {name}") for code, name in DEPARTEMENTS]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AtLeastOne:
    """Like DataRequired for a group of checkboxes, without putting `required` on each box
    (which would ask the browser to tick them all)."""

    field_flags: dict = {}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(str(self.message))


_DURATION = re.compile(
    r"^(?P<sign>-)?\s*(?:"
    r"(?P<h>\d+(?:[.,]\d+)?)\s*(?:h|heures?|hours?)\s*(?P<m>\d{1,2})?\s*(?:min|mn)?"
    r"|(?P<hh>\d+):(?P<mm>\d{1,2})"
    r"|(?P<mins>\d+)\s*(?:min|mn|minutes?)?"
    r")$",
    re.IGNORECASE,
)


def parse_duration(text: str | None) -> int | None:
    """ "1 h 30", "1h30", "1,5 h", "1:30", "90", "90 min" -> 90. A leading minus is kept
    (the service refuses it with a clear message). None when not understood."""
    value = " ".join((text or "").split()).replace("\u2212", "-")
    match = _DURATION.match(value)
    if not value or not match:
        return None
    sign = -1 if match["sign"] else 1
    if match["h"] is not None:
        hours = float(match["h"].replace(",", "."))
        minutes = round(hours * 60) + int(match["m"] or 0)
    elif match["hh"] is not None:
        minutes = int(match["hh"]) * 60 + int(match["mm"])
    else:
        minutes = int(match["mins"])
    return sign * minutes


class DurationField(Field):
    """A duration typed the way people say it; `.data` is minutes (int) or None."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        hours, minutes = divmod(abs(self.data), 60)
        return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = parse_duration(valuelist[0])
            if self.data is None:
                raise ValueError(_l("Durée non reconnue : écrivez par exemple 1 h 30 ou 90 min."))


class OfferForm(FlaskForm):
    skills = MultiCheckboxField(
        _l("Ce sur quoi je peux aider"),
        choices=SKILLS,
        validators=[AtLeastOne(_l("Choisissez au moins un domaine."))],
    )
    sectors = MultiCheckboxField(_l("Secteurs que je connais"), choices=THEMES)
    languages = MultiCheckboxField(
        _l("Langues dans lesquelles j’accompagne"),
        choices=LANGUAGES,
        validators=[AtLeastOne(_l("Choisissez au moins une langue."))],
    )
    format = RadioField(
        _l("Format des rencontres"),
        choices=FORMATS,
        default="both",
        validators=[InputRequired(REQUIRED)],
    )
    departements = SelectMultipleField(
        _l("Départements où je peux rencontrer mes binômes"),
        choices=DEPARTEMENT_CHOICES,
        description=_l(
            "Plusieurs choix possibles (Ctrl ou ⌘ + clic). Inutile si vous "
            "accompagnez seulement à distance."
        ),
        render_kw={"size": 6},
    )
    hours_per_month = IntegerField(
        _l("Heures que je peux donner par mois"),
        default=4,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(1, 200, message=_l("Entre 1 et 200 heures.")),
        ],
        render_kw={"min": 1, "max": 200, "inputmode": "numeric"},
    )
    max_mentees = IntegerField(
        _l("Nombre de binômes à la fois"),
        default=1,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(1, 20, message=_l("Entre 1 et 20 binômes.")),
        ],
        render_kw={"min": 1, "max": 20, "inputmode": "numeric"},
    )
    is_available = BooleanField(_l("Je suis disponible pour de nouveaux binômes"), default=True)
    presentation = TextAreaField(
        _l("Ce que je peux apporter"),
        validators=[Optional(), Length(max=3000, message=_l("3 000 caractères au maximum."))],
        description=_l("Votre parcours, votre façon d’accompagner. Markdown accepté."),
    )


class RequestForm(FlaskForm):
    project = SelectField(_l("Projet concerné"), coerce=str, validate_choice=False)
    project_needs = MultiCheckboxField(
        _l("Besoins du projet concernés"),
        coerce=int,
        validate_choice=False,
        description=_l(
            "Cochez ceux que ce binôme doit aider à couvrir : aucun n’est ajouté sans votre choix."
        ),
    )
    second_mentor = BooleanField(
        _l("Je confirme : ce projet a besoin d’un second parrain ou d’une seconde marraine")
    )
    needs = MultiCheckboxField(
        _l("Sur quoi avez-vous besoin d’être accompagné·e ?"),
        choices=SKILLS,
        validators=[AtLeastOne(_l("Choisissez au moins un besoin."))],
    )
    goals = TextAreaField(
        _l("Vos objectifs"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=4000, message=_l("4 000 caractères au maximum.")),
        ],
        description=_l(
            "Où en est votre projet, ce que vous aimeriez avoir accompli avec "
            "votre parrain ou marraine."
        ),
    )
    sector = SelectField(_l("Secteur"), choices=[("", _l("— Aucun en particulier —")), *THEMES])
    languages = MultiCheckboxField(
        _l("Langues dans lesquelles vous êtes à l’aise"),
        choices=LANGUAGES,
        validators=[AtLeastOne(_l("Choisissez au moins une langue."))],
    )
    departement = SelectField(
        _l("Votre département"), choices=[("", _l("— Non précisé —")), *DEPARTEMENT_CHOICES]
    )
    format = RadioField(
        _l("Rencontres"), choices=FORMATS, default="both", validators=[InputRequired(REQUIRED)]
    )


class SendRequestForm(FlaskForm):
    mentor_id = HiddenField(validators=[DataRequired()])
    message = TextAreaField(
        _l("Un mot pour cette personne (facultatif)"),
        validators=[Optional(), Length(max=2000, message=_l("2 000 caractères au maximum."))],
    )


class AnswerForm(FlaskForm):
    message = TextAreaField(
        _l("Votre message"),
        validators=[Optional(), Length(max=2000, message=_l("2 000 caractères au maximum."))],
    )


class ProposeForm(FlaskForm):
    mentor_id = HiddenField(validators=[DataRequired()])
    started_on = DateField(
        _l("Date de début"),
        validators=[Optional()],
        description=_l(
            "Laissez vide pour aujourd’hui. Une date passée officialise un tutorat qui existe déjà."
        ),
    )
    message = TextAreaField(
        _l("Un mot pour le binôme (facultatif)"),
        validators=[Optional(), Length(max=2000, message=_l("2 000 caractères au maximum."))],
    )


class SessionForm(FlaskForm):
    held_on = DateField(_l("Date de la séance"), validators=[InputRequired(REQUIRED)])
    duration = DurationField(
        _l("Durée"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Par exemple 1 h 30, 45 min ou 2 h."),
    )
    notes = TextAreaField(
        _l("Notes (visibles par le binôme seulement)"),
        validators=[Optional(), Length(max=10000, message=_l("10 000 caractères au maximum."))],
    )
    next_steps = TextAreaField(
        _l("Prochaines étapes"),
        validators=[Optional(), Length(max=10000, message=_l("10 000 caractères au maximum."))],
    )


class GoalForm(FlaskForm):
    title = TextAreaField(
        _l("Nouvel objectif"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=200, message=_l("200 caractères au maximum.")),
        ],
        render_kw={"rows": 2},
    )


class GoalProgressForm(FlaskForm):
    progress = SelectField(_l("Avancement"), coerce=int, choices=PROGRESS_CHOICES)


class FeedbackForm(FlaskForm):
    rating = RadioField(
        _l("Votre appréciation"),
        coerce=int,
        validators=[Optional()],
        choices=[
            (5, _l("5 – Excellent")),
            (4, _l("4 – Très bien")),
            (3, _l("3 – Bien")),
            (2, _l("2 – Mitigé")),
            (1, _l("1 – Décevant")),
        ],
    )
    comment = TextAreaField(
        _l("Ce que ce binôme vous a apporté"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=10000, message=_l("10 000 caractères au maximum.")),
        ],
    )


class SettingsForm(FlaskForm):
    default_length_weeks = IntegerField(
        _l("Durée d’un binôme par défaut (semaines)"),
        validators=[InputRequired(REQUIRED), NumberRange(4, 104, message=_l("Entre 4 et 104."))],
    )
    quiet_after_weeks = IntegerField(
        _l("Binôme « silencieux » après (semaines sans séance)"),
        validators=[InputRequired(REQUIRED), NumberRange(1, 26, message=_l("Entre 1 et 26."))],
    )
    request_expiry_days = IntegerField(
        _l("Délai de réponse à une demande (jours)"),
        validators=[InputRequired(REQUIRED), NumberRange(2, 60, message=_l("Entre 2 et 60."))],
    )
