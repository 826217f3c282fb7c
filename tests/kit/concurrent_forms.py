"""The same form sent several times at once, as a double tap or two tabs would: a real
browser-like session on the live server reads the page, takes the form (CSRF and one-time
tokens included), and N threads post it at the same moment over HTTP."""

from __future__ import annotations

import re
import threading
from html import unescape

import requests

from tests.kit.app import session_cookie_for


def browser(app, live_server, user) -> requests.Session:
    session = requests.Session()
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    session.cookies.set(name, session_cookie_for(app, user), domain="127.0.0.1")
    session.base = live_server.url
    return session


def read_form(session: requests.Session, page: str, action: str) -> dict[str, str]:
    """The hidden inputs of the form posting to `action` on `page` (both paths)."""
    html = session.get(session.base + page, timeout=30).text
    match = re.search(
        r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', html, re.S
    )
    assert match, f"no form posting to {action} on {page}"
    fields = {}
    for tag in re.findall(r"<input[^>]*>", match.group(1)):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def post_at_once(
    session: requests.Session, action: str, data: dict | list[dict], times: int | None = None
) -> list[int]:
    """Post `data` to `action` from `times` threads released together (or each form of a
    list from its own thread); the statuses."""
    forms = data if isinstance(data, list) else [data] * times
    barrier = threading.Barrier(len(forms))
    statuses: list[int] = []
    cookies = session.cookies.get_dict()

    def send(data):
        with requests.Session() as own:
            own.cookies.update(cookies)
            barrier.wait(timeout=30)
            response = own.post(session.base + action, data=data, allow_redirects=False, timeout=60)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(form,)) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses
