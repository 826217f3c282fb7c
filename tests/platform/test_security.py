"""Security headers, cookies, CSRF and the French error pages."""

from __future__ import annotations

import pytest
from flask import abort

from tremplin import create_app

PAGES = ["/", "/connexion", "/inscription", "/page-qui-n-existe-pas"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_answer(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_carry_no_inline_script(client):
    for path in PAGES:
        html = client.get(path).text
        assert "<script>" not in html and "onclick=" not in html and 'style="' not in html


def test_session_cookie_is_httponly_lax_and_secure_over_https(app_config):
    app_config.update(
        TREMPLIN_BASE_URL="https://tremplin.example",
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SECURE=True,
    )
    app = create_app(app_config)
    client = app.test_client()
    client.get("/connexion", base_url="https://tremplin.example")
    cookie = client.get_cookie("session", domain="tremplin.example")
    assert cookie is not None
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"
    response = client.get("/", base_url="https://tremplin.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_default_config_uses_secure_cookies_for_an_https_site(monkeypatch, tmp_path):
    from tremplin.platform.config import load_config

    monkeypatch.setenv("TREMPLIN_BASE_URL", "https://reseau.example")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = load_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secret_key_is_generated_once_into_instance(monkeypatch, tmp_path):
    from tremplin.platform.config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 40 and (tmp_path / "secret_key").exists()
    assert load_config(tmp_path)["SECRET_KEY"] == first


def test_form_without_csrf_token_is_rejected_with_a_clear_message(client, db):
    response = client.post(
        "/connexion", data={"email": "a@exemple.fr", "password": "x" * 12}, csrf=False
    )
    assert response.status_code == 400
    assert "protection CSRF" in response.text
    assert "Traceback" not in response.text


def test_forged_csrf_token_is_rejected(client, db, make_member):
    response = client.post(
        "/mot-de-passe-oublie", data={"email": "a@exemple.fr", "csrf_token": "forged"}
    )
    assert response.status_code == 400


@pytest.fixture
def failing_app(app):
    @app.route("/_test/forbidden")
    def forbidden():
        abort(403)

    @app.route("/_test/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    @app.route("/_test/upload", methods=["POST"])
    def upload():
        from flask import request

        return str(len(request.files))

    app.config["MAX_CONTENT_LENGTH"] = 1024
    return app


@pytest.mark.parametrize(
    "method,path,code,title",
    [
        ("get", "/_test/forbidden", 403, "Accès refusé"),
        ("get", "/introuvable", 404, "Page introuvable"),
        ("put", "/connexion", 405, "Méthode non autorisée"),
        ("get", "/_test/boom", 500, "Erreur interne"),
    ],
)
def test_error_pages_are_french_without_stack_trace(failing_app, client, method, path, code, title):
    failing_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = getattr(client, method)(path)
    assert response.status_code == code
    assert title in response.text
    assert '<html lang="fr">' in response.text
    assert "Traceback" not in response.text and "hunter2" not in response.text


def test_oversized_upload_gets_a_french_413(failing_app, client):
    import io

    response = client.post(
        "/_test/upload",
        data={"f": (io.BytesIO(b"x" * 5000), "gros.png")},
        content_type="multipart/form-data",
        csrf=False,
    )
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.text


def test_bad_request_page_is_french(client, db):
    response = client.get("/notifications?page=abc")
    assert response.status_code in (302, 400, 404)


def test_rate_limit_page_is_french(app, client, db):
    app.config["RATELIMIT_RESET"] = "1 per minute"
    client.post("/mot-de-passe-oublie", data={"email": "a@exemple.fr"})
    response = client.post("/mot-de-passe-oublie", data={"email": "a@exemple.fr"})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.text and "Patientez" in response.text


def test_json_clients_get_json_errors(client):
    response = client.get("/introuvable", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Page introuvable"


def test_form_fields_carry_aria_attributes_only_when_they_have_a_value(client, db):
    clean = client.get("/connexion").text
    assert 'aria-invalid="None"' not in clean and 'aria-describedby="None"' not in clean
    assert "aria-invalid" not in clean
    failed = client.post("/inscription", data={"email": "pas-une-adresse"}).text
    assert 'aria-invalid="true"' in failed and 'aria-describedby="email-error"' in failed


def test_a_radio_field_is_a_fieldset_named_by_its_legend(app):
    """The form macro renders a group of radio buttons as a fieldset whose legend names it,
    each option with its own label, and the error tied to the group."""
    from flask import render_template_string
    from flask_wtf import FlaskForm
    from wtforms import RadioField

    class Form(FlaskForm):
        rule = RadioField("Règle", choices=[("a", "Tout ou rien"), ("b", "Palier")])

    with app.test_request_context(method="POST", data={"rule": "z"}):
        form = Form(meta={"csrf": False})
        form.validate()
        html = render_template_string(
            '{% from "layout/macros.html" import field %}{{ field(form.rule) }}', form=form
        )
    assert html.strip().startswith('<fieldset class="field radio-group field--error')
    assert '<legend class="field__label">Règle' in html
    assert html.count('<label class="radio-group__item">') == 2 and "<ul" not in html
    assert 'aria-describedby="rule-error"' in html and 'id="rule-error"' in html
