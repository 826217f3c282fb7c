"""Account forms: validation only, never persistence."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from tremplin.platform.accounts import PASSWORD_MAX, password_problems

REQUIRED = _l("Ce champ est obligatoire.")


class NewPassword:
    """The password policy, applied to a new password field: it refuses a password made of
    the other fields named here or of the e-mail and name of the form's `user`."""

    def __init__(self, *other_fields: str):
        self.other_fields = other_fields

    def __call__(self, form, field):
        inputs = [getattr(form, name).data for name in self.other_fields if hasattr(form, name)]
        user = getattr(form, "user", None)
        if user is not None:
            inputs += [user.email, user.display_name]
        problems = password_problems(field.data or "", inputs)
        if problems:
            raise ValidationError(problems[0])


def email_field(label=_l("Adresse e-mail")):
    return EmailField(
        label,
        validators=[
            DataRequired(REQUIRED),
            Length(max=254, message=_l("Adresse trop longue.")),
            Email(message=_l("Cette adresse e-mail n'est pas valide."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("Nom affiché"),
        validators=[
            DataRequired(REQUIRED),
            Length(min=2, max=80, message=_l("Entre 2 et 80 caractères.")),
        ],
        render_kw={"autocomplete": "name"},
        description=_l("Votre prénom et nom, ou le nom sous lequel le réseau vous connaît."),
    )
    email = email_field()
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(REQUIRED), NewPassword("email", "display_name")],
        render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX},
        description=_l(
            "Au moins 12 caractères. Une phrase de quelques mots fait un excellent mot de passe."
        ),
    )
    accept_charter = BooleanField(
        _l(
            "J’accepte les conditions d’utilisation et la charte du réseau, et j’ai lu "
            "la politique de confidentialité"
        ),
        validators=[DataRequired(_l("Vous devez accepter la charte pour vous inscrire."))],
    )


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté sur cet appareil"))
    next = HiddenField()


class EmailOnlyForm(FlaskForm):
    email = email_field()


class MemberPasswordForm(FlaskForm):
    """A form that sets the password of a known member (`user`), whose e-mail and name the
    password policy refuses as it does at registration."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


class ResetPasswordForm(MemberPasswordForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(REQUIRED), NewPassword()],
        render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX},
    )


class ChangePasswordForm(MemberPasswordForm):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(REQUIRED), NewPassword()],
        render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX},
        description=_l("Vos autres sessions seront déconnectées."),
    )


class ChangeEmailForm(FlaskForm):
    email = email_field(_l("Nouvelle adresse e-mail"))
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Langue"), choices=[("fr", "Français"), ("en", "English")])
    next = HiddenField()


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for one-button actions."""


class ConsentForm(FlaskForm):
    """Per-kind e-mail consent; its boolean fields are added per request (see `consent_form`)."""


def consent_form(kinds: dict, current: set[str], formdata=None) -> ConsentForm:
    class _Form(ConsentForm):
        pass

    for kind, label in kinds.items():
        setattr(_Form, f"kind_{kind}", BooleanField(label, default=kind in current))
    return _Form(formdata=formdata) if formdata is not None else _Form()
