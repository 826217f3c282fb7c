"""Two members in two browsers: B replies in a thread and reacts, A sees both live; A
picks a member with @-autocomplete using only the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_groups_chat import signed_in_page

pytestmark = pytest.mark.browser


def test_a_reply_in_a_thread_and_a_reaction_are_seen_live_by_another_member(
    new_page, live_server, socket_client, make_group, make_member, make_organiser, post_message
):
    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group("Restauration", organiser=claire, members=[awa, karim])
    root = post_message(awa, group.channels[0], "Qui vient au salon de l’alimentation ?")
    accueil = f"/groupes/{group.slug}/salons/accueil"
    a = signed_in_page(new_page, socket_client, live_server, awa)
    b = signed_in_page(new_page, socket_client, live_server, karim)
    for page in (a, b):
        page.goto(accueil)
        page.wait_for_selector("body[data-socket=connected]")

    # B opens the thread from the message menu and replies with the keyboard.
    b.click(f"#m{root.id} .msg__menu-toggle")
    b.click(f"#m{root.id} [data-action=thread]")
    panel = b.locator("[data-thread-panel]")
    expect(panel).to_be_visible()
    expect(panel.locator(f"#t{root.id}")).to_contain_text("salon de l’alimentation")
    b.fill("#thread-panel-body", "Moi, samedi matin")
    b.keyboard.press("Enter")
    expect(panel.locator("[data-thread-replies] .msg")).to_have_count(1)

    # A sees the reply count appear live, opens the thread and sees the reply.
    link = a.locator(f"#m{root.id} [data-thread-link]")
    expect(link).to_have_text("1 réponse")
    expect(a.locator("[data-messages] .msg")).to_have_count(1)  # the reply is not in the channel
    link.click()
    expect(a.locator("[data-thread-replies]")).to_contain_text("Moi, samedi matin")

    # B reacts to the root; A sees who reacted, live.
    b.click(f"#m{root.id} .msg__menu-toggle")
    b.click(f"#m{root.id} .msg__emoji[aria-label='Réagir avec 👍']")
    reaction = a.locator(f"#m{root.id} .reaction")
    expect(reaction).to_contain_text("1")
    expect(reaction).to_have_attribute("title", "Karim Benali")
    # A adds hers by clicking the reaction; B sees the count change and her name.
    reaction.click()
    b_reaction = b.locator(f"#m{root.id} .reaction")
    expect(b_reaction).to_contain_text("2")
    expect(b_reaction).to_have_attribute("title", "Karim Benali, Awa Diallo")
    assert not a.errors and not b.errors


def test_a_member_picks_someone_with_at_autocomplete_by_keyboard(
    new_page, live_server, socket_client, make_group, make_member, make_organiser, db
):
    claire = make_organiser("Claire Dubois")
    awa = make_member("Awa Diallo")
    karim, karima = make_member("Karim Benali"), make_member("Karima Said")
    group = make_group("Restauration", organiser=claire, members=[awa, karim, karima])
    a = signed_in_page(new_page, socket_client, live_server, awa)
    a.goto(f"/groupes/{group.slug}/salons/accueil")
    a.wait_for_selector("body[data-socket=connected]")

    box = a.locator("#composer-body")
    box.focus()
    a.keyboard.type("Bonjour @kar")
    options = a.locator("#composer-body-suggestions [role=option]")
    expect(options).to_have_count(2)
    expect(box).to_have_attribute("aria-controls", "composer-body-suggestions")
    expect(box).to_have_attribute("data-expanded", "true")
    a.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    a.keyboard.press("Enter")  # chooses, does not send
    expect(box).to_have_value("Bonjour @Karima Said ")
    expect(box).to_have_attribute("data-expanded", "false")
    a.keyboard.type("tu viens ?")
    a.keyboard.press("Enter")
    expect(a.locator("[data-messages] .msg .mention")).to_have_text("@Karima Said")
    assert not a.errors


def test_a_muted_channel_brings_no_notice_while_another_still_does(
    new_page, live_server, socket_client, make_group, make_member, make_organiser, post_message
):
    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group(
        "Restauration", organiser=claire, members=[awa, karim], channels=["Financement"]
    )
    k = signed_in_page(new_page, socket_client, live_server, karim)
    k.goto(f"/groupes/{group.slug}/salons/financement")
    k.select_option("#channel-level", "mute")
    k.click(".chat-header__notify button")
    expect(k.locator("#channel-level")).to_have_value("mute")
    k.wait_for_selector("body[data-socket=connected]")
    bell = k.locator("#notification-count")

    post_message(awa, group.channels[1], "@Karim Benali tu as vu le prêt d’honneur ?")
    k.wait_for_timeout(1500)  # time for a notice to arrive, if one were sent
    expect(bell).to_be_hidden()
    post_message(awa, group.channels[0], "@Karim Benali bienvenue !")
    expect(bell).to_be_visible()
    expect(bell).to_contain_text("1")
    assert not k.errors


def test_a_photo_sent_in_a_channel_appears_live_for_another_member(
    new_page, live_server, socket_client, make_group, make_member, make_organiser, tmp_path
):
    from PIL import Image

    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group("Restauration", organiser=claire, members=[awa, karim])
    photo = tmp_path / "stand.jpg"
    Image.new("RGB", (800, 500), (30, 120, 90)).save(photo, "JPEG")
    a = signed_in_page(new_page, socket_client, live_server, awa)
    b = signed_in_page(new_page, socket_client, live_server, karim)
    for page in (a, b):
        page.goto(f"/groupes/{group.slug}/salons/accueil")
        page.wait_for_selector("body[data-socket=connected]")
    a.fill("#composer-body", "Mon stand au marché")
    a.set_input_files("#composer-photos", str(photo))
    a.click("button.composer__send")
    image = b.locator(".msg .msg__photo img")
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("alt", "Photo envoyée par Awa Diallo")
    assert b.evaluate("document.querySelector('.msg__photo img').complete") is not None
    expect(a.locator(".msg .msg__photo img")).to_have_count(1)
    assert not a.errors and not b.errors
