"""Club forms: validation only, never persistence. Money is typed in euros ("20",
"7,50", "1 000") and handed over as integer cents; percentages as "12,5"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tremplin.funding.clubs import labels
from tremplin.funding.clubs.models import OFFICES
from tremplin.funding.forms import BankAccountForm
from tremplin.platform.idempotency import OnceField, new_token
from tremplin.platform.vocabulary import DEPARTEMENTS, THEMES

REQUIRED = _l("Ce champ est obligatoire.")
_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


def parse_euros(text: str | None) -> int | None:
    """ "1 234,50" -> 123450 (None when empty). Raises ValueError with a message for people."""
    raw = (text or "").strip()
    for space in ("\u00a0", "\u202f", " "):
        raw = raw.replace(space, "")
    raw = raw.removesuffix("€").removesuffix("EUR").strip()
    if not raw:
        return None
    if raw.startswith("-"):
        raise ValueError(_l("Le montant doit être positif."))
    if not _AMOUNT.match(raw):
        raise ValueError(_l("Indiquez un montant en euros, par exemple 20 ou 7,50."))
    try:
        cents = Decimal(raw.replace(",", ".")) * 100
    except InvalidOperation:
        raise ValueError(_l("Indiquez un montant en euros, par exemple 20 ou 7,50.")) from None
    if cents > 10**11:
        raise ValueError(_l("Ce montant n’est pas valable."))
    return int(cents)


def parse_percent(text: str | None) -> int | None:
    """ "12,5" -> 1250 basis points (None when empty)."""
    raw = (text or "").strip().removesuffix("%").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_l("Indiquez un pourcentage, par exemple 12,5.")) from None
    if value < 0 or value > 100 or (value * 100) != (value * 100).to_integral_value():
        raise ValueError(_l("Un pourcentage entre 0 et 100, à deux décimales au plus."))
    return int(value * 100)


class EuroField(StringField):
    """A euro amount typed by a person; `.cents` holds the parsed value."""

    cents: int | None = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        try:
            self.cents = parse_euros(self.data)
        except ValueError as exc:
            self.cents = None
            raise ValueError(str(exc)) from None

    def pre_validate(self, form):
        if self.flags.required and self.cents is None and not self.errors:
            raise ValueError(str(REQUIRED))


def euro_field(label, required: bool = True, description=None, **kwargs) -> EuroField:
    render = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
    return EuroField(
        label,
        validators=[InputRequired(REQUIRED)] if required else [Optional()],
        description=description,
        render_kw=render,
        **kwargs,
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(mapping) -> list[tuple[str, str]]:
    return [(code, label) for code, label in mapping.items()]


class ClubForm(FlaskForm):
    """Founding a club, or editing its card and rules (règlement intérieur)."""

    name = StringField(
        _l("Nom du club"),
        validators=[DataRequired(REQUIRED), Length(max=120)],
        description=_l("Par exemple « Cigales de la Roquette »."),
    )
    territory = StringField(
        _l("Territoire"),
        validators=[DataRequired(REQUIRED), Length(max=120)],
        description=_l("La commune ou le quartier où le club investit."),
    )
    departement = SelectField(_l("Département"), choices=[], validators=[Optional()])
    theme = SelectField(_l("Thème de prédilection"), choices=[], validators=[Optional()])
    description = TextAreaField(
        _l("Présentation"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Quelques lignes sur le club et les projets qu’il "
            "aime soutenir (visibles sur la carte publique si "
            "vous la publiez)."
        ),
    )
    charter = TextAreaField(
        _l("Charte du club"),
        validators=[Optional(), Length(max=20_000)],
        description=_l("Les valeurs et les critères d’investissement du club (Markdown)."),
    )
    is_public = BooleanField(
        _l("Publier la carte du club dans l’annuaire des clubs"),
        description=_l(
            "Nom, territoire, présentation et chiffres clés "
            "deviennent visibles de tous ; les comptes, les votes "
            "et les membres restent privés."
        ),
    )
    # règlement intérieur
    quorum_percent = IntegerField(
        _l("Quorum (en % des membres)"),
        default=50,
        validators=[InputRequired(REQUIRED), NumberRange(0, 100)],
    )
    majority = SelectField(
        _l("Majorité requise"),
        choices=_choices(labels.MAJORITIES),
        default="simple",
        validators=[DataRequired(REQUIRED)],
    )
    abstention_counts = BooleanField(
        _l("Compter les abstentions comme suffrages exprimés"),
        description=_l("Une abstention pèse alors comme un vote contre."),
    )
    voting_days = IntegerField(
        _l("Durée d’un vote (jours)"),
        default=7,
        validators=[InputRequired(REQUIRED), NumberRange(1, 60)],
    )
    is_secret_ballot = BooleanField(
        _l("Vote à bulletin secret"),
        default=True,
        description=_l("Sinon, le procès-verbal indique le vote de chacun."),
    )
    min_saving = euro_field(_l("Épargne mensuelle minimale"), default="7,50")
    max_saving = euro_field(_l("Épargne mensuelle maximale"), default="450")
    yearly_cap = euro_field(_l("Plafond annuel par membre"), default="5 500")
    payment_day = IntegerField(
        _l("Jour du versement mensuel"),
        default=5,
        validators=[InputRequired(REQUIRED), NumberRange(1, 28)],
    )
    stripe_account_id = StringField(
        _l("Compte Stripe Connect du club (acct_…)"),
        validators=[Optional(), Length(max=64)],
        description=_l(
            "Recommandé si les membres épargnent par carte : les versements "
            "arrivent alors directement sur le compte du club, sans passer par "
            "celui de la plateforme."
        ),
    )
    natural_person = BooleanField(
        _l("Je rejoins ce club en mon nom propre, comme personne physique")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.departement.choices = [("", _l("—"))] + [(c, f"{c} · {n}") for c, n in DEPARTEMENTS]
        self.theme.choices = [("", _l("—"))] + [(c, label) for c, label in THEMES]

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "territory": self.territory.data,
            "departement": self.departement.data or None,
            "theme": self.theme.data or None,
            "description": self.description.data,
            "charter": self.charter.data,
            "is_public": bool(self.is_public.data),
            "quorum_percent": self.quorum_percent.data,
            "majority": self.majority.data,
            "abstention_counts": bool(self.abstention_counts.data),
            "voting_days": self.voting_days.data,
            "is_secret_ballot": bool(self.is_secret_ballot.data),
            "min_saving_cents": self.min_saving.cents,
            "max_saving_cents": self.max_saving.cents,
            "yearly_cap_cents": self.yearly_cap.cents,
            "payment_day": self.payment_day.data,
            "stripe_account_id": self.stripe_account_id.data,
        }


class InviteForm(FlaskForm):
    email = StringField(
        _l("Adresse e-mail du membre à inviter"),
        validators=[
            DataRequired(REQUIRED),
            Email(message=_l("Cette adresse e-mail n’est pas valide."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )
    message = TextAreaField(
        _l("Un mot d’accueil (facultatif)"), validators=[Optional(), Length(max=1000)]
    )


class JoinForm(FlaskForm):
    message = TextAreaField(
        _l("Présentez-vous en quelques mots"), validators=[Optional(), Length(max=2000)]
    )
    natural_person = BooleanField(
        _l("Je rejoins ce club en mon nom propre, comme personne physique")
    )


class AcceptInvitationForm(FlaskForm):
    natural_person = BooleanField(
        _l("Je rejoins ce club en mon nom propre, comme personne physique")
    )


class PlanForm(FlaskForm):
    monthly = euro_field(_l("Mon épargne mensuelle"))


class PaymentForm(FlaskForm):
    membership_id = SelectField(
        _l("Membre"), coerce=int, choices=[], validators=[DataRequired(REQUIRED)]
    )
    amount = euro_field(_l("Montant reçu"))
    for_month = StringField(
        _l("Mois concerné"),
        validators=[DataRequired(REQUIRED)],
        render_kw={"type": "month"},
        description=_l("Le mois d’épargne que ce virement règle."),
    )
    received_on = DateField(_l("Reçu le"), validators=[Optional()])
    reference = StringField(
        _l("Référence du virement (facultatif)"), validators=[Optional(), Length(max=120)]
    )
    once = OnceField()


class CancelPaymentForm(FlaskForm):
    reason = StringField(
        _l("Motif de l’annulation"), validators=[DataRequired(REQUIRED), Length(max=255)]
    )


class ExpenseForm(FlaskForm):
    token = HiddenField(default=new_token)
    label = StringField(
        _l("Nature des frais"),
        validators=[DataRequired(REQUIRED), Length(max=160)],
        description=_l("Par exemple : frais de tenue de compte, assurance."),
    )
    amount = euro_field(_l("Montant payé"))
    paid_on = DateField(_l("Payé le"), validators=[Optional()])


class ApplicationForm(FlaskForm):
    project_id = SelectField(
        _l("Projet présenté"), coerce=int, choices=[], validators=[DataRequired(REQUIRED)]
    )
    amount = euro_field(_l("Montant demandé"))
    instrument = RadioField(
        _l("Forme d’investissement souhaitée"),
        choices=_choices(labels.INSTRUMENTS),
        default="parts_sociales",
        validators=[DataRequired(REQUIRED)],
    )
    plan = TextAreaField(
        _l("Votre plan"),
        validators=[DataRequired(REQUIRED), Length(max=20_000)],
        description=_l(
            "À quoi servira l’argent, où en est le projet, comment il "
            "remboursera ou rémunérera le club (Markdown)."
        ),
    )
    documents = MultipleFileField(
        _l("Documents (facultatif)"),
        description=_l(
            "Prévisionnel, statuts, comptes… PDF ou image, 5 fichiers de 10 Mo au plus."
        ),
    )


class VoteForm(FlaskForm):
    kind = RadioField(
        _l("Objet du vote"),
        choices=_choices(labels.VOTE_KINDS),
        default="application",
        validators=[DataRequired(REQUIRED)],
    )
    application_id = SelectField(_l("Candidature"), coerce=int, choices=[], validators=[Optional()])
    role = SelectField(
        _l("Rôle"), choices=[(r, labels.ROLES[r]) for r in OFFICES], validators=[Optional()]
    )
    candidate_id = SelectField(
        _l("Membre désigné"), coerce=int, choices=[], validators=[Optional()]
    )
    title = StringField(
        _l("Décision soumise au vote"),
        validators=[Optional(), Length(max=200)],
        description=_l("Facultatif pour une candidature ou un rôle : un intitulé est proposé."),
    )
    motion = TextAreaField(_l("Exposé (facultatif)"), validators=[Optional(), Length(max=5000)])


class BallotForm(FlaskForm):
    choice = RadioField(
        _l("Mon vote"),
        choices=_choices(labels.CHOICES),
        validators=[DataRequired(_l("Choisissez pour, contre ou abstention."))],
    )


class InvestmentForm(FlaskForm):
    application_id = SelectField(
        _l("Candidature acceptée"), coerce=int, choices=[], validators=[DataRequired(REQUIRED)]
    )
    amount = euro_field(_l("Montant investi"))
    instrument = RadioField(
        _l("Instrument"), choices=_choices(labels.INSTRUMENTS), validators=[DataRequired(REQUIRED)]
    )
    legal_form = SelectField(
        _l("Forme juridique de l’entreprise"),
        choices=_choices(labels.LEGAL_FORMS),
        validators=[DataRequired(REQUIRED)],
    )
    stake = StringField(
        _l("Part du capital détenue par le club (%)"),
        validators=[Optional()],
        render_kw={"inputmode": "decimal"},
        description=_l(
            "Pour des parts sociales : au-delà de 25 % (33 % pour une "
            "SA, sans seuil pour une coopérative), un avertissement "
            "vous est présenté."
        ),
    )
    confirm_stake = BooleanField(_l("Je confirme cette participation au-delà du seuil de prudence"))
    co_investors = StringField(
        _l("Co-investisseurs (facultatif)"),
        validators=[Optional(), Length(max=255)],
        description=_l("Autres financeurs du tour : France Active, un autre club, une banque…"),
    )
    companions = MultiCheckboxField(
        _l("Accompagnateurs (un ou deux membres)"), coerce=int, choices=[]
    )
    invested_on = DateField(_l("Date de l’investissement"), validators=[Optional()])
    convention = FileField(_l("Convention signée (facultatif, PDF)"))

    stake_basis_points: int | None = None

    def validate_stake(self, field):
        try:
            self.stake_basis_points = parse_percent(field.data)
        except ValueError as exc:
            raise ValueError(str(exc)) from None


class ConventionForm(FlaskForm):
    convention = FileField(_l("Convention signée (PDF)"))


class EventForm(FlaskForm):
    token = HiddenField(default=new_token)
    kind = SelectField(
        _l("Ce qui s’est passé"),
        choices=_choices(labels.EVENT_KINDS),
        validators=[DataRequired(REQUIRED)],
    )
    amount = euro_field(
        _l("Montant reçu"), required=False, description=_l("0 pour un passage en perte.")
    )
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    note = StringField(_l("Note (facultatif)"), validators=[Optional(), Length(max=255)])


class ConfirmForm(FlaskForm):
    """A one-button action that the person confirms with a checkbox."""

    confirm = BooleanField(
        _l("Je confirme"), validators=[DataRequired(_l("Cochez la case pour confirmer."))]
    )


class ClubBankForm(BankAccountForm):
    """The club's RIB, where members pay their savings by transfer."""
