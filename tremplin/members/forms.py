"""Forms of the members module: validation only, never persistence. Services check every
rule again; forms give the early, field-by-field answer in French."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from tremplin.members.labels import (
    AVAILABILITIES,
    MILESTONES,
    NEED_KINDS,
    ORGANISATION_KINDS,
    PROJECT_VISIBILITIES,
    ROLES,
    STAGES,
    UNITS,
    VISIBILITIES,
)
from tremplin.members.models import PROFILE_FIELDS
from tremplin.platform.forms import REQUIRED
from tremplin.platform.vocabulary import DEPARTEMENTS, LANGUAGES, THEMES

IMAGE_ACCEPT = "image/png,image/jpeg,image/webp,image/gif"
MARKDOWN_HINT = _l("Mise en forme Markdown possible : **gras**, *italique*, listes, liens.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # a clearer message than WTForms' own
        values = {str(v) for v, _label in self.choices}
        if any(str(d) not in values for d in self.data or []):
            raise ValidationError(_l("Choisissez parmi les valeurs proposées."))


def departement_choices():
    return [("", _l("— Choisir —"))] + [(code, f"{name} ({code})") for code, name in DEPARTEMENTS]


def _image_field(label, description):
    return FileField(label, description=description, render_kw={"accept": IMAGE_ACCEPT})


class LinkForm(Form):
    label = StringField(_l("Intitulé"), validators=[Optional(), Length(max=60)])
    url = URLField(
        _l("Adresse (https://…)"),
        validators=[
            Optional(),
            Length(max=500),
            Regexp(
                r"^https?://[^\s/$.?#].[^\s]*$",
                message=_l("Une adresse web complète, commençant par https://"),
            ),
        ],
    )


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Nom affiché"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=2, max=80, message=_l("Entre 2 et 80 caractères.")),
        ],
        description=_l("Toujours visible : c’est le nom qui signe vos projets et vos messages."),
    )
    avatar = _image_field(
        _l("Photo"), _l("PNG, JPEG, WebP ou GIF, 5 Mo au plus. Elle sera recadrée en carré.")
    )
    remove_avatar = BooleanField(_l("Retirer ma photo actuelle"))
    bio = TextAreaField(
        _l("Présentation"),
        validators=[Optional(), Length(max=5000)],
        description=MARKDOWN_HINT,
        render_kw={"rows": 7},
    )
    roles = MultiCheckboxField(_l("Je suis…"), choices=ROLES)
    commune = StringField(
        _l("Commune"),
        validators=[Optional(), Length(max=120)],
        render_kw={"autocomplete": "address-level2"},
    )
    departement = SelectField(
        _l("Département"), choices=departement_choices(), validators=[Optional()]
    )
    themes = MultiCheckboxField(_l("Thèmes qui m’intéressent"), choices=THEMES)
    skills = StringField(
        _l("Compétences"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Séparées par des virgules : comptabilité, couture, recherche de local…"),
    )
    languages = MultiCheckboxField(_l("Langues parlées"), choices=LANGUAGES)
    links = FieldList(FormField(LinkForm), label=_l("Liens"), min_entries=3, max_entries=5)
    phone = StringField(
        _l("Téléphone"),
        validators=[
            Optional(),
            Regexp(
                r"^\+?[0-9 .()-]{6,25}$", message=_l("Ce numéro de téléphone n’est pas valide.")
            ),
        ],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
        description=_l(
            "Partagé avec les personnes mises en relation avec vous, quel que soit "
            "le réglage ci-dessous."
        ),
    )


# One "visible par" choice per profile field: avatar_visibility, bio_visibility…
for _name, _default in PROFILE_FIELDS.items():
    setattr(
        ProfileForm,
        f"{_name}_visibility",
        SelectField(_l("Visible par"), choices=VISIBILITIES, default=_default),
    )


class ProjectForm(FlaskForm):
    title = StringField(
        _l("Nom du projet"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=3, max=120, message=_l("Entre 3 et 120 caractères.")),
        ],
    )
    pitch = TextAreaField(
        _l("Le projet en une phrase"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=10, max=280, message=_l("Entre 10 et 280 caractères.")),
        ],
        render_kw={"rows": 2, "maxlength": 280},
        description=_l("Ce qui apparaît sur la carte du projet (280 caractères au plus)."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=20000)],
        description=MARKDOWN_HINT,
        render_kw={"rows": 10},
    )
    theme = SelectField(
        _l("Thème"), choices=[("", _l("— Choisir —"))] + THEMES, validators=[Optional()]
    )
    stage = SelectField(_l("Étape"), choices=STAGES, default="idee")
    commune = StringField(_l("Commune"), validators=[Optional(), Length(max=120)])
    departement = SelectField(
        _l("Département"), choices=departement_choices(), validators=[Optional()]
    )
    visibility = RadioField(
        _l("Qui peut voir la page ?"), choices=PROJECT_VISIBILITIES, default="public"
    )
    logo = _image_field(_l("Logo"), _l("PNG, JPEG, WebP ou GIF, 5 Mo au plus."))
    remove_logo = BooleanField(_l("Retirer le logo actuel"))


class NeedForm(FlaskForm):
    kind = SelectField(_l("Type de besoin"), choices=NEED_KINDS)
    title = StringField(
        _l("Intitulé"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=3, max=140, message=_l("Entre 3 et 140 caractères.")),
        ],
        description=_l("Par exemple : « Un local de 100 m² dans le 11e »."),
    )
    description = TextAreaField(
        _l("Précisions"),
        validators=[Optional(), Length(max=5000)],
        description=MARKDOWN_HINT,
        render_kw={"rows": 5},
    )
    quantity = IntegerField(
        _l("Quantité (facultatif)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Un nombre entier positif."))],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    unit = SelectField(
        _l("Unité"), choices=[("", _l("— Unité —"))] + UNITS, validators=[Optional()]
    )

    def validate_unit(self, field):
        if self.quantity.data is not None and not field.data:
            raise ValidationError(_l("Précisez l’unité : euros, m² ou heures."))


class OfferForm(FlaskForm):
    message = TextAreaField(
        _l("Ce que vous proposez"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=10, max=2000, message=_l("Entre 10 et 2000 caractères.")),
        ],
        render_kw={"rows": 5},
        description=_l(
            "Si l’équipe accepte, vous verrez chacun les coordonnées de l’autre "
            "(adresse e-mail et téléphone)."
        ),
    )


class JournalForm(FlaskForm):
    title = StringField(_l("Titre (facultatif)"), validators=[Optional(), Length(max=140)])
    body = TextAreaField(
        _l("Quoi de neuf ?"),
        validators=[DataRequired(REQUIRED), Length(max=20000)],
        description=MARKDOWN_HINT,
        render_kw={"rows": 6},
    )
    image = _image_field(_l("Photo (facultatif)"), _l("PNG, JPEG, WebP ou GIF, 5 Mo au plus."))


class MilestoneForm(FlaskForm):
    kind = SelectField(_l("Jalon"), choices=MILESTONES)
    occurred_on = DateField(_l("Date"), validators=[InputRequired(REQUIRED)])
    note = StringField(
        _l("Précision (facultatif)"),
        validators=[Optional(), Length(max=280)],
        description=_l("Par exemple : « SCIC créée avec 12 sociétaires »."),
    )


class RejectMilestoneForm(FlaskForm):
    reason = TextAreaField(
        _l("Pourquoi ce jalon n’est-il pas confirmé ?"),
        validators=[DataRequired(REQUIRED), Length(min=10, max=500)],
        description=_l(
            "La personne qui l’a déclaré reçoit ce message : dites ce qui manque "
            "(un justificatif, une date…) pour qu’elle puisse le déclarer à nouveau."
        ),
        render_kw={"rows": 4},
    )


class InviteForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])
    project_id = SelectField(_l("Projet"), coerce=int, choices=[])
    title = StringField(
        _l("Rôle dans l’équipe (facultatif)"), validators=[Optional(), Length(max=80)]
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("Je comprends que cette suppression est définitive."),
        validators=[DataRequired(_l("Cochez cette case pour confirmer."))],
    )


class DirectoryFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Nom"), validators=[Optional(), Length(max=80)])
    role = SelectField(_l("Rôle"), choices=[("", _l("Tous"))] + ROLES, validators=[Optional()])
    theme = SelectField(_l("Thème"), choices=[("", _l("Tous"))] + THEMES, validators=[Optional()])
    skill = StringField(_l("Compétence"), validators=[Optional(), Length(max=40)])
    departement = SelectField(
        _l("Département"),
        choices=[("", _l("Tous"))] + departement_choices()[1:],
        validators=[Optional()],
    )
    language = SelectField(
        _l("Langue"), choices=[("", _l("Toutes"))] + LANGUAGES, validators=[Optional()]
    )


class ProjectFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Recherche"), validators=[Optional(), Length(max=80)])
    theme = SelectField(_l("Thème"), choices=[("", _l("Tous"))] + THEMES, validators=[Optional()])
    stage = SelectField(_l("Étape"), choices=[("", _l("Toutes"))] + STAGES, validators=[Optional()])
    need = SelectField(
        _l("Besoin ouvert"), choices=[("", _l("Tous"))] + NEED_KINDS, validators=[Optional()]
    )
    departement = SelectField(
        _l("Département"),
        choices=[("", _l("Tous"))] + departement_choices()[1:],
        validators=[Optional()],
    )


class HelpPreferenceForm(FlaskForm):
    """How (and whether) a member is suggested to project teams for their needs."""

    opted_out = BooleanField(
        _l("Ne pas me suggérer"),
        description=_l(
            "Les équipes projet ne vous verront plus dans « Qui peut aider ? » et ne pourront "
            "plus vous inviter ; vous ne verrez plus « Vous pourriez aider »."
        ),
    )
    availability = RadioField(
        _l("Disponibilité"),
        choices=AVAILABILITIES,
        default="available",
    )
    organisation_kind = SelectField(
        _l("J’agis aussi pour une organisation"),
        choices=[("", _l("Non, à titre personnel")), *ORGANISATION_KINDS],
        default="",
        description=_l(
            "Visible des membres connectés, et seulement pour expliquer une suggestion "
            "(par exemple un bailleur pour un besoin de local)."
        ),
    )
