"""French by default, English on request; times shown in Europe/Paris."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_login import current_user

from tremplin.platform.extensions import babel


def select_locale() -> str:
    languages = ("fr", "en")
    if not has_request_context():  # a job or a command: French unless told otherwise
        return "fr"
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    lang = session.get("lang")
    if lang in languages:
        return lang
    # A visitor's explicit ?lang= (no state change) is honoured for that page only.
    lang = request.args.get("lang") if request else None
    if lang in languages:
        return lang
    # No choice made: the browser's languages decide, French when it asks for neither.
    if request:
        return request.accept_languages.best_match(languages, default="fr")
    return "fr"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
