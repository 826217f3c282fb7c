"""The search form, read from the query string (GET, no CSRF: it changes nothing).
Every field is lenient: an unknown value is dropped, never an error."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SearchField, SelectField, SelectMultipleField

SORT_CHOICES = [("pertinence", _l("Pertinence")), ("date", _l("Date (récent d’abord)"))]


class LenientSelectMultiple(SelectMultipleField):
    def pre_validate(self, form):  # unknown values are dropped by the search, not refused
        pass


class LenientSelect(SelectField):
    def pre_validate(self, form):
        pass


class LenientInteger(IntegerField):
    def process_formdata(self, valuelist):
        try:
            self.data = int(valuelist[0]) if valuelist else None
        except (TypeError, ValueError):
            self.data = None


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Rechercher"),
        render_kw={
            "maxlength": 200,
            "autocomplete": "off",
            "spellcheck": "true",
            "placeholder": _l("Un projet, un besoin, une compétence, un groupe…"),
        },
    )
    type = LenientSelectMultiple(_l("Type"), choices=[], validate_choice=False)
    theme = LenientSelect(_l("Thème"), choices=[], validate_choice=False)
    territoire = LenientSelect(_l("Territoire"), choices=[], validate_choice=False)
    stade = LenientSelect(_l("Étape du projet"), choices=[], validate_choice=False)
    periode = LenientSelect(_l("Date"), choices=[], validate_choice=False)
    tri = LenientSelect(
        _l("Trier par"), choices=SORT_CHOICES, default="pertinence", validate_choice=False
    )
    page = LenientInteger(default=1)
