"""Mentoring tests call services directly as well as through HTTP: services speak French
(gettext) and build links (url_for), so each test runs inside a request context."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def request_context(request):
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context("/"):
        yield
