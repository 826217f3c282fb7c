"""The front door of a process (platform/admission.py): the client's address behind a
reverse proxy (TREMPLIN_PROXY_COUNT), and a bounded number of requests at work at once."""

from __future__ import annotations

import threading
import time

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from tests.kit.app import CSRFClient
from tremplin.platform.admission import Admission, Gate


def _login(client, email, forwarded_for):
    return client.post(
        "/connexion",
        data={"email": email, "password": "pas le bon"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the reverse proxy
    )


@pytest.fixture
def behind_a_proxy(app_config):
    app_config["PROXY_COUNT"] = 1
    app_config["RATELIMIT_LOGIN_IP"] = "2 per minute"


def test_behind_a_proxy_the_per_address_limit_counts_each_client(behind_a_proxy, app, db):
    app.test_client_class = CSRFClient
    client = app.test_client()
    first = [_login(client, f"a{i}@exemple.fr", "203.0.113.1").status_code for i in range(3)]
    other = [_login(client, f"b{i}@exemple.fr", "203.0.113.2").status_code for i in range(2)]
    assert first == [200, 200, 429]  # the first client's own ceiling
    assert other == [200, 200]  # another client behind the same proxy is not counted with it


def test_without_the_setting_a_forwarded_address_is_not_believed(app, db):
    app.config["RATELIMIT_LOGIN_IP"] = "2 per minute"
    assert app.config["PROXY_COUNT"] == 0
    app.test_client_class = CSRFClient
    client = app.test_client()
    codes = [_login(client, f"c{i}@exemple.fr", f"198.51.100.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]  # forged addresses: all counted as the proxy's


def _slow_app(active, peak, lock):
    def wsgi(environ, start_response):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return Response("ok")(environ, start_response)

    return wsgi


def test_at_most_the_configured_number_of_requests_run_at_once():
    active, peak, lock = [0], [0], threading.Lock()
    front = Admission(_slow_app(active, peak, lock), Gate(3, timeout=10))
    codes = []

    def call(path):
        codes.append(Client(front).get(path).status_code)

    threads = [threading.Thread(target=call, args=("/page",)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 12
    assert peak[0] == 3


def test_sockets_and_the_liveness_probe_skip_the_queue_and_a_long_wait_is_a_503():
    gate = Gate(1, timeout=0.2)
    front = Admission(lambda environ, start: Response("ok")(environ, start), gate)
    taken, done = threading.Event(), threading.Event()

    def hold():  # another request holds the only slot
        with gate.slot():
            taken.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(10)
    assert Client(front).get("/healthz").status_code == 200
    assert Client(front).get("/socket.io/?EIO=4&transport=polling").status_code == 200
    busy = Client(front).get("/groupes")
    done.set()
    holder.join()
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5"
    assert Client(front).get("/groupes").status_code == 200  # the slot is free again


def test_a_password_hash_gives_the_slot_back_and_waits_for_a_hashing_place():
    """While a request hashes a password (no GIL needed) its slot serves another request;
    the hashes themselves are bounded by their own places."""
    gate = Gate(1, timeout=10, hashing=1)
    hashing, other_served, release = threading.Event(), threading.Event(), threading.Event()
    peak, active, lock = [0], [0], threading.Lock()

    def login():
        with gate.slot(), gate.set_aside():
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            hashing.set()
            release.wait(10)
            with lock:
                active[0] -= 1

    first = threading.Thread(target=login)
    first.start()
    assert hashing.wait(10)

    def page():
        with gate.slot():
            other_served.set()

    threading.Thread(target=page).start()
    assert other_served.wait(5)  # served while the first request still hashes
    hashing.clear()
    second = threading.Thread(target=login)
    second.start()
    time.sleep(0.2)
    assert not hashing.is_set()  # the second hash waits for the only hashing place
    release.set()
    first.join(10)
    second.join(10)
    assert hashing.is_set() and peak[0] == 1
    with gate.slot():  # every slot and place was given back exactly once
        pass
    assert gate._slots._value == 1 and gate._hashing._value == 1


def test_a_login_hashes_its_password_outside_the_request_slots(app, db, make_member, monkeypatch):
    """authenticate() gives the request's slot back for the scrypt hash: another request
    gets in while the login is still hashing."""
    from tremplin.platform import accounts, admission

    member = make_member(email="nadia@exemple.fr", password="la marmite bout sous le tilleul")
    db.session.commit()
    gate = Gate(1, timeout=10, hashing=1)
    monkeypatch.setitem(admission._gates, id(app), gate)
    entered, done, outcome = threading.Event(), threading.Event(), []

    def login():
        with app.test_request_context("/connexion", method="POST"), gate.slot():
            entered.set()
            outcome.append(accounts.authenticate(member.email, "la marmite bout sous le tilleul"))
            done.set()

    thread = threading.Thread(target=login)
    thread.start()
    assert entered.wait(10)  # the login holds the only slot
    got_in_while_hashing = gate._slots.acquire(timeout=10) and not done.is_set()
    gate._slots.release()
    thread.join(10)
    assert outcome and outcome[0].id == member.id
    assert got_in_while_hashing


def test_the_busy_page_speaks_the_visitors_language(app):
    gate = Gate(1, timeout=0.1)
    front = Admission(lambda environ, start: Response("ok")(environ, start), gate, app)
    taken, done = threading.Event(), threading.Event()

    def hold():  # another request holds the only slot
        with gate.slot():
            taken.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(10)
    french = Client(front).get("/groupes")
    english = Client(front).get("/groupes", headers={"Accept-Language": "en-GB,en;q=0.9"})
    asked = Client(front).get("/groupes?lang=en")
    done.set()
    holder.join()
    assert french.status_code == english.status_code == 503
    assert french.headers["Retry-After"] == "5"
    assert "<h1>Site très sollicité</h1>" in french.text and 'lang="fr"' in french.text
    assert "<h1>Site very busy</h1>" in english.text and 'lang="en"' in english.text
    assert "try again in a few seconds" in asked.text
    assert "/static/css/app.css" in english.text
