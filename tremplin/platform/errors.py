"""Domain errors and the French error pages (no stack trace is ever shown)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from tremplin.platform.extensions import db


class DomainError(Exception):
    """A rule of the domain was broken. The message is for people (`default_message`, a
    lazy gettext string, unless one is given); `field` names the form field it belongs to."""

    default_message: Any = _l("Cette action n'est pas possible.")
    field: str | None = None

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(str(message) if message else str(self.default_message))
        if field is not None:
            self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotAllowed(DomainError):
    default_message = _l("Vous n'avez pas le droit de faire cela.")


class Outcome:
    ok = True
    error: DomainError | None = None


@contextmanager
def form_errors(form=None, field: str | None = None):
    """Run a service call for a form view: a DomainError rolls the session back and shows
    its message next to the field it names (or above the form). Usage::

        with form_errors(form) as outcome:
            services.do_something(...)
        if outcome.ok: return redirect(...)
    """
    outcome = Outcome()
    try:
        yield outcome
    except DomainError as exc:
        db.session.rollback()
        outcome.ok = False
        outcome.error = exc
        target_name = exc.field or field
        target = getattr(form, target_name, None) if (form is not None and target_name) else None
        if target is not None and hasattr(target, "errors"):
            errors = list(target.errors) if not isinstance(target.errors, list) else target.errors
            errors.append(exc.message)
            target.errors = errors
        elif form is not None:
            form.form_errors.append(exc.message)


ERRORS = {
    400: (
        _l("Requête incorrecte"),
        _l("La demande n'a pas pu être comprise. Vérifiez le formulaire et réessayez."),
    ),
    401: (_l("Connexion nécessaire"), _l("Connectez-vous pour accéder à cette page.")),
    403: (_l("Accès refusé"), _l("Vous n'avez pas l'autorisation d'accéder à cette page.")),
    404: (
        _l("Page introuvable"),
        _l("Cette page n'existe pas, ou plus. Vérifiez l'adresse ou revenez à l'accueil."),
    ),
    405: (_l("Méthode non autorisée"), _l("Cette action n'est pas possible de cette façon.")),
    413: (
        _l("Fichier trop volumineux"),
        _l("Le fichier ou le formulaire envoyé dépasse la taille autorisée."),
    ),
    429: (
        _l("Trop de tentatives"),
        _l(
            "Vous avez fait trop de demandes en peu de temps. Patientez quelques minutes avant de réessayer."
        ),
    ),
    500: (
        _l("Erreur interne"),
        _l(
            "Un problème inattendu est survenu de notre côté. Rien n'a été enregistré ; réessayez dans un instant."
        ),
    ),
}


# path prefix -> handler(exc) for errors raised before any blueprint is known (an unknown
# URL, a wrong method): the API answers them in its own format.
error_renderers: dict[str, Any] = {}


def register_error_renderer(prefix: str, handler) -> None:
    error_renderers[prefix] = handler


def _renderer_for_path():
    for prefix, handler in error_renderers.items():
        if request.path.startswith(prefix):
            return handler
    return None


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(code: int, detail: str | None = None):
    title, message = ERRORS.get(code, ERRORS[500])
    if _wants_json():
        return jsonify(error=str(title), message=str(detail or message)), code
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        db.session.rollback()
        return render_error(
            400,
            str(
                _l(
                    "Le formulaire a expiré ou n'a pas pu être vérifié (protection CSRF). "
                    "Rechargez la page et envoyez-le à nouveau."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        if exc.code is None or exc.code < 400:
            return exc
        renderer = _renderer_for_path()
        if renderer is not None:
            return renderer(exc)
        response = render_error(exc.code if exc.code in ERRORS else 400)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            resp, code = response
            if not hasattr(resp, "headers"):
                from flask import make_response

                resp = make_response(resp)
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
            return resp, code
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        db.session.rollback()
        if isinstance(exc, HTTPException):
            return http_error(exc)
        from tremplin.platform.observability import record_server_error

        record_server_error(exc)  # first: Sentry's report carries the member's id
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)

    @app.errorhandler(InternalServerError)
    def internal_error(exc):
        db.session.rollback()
        return render_error(500)
