"""Outgoing webhooks, received by a real HTTP endpoint in the test: signed, retried after a
500, never two deliveries for one event, redeliverable, and only what the owner may see."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tremplin.api import webhooks
from tremplin.api.models import WebhookDelivery, WebhookSubscription
from tremplin.platform.types import utcnow


def _subscribe(client, auth, user, url, events):
    auth.login_as(user)
    answer = client.post("/compte/webhooks", data={"url": url, "events": events})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return answer


def _publish(app, meetup, actor):
    from tremplin.meetups.meetups import publish_meetup
    from tremplin.platform.extensions import db

    with app.test_request_context():
        publish_meetup(actor, meetup)
        db.session.commit()


def test_published_meetup_reaches_the_receiver_signed(
    app, client, auth, make_organiser, make_meetup, webhook_receiver, db
):
    claire = make_organiser("Claire")
    _subscribe(client, auth, claire, webhook_receiver.url, ["meetup.published"])
    subscription = db.session.scalar(select(WebhookSubscription))
    meetup = make_meetup("Café Projets d'avril", state="draft", organiser=claire)

    _publish(app, meetup, claire)

    assert len(webhook_receiver.received) == 1
    got = webhook_receiver.received[0]
    assert got["json"]["event"] == "meetup.published"
    assert got["json"]["data"]["meetup"]["title"] == "Café Projets d'avril"
    assert got["headers"]["Tremplin-Delivery"] == got["json"]["id"]
    signature = got["headers"]["Tremplin-Signature"]
    assert webhooks.verify(subscription.secret, signature, got["body"])
    assert not webhooks.verify("whsec_wrong", signature, got["body"])
    assert not webhooks.verify(subscription.secret, signature, got["body"] + b" ")
    delivery = db.session.scalar(select(WebhookDelivery))
    db.session.refresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 1


def test_a_500_is_retried_with_the_same_delivery_id(
    app, client, auth, make_organiser, make_meetup, webhook_receiver, db
):
    claire = make_organiser("Claire")
    _subscribe(client, auth, claire, webhook_receiver.url, ["meetup.published"])
    webhook_receiver.statuses = [500]
    meetup = make_meetup(state="draft", organiser=claire)

    _publish(app, meetup, claire)

    delivery = db.session.scalar(select(WebhookDelivery))
    db.session.refresh(delivery)
    assert delivery.status == "pending" and delivery.last_status_code == 500
    assert delivery.next_attempt_at > utcnow() + timedelta(seconds=20)  # backoff
    assert webhooks.retry_due() == 0  # not due yet

    assert webhooks.retry_due(now=utcnow() + timedelta(hours=1)) == 1
    assert webhooks.retry_due(now=utcnow() + timedelta(hours=2)) == 0  # delivered: done
    ids = [r["headers"]["Tremplin-Delivery"] for r in webhook_receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1]
    db.session.refresh(delivery)
    assert delivery.status == "delivered" and delivery.attempts == 2

    log = client.get(f"/compte/webhooks/{delivery.subscription_id}").get_data(as_text=True)
    assert delivery.delivery_id in log and "livré" in log


def test_an_event_sent_twice_makes_one_delivery(
    app, client, auth, make_organiser, make_meetup, webhook_receiver, db
):
    from tremplin.meetups import signals

    claire = make_organiser("Claire")
    _subscribe(client, auth, claire, webhook_receiver.url, ["meetup.published"])
    meetup = make_meetup(organiser=claire)
    with app.test_request_context():
        signals.meetup_published.send(meetup, by=claire)
        signals.meetup_published.send(meetup, by=claire)
        db.session.commit()

    deliveries = db.session.scalars(select(WebhookDelivery)).all()
    assert len(deliveries) == 1
    assert len({r["json"]["id"] for r in webhook_receiver.received}) == 1
    # and delivering it again by mistake posts nothing
    assert webhooks.deliver(deliveries[0].id) is None
    assert len(webhook_receiver.received) == 1


def test_redelivery_from_the_log(
    app, client, auth, make_organiser, make_meetup, webhook_receiver, db
):
    claire = make_organiser("Claire")
    _subscribe(client, auth, claire, webhook_receiver.url, ["meetup.published"])
    _publish(app, make_meetup(state="draft", organiser=claire), claire)
    delivery = db.session.scalar(select(WebhookDelivery))

    answer = client.post(f"/compte/webhooks/livraisons/{delivery.id}/renvoyer")

    assert answer.status_code == 302
    assert [r["json"]["id"] for r in webhook_receiver.received] == [delivery.delivery_id] * 2


def test_events_follow_the_owners_view_policy(
    app,
    client,
    auth,
    make_member,
    make_organiser,
    make_group,
    make_meetup,
    register,
    webhook_receiver,
    db,
):
    partner = make_member("Cité des Métiers")
    claire = make_organiser("Claire")
    _subscribe(
        client, auth, partner, webhook_receiver.url, ["registration.created", "meetup.published"]
    )
    _subscribe(client, auth, claire, webhook_receiver.url + "?o=1", ["registration.created"])
    private = make_group("Cercle", visibility="private")
    secret = make_meetup(state="draft", group=private)
    _publish(app, secret, claire)
    assert all(r["json"]["event"] != "meetup.published" for r in webhook_receiver.received)

    public = make_meetup("Rencontre ouverte")
    from tremplin.meetups.registrations import register_member

    visitor = make_member("Awa")
    with app.test_request_context():
        register_member(visitor, public)
        db.session.commit()

    registrations = [
        r["json"]["data"]["registration"]
        for r in webhook_receiver.received
        if r["json"]["event"] == "registration.created"
    ]
    assert len(registrations) == 2  # one per subscription
    names = sorted(r.get("name") or "-" for r in registrations)
    assert names == ["-", "Awa"]  # only the organiser learns who registered


def test_private_and_own_addresses_are_refused(client, auth, make_organiser, app):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    auth.login_as(make_organiser("Claire"))
    for url, message in (
        ("http://127.0.0.1:8080/hook", "réseau privé"),
        ("http://10.1.2.3/hook", "réseau privé"),
        ("ftp://exemple.fr/hook", "http://"),
        (app.config["TREMPLIN_BASE_URL"] + "/api/v1/meetups", "Tremplin lui-même"),
    ):
        answer = client.post("/compte/webhooks", data={"url": url, "events": ["meetup.published"]})
        assert answer.status_code == 200 and message in answer.get_data(as_text=True), url


def test_a_receiver_that_hangs_times_out(app, client, auth, make_organiser, make_meetup, db):
    import socket

    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(1)  # accepts, never answers
    app.config.update(WEBHOOK_ALLOW_PRIVATE_TARGETS=True, WEBHOOK_TIMEOUT=0.5)
    claire = make_organiser("Claire")
    _subscribe(
        client, auth, claire, f"http://127.0.0.1:{hanging.getsockname()[1]}/", ["meetup.published"]
    )
    _publish(app, make_meetup(state="draft", organiser=claire), claire)
    delivery = db.session.scalar(select(WebhookDelivery))
    db.session.refresh(delivery)
    assert delivery.status == "pending" and delivery.last_error in ("ReadTimeout", "ConnectTimeout")
    hanging.close()


def test_campaign_success_payment_and_new_member_events(
    app,
    client,
    auth,
    make_organiser,
    make_member,
    make_campaign,
    make_pledge,
    end_campaign,
    make_group,
    webhook_receiver,
    db,
):
    from tremplin.funding.campaigns import decide
    from tremplin.funding.pledges import record_transfer
    from tremplin.groups.groups import join

    app.config["STRIPE_SECRET_KEY"] = None  # promises paid by bank transfer
    claire = make_organiser("Claire")
    _subscribe(
        client,
        auth,
        claire,
        webhook_receiver.url,
        ["campaign.succeeded", "pledge.collected", "member.joined"],
    )
    campaign = make_campaign(goal=10_000)
    pledge = make_pledge(campaign, amount=12_000, card=None, hide_amount=True)
    end_campaign(campaign)
    with app.test_request_context():
        assert decide(campaign.id) == "succeeded"
        db.session.commit()
        db.session.refresh(pledge)
        record_transfer(
            pledge, campaign.project.owner, amount_cents=12_000, received_on=utcnow().date()
        )
        db.session.commit()
        join(make_member("Awa"), make_group("Restauration"), accept_charter=True)
        db.session.commit()

    events = {r["json"]["event"]: r["json"]["data"] for r in webhook_receiver.received}
    assert events["campaign.succeeded"]["campaign"]["pledged_cents"] == 12_000
    assert events["pledge.collected"]["payment"] == {"pledge_id": pledge.id}  # amount hidden
    assert events["member.joined"]["group"]["member_count"] >= 2
