"""Backups that restore: data of every kind, backed up, restored into an empty instance,
found again (rows, ledger, a search, an uploaded file); damaged archives refused."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.kit.app import (
    TEST_DATABASE,
    CSRFClient,
    base_config,
    ensure_pg_database,
    pg_sqlalchemy_url,
)
from tests.kit.factories_members import image_bytes
from tests.ops.snapshot import figures, ledger_balances, table_digests
from tremplin import create_app
from tremplin.platform import backup, demo, uploads
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import User


def _empty_instance(tmp_path: Path) -> dict:
    """The config of a brand-new instance: its own folder and an empty database."""
    folder = tmp_path / "restored"
    folder.mkdir()
    if TEST_DATABASE == "postgresql":
        uri = pg_sqlalchemy_url(pg_sqlalchemy_url().rsplit("/", 1)[1] + "_restore")
        ensure_pg_database(uri)
        from sqlalchemy import create_engine

        engine = create_engine(uri)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    else:
        uri = f"sqlite:///{folder / 'tremplin.sqlite3'}"
    config = base_config(folder, uri)
    config["BACKUP_SECRET_FILES"] = [str(folder / "secret_key")]
    config["BACKUP_DIR"] = str(folder / "backups")
    return config


def _new_app(app, config: dict):
    """A second application (the registries compare lazy labels: a request context)."""
    with app.test_request_context():
        return create_app(config)


def _search_titles(app, user_email: str, words: str) -> list[str]:
    from tremplin.search import search

    with app.test_request_context():
        user = _db.session.scalar(select(User).where(User.email == user_email))
        return sorted(item.title for item in search(user, words).items)


def _state(app) -> dict:
    with app.app_context():
        with _db.engine.connect() as connection:
            return {
                "tables": table_digests(connection),
                "ledger": ledger_balances(connection),
                "figures": figures(connection),
            }


@pytest.fixture
def network(app, db, tmp_path):
    """The demo network (every module's objects, ledger included) plus an uploaded image."""
    demo.load()
    db.session.commit()
    awa = db.session.scalar(select(User).where(User.email == demo.DEMO_LOGIN))
    from tremplin.members.models import Profile

    profile = db.session.get(Profile, awa.id)
    profile.avatar_file = uploads.store_image(io.BytesIO(image_bytes("PNG")), "avatar")
    db.session.commit()
    (tmp_path / "secret_key").write_text("la-cle-secrete-de-cette-instance")
    app.config["BACKUP_SECRET_FILES"] = [str(tmp_path / "secret_key")]
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    return profile.avatar_file


def test_backup_then_restore_into_an_empty_instance_finds_everything(app, db, network, tmp_path):
    avatar = network
    before = _state(app)
    assert before["ledger"]["*"] == 0 and len(before["ledger"]) > 3  # a real ledger
    assert before["figures"]["pledges"] and before["figures"]["club_votes"]
    found_before = _search_titles(app, demo.DEMO_LOGIN, "atelier")
    assert found_before

    result = app.test_cli_runner().invoke(args=["backup", "create"])
    assert result.exit_code == 0, result.output
    archive = backup.list_backups(app)[0].path
    assert str(archive) in result.output
    assert Path(f"{archive}.sha256").read_text().split()[0] == backup._sha256(archive)
    assert oct(archive.stat().st_mode)[-3:] == "600"
    listing = app.test_cli_runner().invoke(args=["backup", "list"])
    assert archive.name in listing.output

    config = _empty_instance(tmp_path)
    restored = _new_app(app, config)
    result = _invoke(restored, "backup", "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "restaurée" in result.output

    after = _state(restored)
    assert after["tables"] == before["tables"]  # every row of every table, byte for byte
    assert after["ledger"] == before["ledger"]
    assert after["figures"] == before["figures"]
    with restored.app_context():
        assert _search_titles(restored, demo.DEMO_LOGIN, "atelier") == found_before
    image = Path(config["UPLOAD_DIR"]) / avatar
    assert image.read_bytes() == (Path(app.config["UPLOAD_DIR"]) / avatar).read_bytes()
    assert Path(config["BACKUP_SECRET_FILES"][0]).read_text() == "la-cle-secrete-de-cette-instance"
    with restored.app_context():
        restored.test_client_class = CSRFClient
        client = restored.test_client()
        response = client.post(
            "/connexion", data={"email": demo.DEMO_LOGIN, "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 302  # the restored member logs in

    # a second restore on top of the now-full instance is refused
    result = _invoke(restored, "backup", "restore", str(archive))
    assert result.exit_code == 1 and "contient déjà des données" in result.output


def _invoke(app, *args):
    """A `flask …` command on `app` (its own app context: the CLI reuses a pushed one)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _refused(app, archive: Path) -> str:
    result = _invoke(app, "backup", "restore", str(archive))
    assert result.exit_code == 1, result.output
    return result.output


def test_damaged_or_foreign_archives_are_refused_and_nothing_is_touched(
    app, db, make_member, tmp_path
):
    make_member()
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    app.config["BACKUP_SECRET_FILES"] = []
    archive = backup.create_backup(app)
    data = archive.read_bytes()
    target = _new_app(app, _empty_instance(tmp_path))

    truncated = tmp_path / "tronquee.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    assert "illisible ou tronquée" in _refused(target, truncated)

    with_sidecar = tmp_path / "abimee.tar.gz"
    with_sidecar.write_bytes(data[:-10] + bytes(10))
    Path(f"{with_sidecar}.sha256").write_text(Path(f"{archive}.sha256").read_text())
    assert "somme de contrôle" in _refused(target, with_sidecar)

    foreign = tmp_path / "photos.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("vacances.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    assert "pas une sauvegarde Tremplin" in _refused(target, foreign)

    not_even_gzip = tmp_path / "texte.tar.gz"
    not_even_gzip.write_text("bonjour")
    assert "illisible ou tronquée" in _refused(target, not_even_gzip)

    # a file changed inside a well-formed archive: its own checksum gives it away
    tampered = tmp_path / "modifiee.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(tampered, "w:gz") as out:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name.startswith("database"):
                content = content[:-1] + bytes([content[-1] ^ 1])
            out.addfile(member, io.BytesIO(content))
    assert "corrompu" in _refused(target, tampered)

    with target.app_context():  # nothing was restored by any of these
        with _db.engine.connect() as connection:
            assert not any(backup.table_counts(connection).values())
    assert gzip.decompress(data)  # the original stays sound


def test_retention_keeps_seven_days_and_four_weeks(app, tmp_path):
    from datetime import UTC, datetime, timedelta

    folder = tmp_path / "backups"
    folder.mkdir()
    app.config["BACKUP_DIR"] = str(folder)
    start = datetime(2026, 12, 3, 2, 30, tzinfo=UTC)
    made = []
    for day in range(60):  # two a day for sixty days
        for hour in (0, 12):
            moment = start - timedelta(days=day, hours=hour)
            made.append(moment)
            (folder / f"tremplin-{moment.strftime(backup.TIME_FORMAT)}.tar.gz").write_bytes(b"x")
    removed = backup.prune(app)
    left = backup.list_backups(app)
    # Thursday 3 December: the newest of each of the last 7 days (27 Nov - 3 Dec), and the
    # newest of each of the last 4 ISO weeks (49 and 48 already kept; 22 and 15 November).
    expected_days = [start.date() - timedelta(days=d) for d in range(7)]
    expected_days += [datetime(2026, 11, 22).date(), datetime(2026, 11, 15).date()]
    assert [b.created_at.date() for b in left] == expected_days
    for kept in left:  # the newest of its day
        assert kept.created_at == max(m for m in made if m.date() == kept.created_at.date())
    assert len(removed) == 120 - 9
    assert not list(folder.glob("*.sha256"))
