"""Uploaded files on S3-compatible object storage, against a real S3 server on 127.0.0.1
(moto in server mode): stored in the bucket, nothing on the host's disk, served by our
routes after the same access checks, never through a public address."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage

from tests.kit.factories_clubs import pdf_bytes
from tests.kit.factories_members import image_bytes
from tests.kit.s3 import s3_client
from tests.members.test_uploads import post_avatar
from tremplin.members.models import Profile
from tremplin.platform.storage import S3Storage, storage


def keys(endpoint: str, bucket: str) -> list[str]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", ()))


def test_an_avatar_goes_to_the_bucket_and_is_served_from_it(
    s3_server, s3_bucket, app, client, auth, db, make_member, tmp_path
):
    assert isinstance(storage(), S3Storage)
    awa = auth.login_as(make_member("Awa"))
    assert post_avatar(client, image_bytes("PNG", size=(600, 600))).status_code == 302
    name = db.session.get(Profile, awa.id).avatar_file
    assert keys(s3_server, s3_bucket) == [name]
    assert not (tmp_path / "uploads").exists()  # nothing on this host's disk

    served = client.get(f"/fichiers/{name}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    stored = s3_client(s3_server).get_object(Bucket=s3_bucket, Key=name)["Body"].read()
    assert served.data == stored
    assert "private" in served.headers["Cache-Control"]
    again = client.get(f"/fichiers/{name}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304

    # Replacing the photo removes the old object once the change is committed.
    assert post_avatar(client, image_bytes("PNG", size=(300, 300))).status_code == 302
    newer = db.session.get(Profile, awa.id).avatar_file
    assert keys(s3_server, s3_bucket) == [newer]


def test_a_private_club_document_is_refused_to_a_non_member_and_has_no_public_url(
    s3_server, s3_bucket, app, client, auth, db, make_member, make_club, make_application
):
    club = make_club()
    content = pdf_bytes("Prévisionnel")
    application = make_application(club, files=[FileStorage(io.BytesIO(content), "plan.pdf")])
    document = application.documents[0]
    key = f"club-documents/{document.stored_name}"
    assert keys(s3_server, s3_bucket) == [key]
    url = f"/clubs/{club.id}/documents/{document.id}"

    auth.login_as(make_member("Inconnue"))
    refused = client.get(url)
    assert refused.status_code == 404 and content not in refused.data

    auth.login_as(club.people[2])
    page = client.get(f"/clubs/{club.id}/candidatures/{application.id}")
    served = client.get(url)
    assert served.status_code == 200 and served.data == content
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in served.headers["Cache-Control"]
    # No address of the bucket in what members are shown, and no grant to everyone.
    assert s3_server not in page.text and s3_bucket not in page.text
    grants = s3_client(s3_server).get_object_acl(Bucket=s3_bucket, Key=key)["Grants"]
    assert not [g for g in grants if "AllUsers" in str(g.get("Grantee", {}).get("URI", ""))]


def test_with_signed_links_a_redirect_is_given_only_after_the_check(
    s3_server, s3_bucket, app, client, auth, db, make_member, make_club, make_application
):
    app.config["STORAGE_S3_PRESIGNED_SECONDS"] = 30
    app.extensions.pop("storage", None)
    club = make_club()
    content = pdf_bytes("Convention")
    application = make_application(club, files=[FileStorage(io.BytesIO(content), "c.pdf")])
    url = f"/clubs/{club.id}/documents/{application.documents[0].id}"

    auth.login_as(make_member("Inconnue"))
    refused = client.get(url)
    assert refused.status_code == 404 and "Location" not in refused.headers

    auth.login_as(club.people[1])
    redirected = client.get(url)
    assert redirected.status_code == 302
    link = redirected.headers["Location"]
    assert link.startswith(s3_server) and "X-Amz-Signature" in link and "Expires=30" in link
    import urllib.request

    with urllib.request.urlopen(link, timeout=5) as answer:
        assert answer.read() == content
