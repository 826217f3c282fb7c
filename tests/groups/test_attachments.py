"""Photos in messages: re-encoded with a thumbnail, shown in the thread, and served only to
members who can read the place; anything that is not an image is refused in French."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from tremplin.groups.models import Message, MessageAttachment


def png(size=(900, 600), colour=(200, 80, 40)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    out.seek(0)
    return out


def test_a_member_sends_a_photo_and_only_readers_can_fetch_it(
    client, auth, db, make_group, make_member, make_organiser
):
    nadia = make_organiser("Nadia Haddad")
    awa = make_member("Awa Diallo")
    group = make_group(
        "Entreprendre au féminin", organiser=nadia, members=[awa], visibility="private"
    )
    channel = group.channels[0]
    auth.login_as(awa)
    response = client.post(
        f"/groupes/{group.slug}/salons/{channel.slug}",
        data={"body": "Mon nouveau stand", "photos": (png(), "stand.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    attachment = db.session.scalar(select(MessageAttachment))
    assert attachment.file_name.endswith(".webp") and attachment.thumbnail_name.endswith(".webp")
    page = client.get(f"/groupes/{group.slug}/salons/{channel.slug}").text
    assert (
        f"/fichiers/{attachment.thumbnail_name}" in page
        and f"/fichiers/{attachment.file_name}" in page
    )
    full = client.get(f"/fichiers/{attachment.file_name}")
    assert full.status_code == 200 and full.mimetype == "image/webp"
    assert Image.open(io.BytesIO(full.data)).size == (900, 600)
    thumb = client.get(f"/fichiers/{attachment.thumbnail_name}")
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 480

    auth.login_as(make_member("Curieux"))  # cannot read the private group
    assert client.get(f"/fichiers/{attachment.file_name}").status_code == 404
    assert client.get(f"/fichiers/{attachment.thumbnail_name}").status_code == 404

    auth.login_as(awa)  # deleting the message takes the photo away
    message = db.session.scalar(select(Message))
    client.post(f"/discussion/messages/{message.id}/supprimer")
    assert db.session.scalar(select(func.count(MessageAttachment.id))) == 0
    assert client.get(f"/fichiers/{attachment.file_name}").status_code == 404


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(
    client, auth, db, make_group, make_member, make_organiser
):
    claire = make_organiser("Claire Dubois")
    awa = make_member("Awa Diallo")
    group = make_group("Restauration", organiser=claire, members=[awa])
    auth.login_as(awa)
    response = client.post(
        f"/groupes/{group.slug}/salons/accueil",
        data={"body": "Regardez", "photos": (io.BytesIO(b"%PDF-1.4 not a picture"), "x.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "pas une image acceptée (PNG, JPEG, WebP ou GIF)" in response.text
    assert db.session.scalar(select(func.count(Message.id))) == 0
    # a photo alone, without text, is a message
    response = client.post(
        f"/groupes/{group.slug}/salons/accueil",
        data={"body": "", "photos": (png((50, 50)), "p.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Message.id))) == 1
