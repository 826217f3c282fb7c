"""Two members in two browsers: A posts, B sees the message appear without reloading, and
B's unread counts (channel list and navigation) change live."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def signed_in_page(new_page, socket_client, live_server, user, viewport=(1280, 900)):
    page = new_page(viewport=viewport)
    page.context.add_cookies(
        [{"name": "session", "value": socket_client.cookie_for(user), "url": live_server.url}]
    )
    return page


def test_member_b_sees_a_message_from_a_live_and_unread_counts_change(
    new_page, live_server, socket_client, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group(
        "Restauration", organiser=claire, members=[awa, karim], channels=["Financement"]
    )
    accueil = f"/groupes/{group.slug}/salons/accueil"

    a = signed_in_page(new_page, socket_client, live_server, awa)
    b = signed_in_page(new_page, socket_client, live_server, karim, viewport=(390, 844))
    for page in (a, b):
        page.goto(accueil)
        page.wait_for_selector("body[data-socket=connected]")
    b_presence = b.locator("[data-presence-list] li", has_text="Awa Diallo")

    # A posts with the keyboard; B sees it without reloading.
    a.fill("#composer-body", "Bonjour Karim, tu as trouvé ton local ?")
    a.keyboard.press("Enter")
    b.wait_for_selector("text=Bonjour Karim, tu as trouvé ton local ?")
    expect(a.locator("#composer-body")).to_have_value("")
    expect(a.locator(".msg")).to_have_count(1)  # the sender's own echo is not duplicated
    b_presence.wait_for()

    # A message in another channel: B's channel badge and navigation badge go up.
    nav_badge = b.locator('[data-nav-badge="groups.index"]')
    expect(nav_badge).to_have_js_property("hidden", True)
    a.goto(f"/groupes/{group.slug}/salons/financement")
    a.wait_for_selector("body[data-socket=connected]")
    a.fill("#composer-body", "Question financement : qui connaît France Active ?")
    a.click("button.composer__send")
    expect(nav_badge).to_have_text("1")
    expect(nav_badge).to_have_js_property("hidden", False)  # (B's phone menu is folded)
    channel_badge = b.locator(f'[data-channel-unread="{group.channels[1].id}"]')
    expect(channel_badge).to_have_text("1")
    expect(channel_badge).to_be_visible()

    # Empty message: a clear error, nothing sent.
    a.fill("#composer-body", "   ")
    a.click("button.composer__send")
    expect(a.locator("[data-composer-error]")).to_contain_text("Votre message est vide")
    assert not a.errors and not b.errors


def test_the_channel_works_without_javascript(
    browser, live_server, socket_client, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire Dubois")
    awa = make_member("Awa Diallo")
    group = make_group("Restauration", organiser=claire, members=[awa])
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, locale="fr-FR"
    )
    try:
        context.add_cookies(
            [{"name": "session", "value": socket_client.cookie_for(awa), "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"/groupes/{group.slug}/salons/accueil")
        page.fill("#composer-body", "Envoyé sans JavaScript")
        page.click("button.composer__send")
        page.wait_for_selector("text=Envoyé sans JavaScript")
    finally:
        context.close()


def test_navigation_badges_are_live_on_every_page(
    new_page, live_server, socket_client, make_group, make_member, make_organiser, in_request
):
    from tremplin.groups import open_conversation

    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group("Restauration", organiser=claire, members=[awa, karim])
    with in_request():
        conversation = open_conversation([awa, karim])

    b = signed_in_page(new_page, socket_client, live_server, karim)
    b.goto("/")  # the member's home, far from any chat page
    b.wait_for_selector("body[data-socket=connected]")
    groups_badge = b.locator('[data-nav-badge="groups.index"]')
    messages_badge = b.locator('[data-nav-badge="groups.conversations"]')
    expect(groups_badge).to_have_js_property("hidden", True)
    expect(messages_badge).to_have_js_property("hidden", True)

    a = socket_client(awa)
    assert a.call("chat:subscribe", {}, timeout=10)["ok"]
    for body in ("Qui vient samedi ?", "Je réserve la salle."):
        assert a.call(
            "message:send", {"channel_id": group.channels[0].id, "body": body}, timeout=10
        )["ok"]
    expect(groups_badge).to_have_text("2")
    expect(groups_badge).to_have_js_property("hidden", False)
    assert a.call(
        "message:send", {"conversation_id": conversation.id, "body": "Karim, un café ?"}, timeout=10
    )["ok"]
    expect(messages_badge).to_have_text("1")

    # a reload shows the same counts from the server: nothing was invented by the page
    b.reload()
    expect(groups_badge).to_have_text("2")
    expect(messages_badge).to_have_text("1")
