"""Notifications: the bell and its page, per-kind e-mail consent, the outbox delivery."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select

from tremplin.platform import notifications
from tremplin.platform.hooks import register_email_kind, registry
from tremplin.platform.models import Notification, OutboxEmail


def test_bell_shows_unread_count_and_page_marks_read(app, client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    with app.test_request_context():
        notifications.notify(awa, "test", "Karim a proposé son aide", "/compte")
        notifications.notify(awa, "test", "Nouvelle rencontre jeudi")
    db.session.commit()
    home = client.get("/")
    assert 'id="notification-count" aria-live="polite">2' in home.text
    page = client.get("/notifications")
    assert "Karim a proposé son aide" in page.text and "Nouvelle rencontre jeudi" in page.text
    assert client.get("/api/notifications/count").get_json() == {"unread": 2}

    note = db.session.scalar(select(Notification).where(Notification.url == "/compte"))
    response = client.get(f"/notifications/{note.id}")
    assert response.headers["Location"] == "/compte"
    assert client.get("/api/notifications/count").get_json() == {"unread": 1}
    client.post("/notifications/lues")
    assert client.get("/api/notifications/count").get_json() == {"unread": 0}


def test_a_member_cannot_open_someone_elses_notification(app, client, auth, db, make_member):
    awa, karim = make_member("Awa"), make_member("Karim")
    with app.test_request_context():
        note = notifications.notify(awa, "test", "Privé")
    db.session.commit()
    auth.login_as(karim)
    assert client.get(f"/notifications/{note.id}").status_code == 404


def test_emails_only_for_kinds_the_member_opted_into(app, client, auth, db, make_member, outbox):
    register_email_kind("test-digest", "Résumé de test")
    try:
        awa = auth.login_as(make_member("Awa", email="awa@exemple.fr"))
        with app.test_request_context():
            notifications.notify(awa, "test-digest", "Sans consentement")
        db.session.commit()
        assert outbox.to("awa@exemple.fr") == []

        settings = client.get("/compte")
        assert "Résumé de test" in settings.text
        client.post("/compte/consentements", data={"kind_test-digest": "y"})
        with app.test_request_context():
            notifications.notify(awa, "test-digest", "Avec consentement", "/notifications")
        db.session.commit()
        mails = outbox.to("awa@exemple.fr")
        assert len(mails) == 1 and "Avec consentement" in mails[0].body_text
        assert "http://localhost/notifications" in mails[0].body_text

        client.post("/compte/consentements", data={})
        with app.test_request_context():
            notifications.notify(awa, "test-digest", "Consentement retiré")
        db.session.commit()
        assert len(outbox.to("awa@exemple.fr")) == 1
    finally:
        registry.email_kinds.pop("test-digest", None)


def test_a_kind_registered_with_a_template_is_mailed_with_it(app, db, make_member, outbox):
    """The one `notify` picks the kind's own e-mail template when the caller names none."""
    register_email_kind("test-vote", "Votes de test", template="email/clubs_vote.txt")
    try:
        awa = make_member("Awa", email="awa@exemple.fr")
        notifications.set_consents(awa, ["test-vote"])
        with app.test_request_context():
            notifications.notify(awa, "test-vote", "Un vote est ouvert")
            notifications.notify(awa, "test-vote", "Un autre", template="email/notification.txt")
        db.session.commit()
        first, second = outbox.to("awa@exemple.fr")
        assert "Un membre, une voix" in first.body_text
        assert "Un membre, une voix" not in second.body_text
    finally:
        registry.email_kinds.pop("test-vote", None)
        registry.email_templates.pop("test-vote", None)


def test_notify_send_writes_the_outbox_to_files_and_never_twice(app, db, make_member):
    awa = make_member("Awa", email="awa@exemple.fr")
    with app.test_request_context():
        for i in range(5):
            notifications.queue_email(
                awa,
                f"Sujet {i}",
                "email/notification.txt",
                kind="account",
                text=f"Bonjour {i}",
                url=None,
            )
    db.session.commit()
    runner = app.test_cli_runner()
    results = []

    def run():
        with app.app_context():
            results.append(runner.invoke(args=["notify", "send"]).output)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert len(files) == 5  # two concurrent runs, each mail delivered once
    assert "Sujet 0" in files[0].read_text()
    db.session.expire_all()
    assert all(m.sent_at is not None for m in db.session.scalars(select(OutboxEmail)))
    assert "0 e-mail(s) envoyé(s)" in runner.invoke(args=["notify", "send"]).output


def test_failed_delivery_is_recorded_and_retried(app, db, make_member):
    """The runner delivers right after the commit (synchronously in tests); a failure is
    recorded on the mail and the next run (the minute sweep, or the command) sends it."""
    awa = make_member("Awa", email="awa@exemple.fr")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)  # nothing listens
    with app.test_request_context():
        notifications.queue_email(
            awa, "Sujet", "email/notification.txt", kind="account", text="x", url=None
        )
    db.session.commit()
    mail = db.session.scalar(select(OutboxEmail))
    db.session.refresh(mail)
    assert mail.sent_at is None and mail.claimed_at is None
    assert mail.attempts == 1 and mail.last_error
    output = app.test_cli_runner().invoke(args=["notify", "send"]).output
    assert "1 en échec" in output
    app.config["MAIL_SERVER"] = None
    assert "1 e-mail(s) envoyé(s)" in app.test_cli_runner().invoke(args=["notify", "send"]).output
    db.session.refresh(mail)
    assert mail.sent_at is not None and mail.attempts == 3


def test_mail_is_delivered_by_the_runner_once_committed_never_on_rollback(app, db, make_member):
    awa = make_member("Awa", email="awa@exemple.fr")
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    with app.test_request_context():
        notifications.queue_email(
            awa, "Jamais", "email/notification.txt", kind="account", text="x", url=None
        )
    db.session.rollback()
    assert not list(outbox.glob("*.eml"))
    with app.test_request_context():
        notifications.queue_email(
            awa, "Bienvenue", "email/notification.txt", kind="account", text="x", url=None
        )
        assert not list(outbox.glob("*.eml"))  # nothing leaves before the commit
    db.session.commit()
    files = list(outbox.glob("*.eml"))
    assert len(files) == 1 and "Bienvenue" in files[0].read_text()
