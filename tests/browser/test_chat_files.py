"""Two members in two browsers: A sends a PDF, then records a voice message with
Chromium's fake microphone (keyboard only: record, stop, listen, send); B sees both arrive
live, the document as a download card with its first page, the voice message as an
<audio> element that loads and can play."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_groups_chat import signed_in_page
from tests.groups.test_documents_voice import pdf_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def two_members(new_page, live_server, socket_client, make_group, make_member, make_organiser):
    claire = make_organiser("Claire Dubois")
    awa, karim = make_member("Awa Diallo"), make_member("Karim Benali")
    group = make_group("Restauration", organiser=claire, members=[awa, karim])
    a = signed_in_page(new_page, socket_client, live_server, awa)
    b = signed_in_page(new_page, socket_client, live_server, karim)
    for page in (a, b):
        page.goto(f"/groupes/{group.slug}/salons/accueil")
        page.wait_for_selector("body[data-socket=connected]")
    return a, b


def test_a_document_sent_in_a_channel_appears_live_for_another_member(two_members, tmp_path):
    a, b = two_members
    document = tmp_path / "Budget 2027.pdf"
    document.write_bytes(pdf_bytes())
    a.fill("#composer-body", "Le budget prévisionnel")
    a.set_input_files("#composer-documents", str(document))
    a.click("button.composer__send")
    card = b.locator(".msg .msg__document")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Budget 2027.pdf")
    expect(card).to_contain_text("Document PDF")
    expect(card.locator("img.msg__document-thumb")).to_have_count(1)
    b.wait_for_function("() => document.querySelector('.msg__document-thumb').naturalWidth > 0")
    with b.expect_download() as download:
        card.click()
    assert download.value.suggested_filename == "Budget 2027.pdf"
    assert not a.errors and not b.errors


def test_a_voice_message_recorded_with_the_keyboard_is_heard_live_by_another_member(
    two_members,
):
    a, b = two_members
    a.context.grant_permissions(["microphone"])
    toggle = a.get_by_role("button", name="Enregistrer un message vocal")
    expect(toggle).to_be_visible()  # shown because this browser can record
    toggle.focus()
    a.keyboard.press("Enter")
    stop = a.get_by_role("button", name="Arrêter l’enregistrement")
    expect(stop).to_be_focused()  # the same button, renamed while recording
    expect(a.locator("[data-voice-timer]")).to_contain_text("0:02 / 2:00", timeout=10_000)
    a.keyboard.press("Enter")  # the focus stayed on the same button
    expect(a.locator("[data-voice-status]")).to_contain_text("Message vocal prêt")
    preview = a.locator("[data-voice-audio]")
    expect(preview).to_be_visible()
    # the preview loads before sending
    a.wait_for_function("() => document.querySelector('[data-voice-audio]').readyState >= 1")
    a.click("button.composer__send")

    audio = b.locator(".msg .msg__voice audio")
    expect(audio).to_have_count(1)
    expect(audio).to_have_attribute("aria-label", "Message vocal de Awa Diallo")
    expect(b.locator(".msg .msg__voice-duration")).to_contain_text("Message vocal, 0:0")
    b.wait_for_function(
        "() => { const el = document.querySelector('.msg__voice audio');"
        " return el.readyState >= 1 && el.duration > 1; }"
    )
    played = b.evaluate(
        "() => { const el = document.querySelector('.msg__voice audio'); el.muted = true;"
        " return el.play().then(() => true, (e) => String(e)); }"
    )
    assert played is True
    expect(a.locator(".msg .msg__voice audio")).to_have_count(1)
    assert not a.errors and not b.errors


@pytest.fixture
def short_voice_limit(app_config):
    app_config["CHAT_VOICE_MAX_SECONDS"] = 2


def test_recording_stops_by_itself_at_the_length_limit(short_voice_limit, two_members):
    a, _b = two_members
    a.context.grant_permissions(["microphone"])
    a.get_by_role("button", name="Enregistrer un message vocal").click()
    expect(a.locator("[data-voice-status]")).to_contain_text(
        "Durée maximale atteinte", timeout=10_000
    )
    expect(a.locator("[data-voice-timer]")).to_contain_text("0:02 / 0:02")
    expect(a.get_by_role("button", name="Enregistrer un message vocal")).to_be_visible()
    expect(a.locator("[data-voice-audio]")).to_be_visible()
    a.click("button.composer__send")  # the server's limit agrees with the recorder's
    expect(a.locator(".msg .msg__voice audio")).to_have_count(1)
    assert not a.errors


def test_without_media_recorder_no_record_button_is_shown(two_members):
    a, _b = two_members
    a.add_init_script("delete window.MediaRecorder;")
    a.reload()
    a.wait_for_selector("body[data-socket=connected]")
    expect(a.locator("[data-voice]")).to_be_hidden()
    expect(a.locator("#composer-documents")).to_be_visible()  # documents need no script
    assert not a.errors
