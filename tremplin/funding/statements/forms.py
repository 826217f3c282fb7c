"""Statement forms: validation only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from tremplin.platform.idempotency import OnceField

_COLUMN = [Optional(), Length(max=80)]


class UploadForm(FlaskForm):
    statement = FileField(
        _l("Relevé de compte"),
        description=_l(
            "Fichier OFX, CAMT.053 (XML) ou CSV téléchargé depuis l'espace en ligne de la "
            "banque. Importer deux fois le même relevé n'ajoute rien."
        ),
    )
    date_column = StringField(
        _l("Colonne de la date (CSV)"),
        validators=_COLUMN,
        description=_l("Son nom ou son numéro ; laissez vide pour « Date »."),
    )
    amount_column = StringField(
        _l("Colonne du montant (CSV)"),
        validators=_COLUMN,
        description=_l("Laissez vide pour « Montant »."),
    )
    credit_column = StringField(
        _l("Ou colonne des crédits (CSV)"),
        validators=_COLUMN,
        description=_l("Si la banque sépare débits et crédits ; vide pour « Crédit »."),
    )
    label_column = StringField(
        _l("Colonne du libellé ou de la référence (CSV)"),
        validators=_COLUMN,
        description=_l("Laissez vide pour « Libellé »."),
    )


class ConfirmForm(FlaskForm):
    target = HiddenField()
    once = OnceField()


class ManualForm(FlaskForm):
    target = SelectField(_l("Ce virement correspond à"), choices=[], validate_choice=False)
    once = OnceField()


class ConfirmAllForm(FlaskForm):
    pairs = HiddenField()
    once = OnceField()
