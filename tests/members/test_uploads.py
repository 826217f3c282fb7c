"""Uploaded images are judged by their content, re-encoded without metadata, stored under a
random name outside static/, and served only to those allowed to see them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.kit.factories_members import image_bytes
from tests.members.test_profiles import profile_post
from tremplin.members.models import Profile
from tremplin.platform import uploads


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def post_avatar(client, content: bytes, filename: str = "photo.png", **fields):
    data = profile_post(**fields)
    data["avatar"] = (io.BytesIO(content), filename)
    return client.post("/profil/modifier", data=data, content_type="multipart/form-data")


def test_avatar_is_reencoded_and_stored_under_a_random_name(app, client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    original = image_bytes("PNG", size=(900, 600))
    response = post_avatar(client, original, "mon-visage.png")
    assert response.status_code == 302

    files = stored_files(app)
    assert len(files) == 1
    stored = files[0]
    assert "visage" not in stored.name and stored.suffix == ".webp"
    assert not str(stored).startswith(str(Path(app.static_folder)))  # never under static/
    assert stored.read_bytes() != original
    with Image.open(stored) as image:
        assert image.format == "WEBP" and image.size == (512, 512)  # cropped square, resized
    assert db.session.get(Profile, awa.id).avatar_file == stored.name
    # the header shows the photo instead of the initial
    header = client.get("/").text.split('class="site-nav__link site-nav__me"')[1].split("</a>")[0]
    assert f"/{stored.name}" in header and "avatar--initials" not in header


def test_photo_metadata_is_stripped(app, client, auth, db, make_member):
    auth.login_as(make_member("Awa"))
    exif = Image.Exif()
    exif[0x010F] = "Appareil de Awa"  # Make
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPS latitude: where the photo was taken
    original = image_bytes("JPEG", size=(300, 300), exif=exif.tobytes())
    assert b"Appareil de Awa" in original
    post_avatar(client, original, "photo.jpg")
    stored = stored_files(app)[0].read_bytes()
    assert b"Appareil de Awa" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()


def test_html_renamed_png_is_refused_and_nothing_is_stored(app, client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    html = b"<html><script>alert(document.cookie)</script></html>"
    response = post_avatar(client, html, "photo.png", commune="Rosny-sous-Bois")
    assert response.status_code == 200
    assert 'id="avatar-error"' in response.text
    assert (
        "n&#39;est pas une image acceptée" in response.text
        or "n'est pas une image acceptée" in response.text
    )
    assert 'value="Rosny-sous-Bois"' in response.text  # the rest of the form is kept
    assert stored_files(app) == []
    assert db.session.get(Profile, awa.id) is None


@pytest.mark.parametrize(
    "content",
    [
        b"GIF89a" + b"\x00" * 40,  # a GIF header with nothing behind it
        image_bytes("PNG", size=(200, 200))[:300],  # a truncated PNG
        b"%PDF-1.4 fake",
        b"",
    ],
)
def test_broken_or_disguised_files_are_refused(app, client, auth, db, make_member, content):
    auth.login_as(make_member("Awa"))
    response = post_avatar(client, content, "photo.png")
    assert response.status_code == 200
    assert 'id="avatar-error"' in response.text or not content
    assert stored_files(app) == []


def test_too_heavy_image_within_the_request_limit_is_a_form_error(
    app, client, auth, db, make_member
):
    app.config["UPLOAD_IMAGE_MAX_BYTES"] = 2000
    auth.login_as(make_member("Awa"))
    noisy = Image.effect_noise((300, 300), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    response = post_avatar(client, out.getvalue(), "grosse.png")
    assert response.status_code == 200
    assert "trop lourde" in response.text
    assert stored_files(app) == []


def test_too_many_pixels_are_refused(app, client, auth, db, make_member):
    app.config["UPLOAD_IMAGE_MAX_PIXELS"] = 10_000
    auth.login_as(make_member("Awa"))
    response = post_avatar(client, image_bytes("PNG", size=(200, 200)), "large.png")
    assert response.status_code == 200
    assert "trop grande" in response.text
    assert stored_files(app) == []


def test_oversized_request_is_answered_413_and_nothing_is_stored(
    app, client, auth, db, make_member
):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    awa = auth.login_as(make_member("Awa"))
    response = post_avatar(client, b"\x89PNG" + b"0" * 80_000, "enorme.png")
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.text
    assert stored_files(app) == []
    assert db.session.get(Profile, awa.id) is None


def test_replacing_or_removing_the_avatar_deletes_the_old_file(app, client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    post_avatar(client, image_bytes("PNG", color=(10, 10, 10)))
    first = stored_files(app)
    post_avatar(client, image_bytes("PNG", color=(250, 250, 250)))
    second = stored_files(app)
    assert len(second) == 1 and second != first
    client.post("/profil/modifier", data=profile_post(remove_avatar="y"))
    assert stored_files(app) == []
    assert db.session.get(Profile, awa.id).avatar_file is None


def test_a_file_stored_in_a_transaction_that_rolls_back_is_removed(app, db):
    with app.test_request_context():
        name = uploads.store_image(io.BytesIO(image_bytes()), "photo")
        assert uploads.is_stored(name)
        db.session.rollback()
        assert not uploads.is_stored(name)
        kept = uploads.store_image(io.BytesIO(image_bytes()), "photo")
        db.session.commit()
        assert uploads.is_stored(kept)
        uploads.discard_upload(kept)
        db.session.rollback()  # a discard that never commits keeps the file
        assert uploads.is_stored(kept)


def test_uploads_are_served_with_their_type_and_nosniff(app, client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    post_avatar(client, image_bytes())
    name = db.session.get(Profile, awa.id).avatar_file
    response = client.get(f"/fichiers/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "name", ["inconnu.webp", "..%2F..%2Fsecret_key", "x" * 30 + ".html", "a" * 32 + ".webp"]
)
def test_unknown_or_malformed_file_names_are_404(client, db, name):
    assert client.get(f"/fichiers/{name}").status_code == 404


@pytest.mark.parametrize(
    "level, visitor, member", [("public", 200, 200), ("members", 404, 200), ("private", 404, 404)]
)
def test_avatar_file_obeys_its_visibility(
    app, client, auth, db, make_member, level, visitor, member
):
    owner = auth.login_as(make_member("Awa"))
    post_avatar(client, image_bytes(), avatar_visibility=level)
    url = f"/fichiers/{db.session.get(Profile, owner.id).avatar_file}"
    assert client.get(url).status_code == 200  # the owner always sees it
    auth.logout()
    assert client.get(url).status_code == visitor
    auth.login_as(make_member("Karim"))
    assert client.get(url).status_code == member
    page = client.get(f"/membres/{owner.id}").text
    assert (url in page) is (member == 200)  # the page never links a picture it hides


def test_project_logo_is_checked_by_content_too(app, client, auth, db, make_member):
    auth.login_as(make_member("Awa"))
    response = client.post(
        "/projets/nouveau",
        data={
            "title": "Maison de Cosm’éthique",
            "pitch": "Des cosmétiques éthiques et locaux.",
            "stage": "idee",
            "visibility": "public",
            "logo": (io.BytesIO(b"<svg onload=alert(1)>"), "logo.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert 'id="logo-error"' in response.text
    assert stored_files(app) == []
