"""Funding forms: validation only, never persistence. Money is typed in euros ("25",
"25,50", "1 000") and handed over as integer cents."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tremplin.funding.models import ALL_OR_NOTHING, KEEP_WHAT_YOU_RAISE, THRESHOLD
from tremplin.funding.receipts import ORGANISATION_KINDS
from tremplin.platform.idempotency import OnceField

REQUIRED = _l("Ce champ est obligatoire.")

RULE_LABELS = {
    ALL_OR_NOTHING: _l(
        "Tout ou rien : personne n'est débité si l'objectif n'est pas atteint à la date limite"
    ),
    THRESHOLD: _l("Premier palier : la collecte réussit dès qu'un premier palier est atteint"),
    KEEP_WHAT_YOU_RAISE: _l("On garde ce qui est collecté : chaque soutien est encaissé aussitôt"),
}
RULE_SHORT_LABELS = {
    ALL_OR_NOTHING: _l("Tout ou rien"),
    THRESHOLD: _l("Premier palier"),
    KEEP_WHAT_YOU_RAISE: _l("On garde ce qui est collecté"),
}

_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


def parse_euros(text: str | None) -> int | None:
    """ "1 234,50" -> 123450. Raises ValueError with a message for people."""
    raw = (text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    raw = raw.removesuffix("€").removesuffix("EUR").strip()
    if not raw:
        return None
    if raw.startswith("-"):
        raise ValueError(_l("Le montant doit être positif."))
    if not re.match(r"^[\d.,]+$", raw):
        raise ValueError(_l("Indiquez un montant en euros, par exemple 25 ou 25,50."))
    if re.search(r"[.,]\d{3,}$", raw) or not _AMOUNT.match(raw):
        raise ValueError(_l("Un montant a au plus deux chiffres après la virgule (des centimes)."))
    try:
        cents = Decimal(raw.replace(",", ".")) * 100
    except InvalidOperation:
        raise ValueError(_l("Indiquez un montant en euros, par exemple 25 ou 25,50.")) from None
    if cents != cents.to_integral_value() or cents > 10**12:
        raise ValueError(_l("Ce montant n'est pas valable."))
    return int(cents)


class MoneyField(StringField):
    """A euro amount typed by a person; `data` is integer cents (or None)."""

    def __init__(self, *args, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
        render_kw.update(kwargs.pop("render_kw", {}) or {})
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        try:
            self.data = parse_euros(valuelist[0] if valuelist else "")
        except ValueError as exc:
            self.data = None
            raise ValueError(str(exc.args[0])) from None

    def _value(self):
        if self.raw_data:  # show back what the person typed
            return self.raw_data[0]
        if self.data is None:
            return ""
        euros, cents = divmod(int(self.data), 100)
        return f"{euros},{cents:02d}" if cents else str(euros)


def _positive_amount(form, field):
    if field.data is None:
        return
    if field.data <= 0:
        raise ValidationError(_l("Le montant doit être positif."))


class CampaignForm(FlaskForm):
    title = StringField(
        _l("Titre de la collecte"), validators=[DataRequired(REQUIRED), Length(max=140)]
    )
    summary = StringField(
        _l("En une phrase"),
        validators=[DataRequired(REQUIRED), Length(max=280)],
        description=_l("Ce que l'argent va permettre, en une phrase."),
    )
    description = TextAreaField(
        _l("Présentation"),
        validators=[Optional(), Length(max=20000)],
        description=_l("Markdown accepté : le projet, l'usage des fonds, le calendrier."),
    )
    goal = MoneyField(_l("Objectif (€)"), validators=[InputRequired(REQUIRED), _positive_amount])
    rule = RadioField(
        _l("Règle"),
        choices=list(RULE_LABELS.items()),
        default=ALL_OR_NOTHING,
        validators=[DataRequired(REQUIRED)],
    )
    threshold = MoneyField(
        _l("Premier palier (€)"),
        validators=[Optional(), _positive_amount],
        description=_l(
            "Seulement pour la règle « premier palier » : le montant "
            "à partir duquel la collecte réussit."
        ),
    )
    deadline = DateField(
        _l("Date limite"),
        validators=[InputRequired(REQUIRED)],
        description=_l(
            "45 jours par défaut, 90 jours au plus après l'ouverture. "
            "La collecte se termine à 23 h 59 ce jour-là."
        ),
    )


class CampaignTextForm(FlaskForm):
    """Once open, only the words change (goal, rule and deadline are locked)."""

    title = CampaignForm.title
    summary = CampaignForm.summary
    description = CampaignForm.description


class RewardForm(FlaskForm):
    title = StringField(_l("Contrepartie"), validators=[DataRequired(REQUIRED), Length(max=140)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    min_amount = MoneyField(
        _l("À partir de (€)"), validators=[InputRequired(REQUIRED), _positive_amount]
    )
    quantity = IntegerField(
        _l("Nombre disponible"),
        validators=[Optional(), NumberRange(min=1, max=100000, message=_l("Entre 1 et 100 000."))],
        description=_l("Laissez vide si le nombre n'est pas limité."),
    )
    value = MoneyField(
        _l("Valeur de la contrepartie (€)"),
        validators=[InputRequired(REQUIRED)],
        description=_l(
            "Ce qu’elle vous coûte, TTC (0 pour un remerciement symbolique). Pour un reçu "
            "fiscal, une contrepartie de plus d’un quart du don (ou du plafond annuel) est "
            "déduite du montant du reçu."
        ),
    )


class PledgeForm(FlaskForm):
    amount = MoneyField(
        _l("Montant de votre promesse (€)"),
        validators=[InputRequired(_l("Indiquez un montant.")), _positive_amount],
        description=_l("1 € au minimum."),
    )
    reward_id = RadioField(
        _l("Contrepartie"),
        coerce=lambda v: int(v) if v not in (None, "", "0", 0) else None,
        validate_choice=False,
        default="",
    )
    message = TextAreaField(
        _l("Un mot pour l'équipe (facultatif)"), validators=[Optional(), Length(max=1000)]
    )
    hide_amount = BooleanField(_l("Ne pas afficher le montant de ma promesse"))
    hide_name = BooleanField(_l("Ne pas afficher mon nom (soutien anonyme)"))
    donor_name = StringField(
        _l("Nom et prénom pour le reçu fiscal"), validators=[Optional(), Length(max=140)]
    )
    donor_address = TextAreaField(
        _l("Adresse pour le reçu fiscal"), validators=[Optional(), Length(max=500)]
    )
    understood = BooleanField(
        _l(
            "J'ai compris : ma promesse est un engagement moral envers le projet, pas l'achat d'un "
            "titre financier."
        ),
        validators=[
            DataRequired(_l("Cochez cette case pour confirmer que vous avez lu la mention."))
        ],
    )


class TransferForm(FlaskForm):
    amount = MoneyField(
        _l("Montant reçu (€)"), validators=[InputRequired(REQUIRED), _positive_amount]
    )
    received_on = DateField(_l("Reçu le"), validators=[InputRequired(REQUIRED)])
    note = StringField(_l("Note (facultatif)"), validators=[Optional(), Length(max=255)])
    once = OnceField()


class RefundForm(FlaskForm):
    amount = MoneyField(
        _l("Montant à rembourser (€)"), validators=[InputRequired(REQUIRED), _positive_amount]
    )
    reason = StringField(_l("Motif"), validators=[Optional(), Length(max=255)])
    once = OnceField()


class DonorAddressForm(FlaskForm):
    name = StringField(_l("Nom et prénom"), validators=[Optional(), Length(max=140)])
    address = TextAreaField(
        _l("Adresse postale"),
        validators=[DataRequired(REQUIRED), Length(max=500)],
        description=_l(
            "Elle figure sur le reçu fiscal (Cerfa n° 11580) : rue, code postal, ville."
        ),
    )


class UpdateForm(FlaskForm):
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=140)])
    body = TextAreaField(
        _l("Message aux soutiens"),
        validators=[DataRequired(REQUIRED), Length(max=10000)],
        description=_l("Markdown accepté. Chaque soutien est prévenu."),
    )


class BankAccountForm(FlaskForm):
    """A RIB, where money is paid by transfer: a project's or an investor club's."""

    account_holder = StringField(
        _l("Titulaire du compte"), validators=[Optional(), Length(max=140)]
    )
    iban = StringField(
        _l("IBAN"),
        validators=[Optional(), Length(max=42)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    bic = StringField(
        _l("BIC"),
        validators=[Optional(), Length(max=11)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class SettingsForm(BankAccountForm):
    is_general_interest = BooleanField(
        _l(
            "L'organisme porteur est d'intérêt général et peut délivrer des reçus fiscaux (Cerfa 11580)"
        )
    )
    organisation_name = StringField(
        _l("Nom de l'organisme"), validators=[Optional(), Length(max=200)]
    )
    organisation_address = TextAreaField(
        _l("Adresse de l'organisme"), validators=[Optional(), Length(max=500)]
    )
    organisation_object = TextAreaField(
        _l("Objet de l'organisme"), validators=[Optional(), Length(max=1000)]
    )
    organisation_kind = SelectField(
        _l("Type d'organisme"),
        choices=[("", "—")] + list(ORGANISATION_KINDS.items()),
        validators=[Optional()],
    )
    siren = StringField(_l("SIREN ou RNA"), validators=[Optional(), Length(max=14)])
    signatory = StringField(
        _l("Signataire des reçus (nom et qualité)"), validators=[Optional(), Length(max=140)]
    )
    stripe_account_id = StringField(
        _l("Compte Stripe Connect (acct_…)"),
        validators=[Optional(), Length(max=64)],
        description=_l(
            "Facultatif : les paiements par carte iront directement "
            "sur ce compte, la plateforme ne détient jamais l'argent."
        ),
    )
