"""Backups that restore: one dated archive with everything an instance needs to come back.

`flask backup create` writes `tremplin-<UTC time>.tar.gz` into BACKUP_DIR (instance/backups):

- `database.sqlite3`, a consistent copy made with SQLite's online backup API while the site
  runs (never a raw copy of a file in WAL mode), or `database.pgdump` (`pg_dump` custom format);
- `uploads/…`, the members' images (their names are random and they never change);
- `secrets/…`, the instance secrets (the generated `secret_key`, and any `*.pem` key file);
- `manifest.json`, written first: the format, the schema revision, the row count of every
  table, and the SHA-256 and size of every other file.

Beside the archive, `<archive>.sha256` holds the checksum of the whole file.
`flask backup restore ARCHIVE` verifies all of it before touching anything (a truncated,
corrupt or foreign file is refused with a clear message), restores into an empty instance,
checks the row counts against the manifest and rebuilds the search index.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import MetaData, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tremplin.platform.extensions import db
from tremplin.platform.jobs import periodic

FORMAT = "tremplin-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
NAME = re.compile(r"^tremplin-(\d{8}T\d{6}Z)\.tar\.gz$")
TIME_FORMAT = "%Y%m%dT%H%M%SZ"


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why, for the operator."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    created_at: datetime
    size: int

    @property
    def age(self) -> timedelta:
        return datetime.now(UTC) - self.created_at


# --- where things are ---------------------------------------------------------------------


def backup_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config.get("BACKUP_DIR") or Path(app.instance_path) / "backups")


def secret_files(app: Flask) -> list[Path]:
    """The instance secrets a restored instance needs (sessions, tokens, signed links)."""
    configured = app.config.get("BACKUP_SECRET_FILES")
    if configured is not None:
        return [Path(p) for p in configured]
    instance = Path(app.instance_path)
    return [instance / "secret_key", *sorted(instance.glob("*.pem"))]


def _database_url(app: Flask):
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"])


def _dialect(app: Flask) -> str:
    return "sqlite" if _database_url(app).drivername.startswith("sqlite") else "postgresql"


def _libpq(app: Flask) -> tuple[str, dict]:
    """A libpq URL for pg_dump/pg_restore, the password in the environment (not in `ps`)."""
    url = _database_url(app)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


# --- listing and retention ----------------------------------------------------------------


def list_backups(app: Flask | None = None) -> list[BackupFile]:
    """The archives in BACKUP_DIR, newest first."""
    folder = backup_dir(app)
    found = []
    for path in folder.glob("tremplin-*.tar.gz") if folder.is_dir() else ():
        match = NAME.match(path.name)
        if match:
            created = datetime.strptime(match.group(1), TIME_FORMAT).replace(tzinfo=UTC)
            found.append(BackupFile(path, created, path.stat().st_size))
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def kept(backups: list[BackupFile], daily: int, weekly: int) -> set[Path]:
    """The archives retention keeps: the newest of each of the last `daily` days that have
    one, and the newest of each of the last `weekly` ISO weeks that have one."""
    keep: set[Path] = set()
    days: set = set()
    weeks: set = set()
    for backup in sorted(backups, key=lambda b: b.created_at, reverse=True):
        day = backup.created_at.date()
        week = day.isocalendar()[:2]
        if day not in days and len(days) < daily:
            days.add(day)
            keep.add(backup.path)
        if week not in weeks and len(weeks) < weekly:
            weeks.add(week)
            keep.add(backup.path)
    return keep


def prune(app: Flask | None = None) -> list[Path]:
    """Delete the archives retention no longer keeps (BACKUP_KEEP_DAILY, _WEEKLY)."""
    app = app or current_app
    backups = list_backups(app)
    keep = kept(backups, app.config["BACKUP_KEEP_DAILY"], app.config["BACKUP_KEEP_WEEKLY"])
    removed = []
    for backup in backups:
        if backup.path not in keep:
            backup.path.unlink(missing_ok=True)
            Path(f"{backup.path}.sha256").unlink(missing_ok=True)
            removed.append(backup.path)
    return removed


# --- creating -----------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts(connection) -> dict[str, int]:
    """Rows per table (Alembic's own table aside): what a restore must find again."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return {
        name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in sorted(metadata.tables.items())
        if name != "alembic_version"
    }


def _revision(connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _dump_sqlite(app: Flask, target: Path) -> None:
    source_path = _database_url(app).database
    source = sqlite3.connect(source_path, timeout=30)
    destination = sqlite3.connect(target)
    try:
        with destination:
            source.backup(destination)  # pages copied under a read transaction: consistent
    finally:
        destination.close()
        source.close()


def _dump_postgresql(app: Flask, target: Path) -> None:
    url, env = _libpq(app)
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)]
        + ["--dbname", url],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump a échoué : {result.stderr.strip()}")


def _upload_files(app: Flask) -> list[tuple[str, Path]]:
    folder = Path(app.config["UPLOAD_DIR"])
    if not folder.is_dir():
        return []
    return [
        (f"uploads/{path.relative_to(folder).as_posix()}", path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    ]


def create_backup(app: Flask | None = None, directory: Path | None = None) -> Path:
    """Write one archive and its checksum file; return the archive's path."""
    app = app or current_app
    folder = Path(directory or backup_dir(app))
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    final = folder / f"tremplin-{now.strftime(TIME_FORMAT)}.tar.gz"
    if final.exists():  # two in the same second: the next second's name
        now += timedelta(seconds=1)
        final = folder / f"tremplin-{now.strftime(TIME_FORMAT)}.tar.gz"
    dialect = _dialect(app)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".backup-") as tmp:
        database = Path(tmp) / (SQLITE_FILE if dialect == "sqlite" else PG_FILE)
        (_dump_sqlite if dialect == "sqlite" else _dump_postgresql)(app, database)
        if dialect == "sqlite":
            engine = create_engine(f"sqlite:///{database}", poolclass=NullPool)
            with engine.connect() as connection:  # the copy's own figures, not the live db's
                counts, revision = table_counts(connection), _revision(connection)
            engine.dispose()
        else:
            with db.engine.connect() as connection:
                counts, revision = table_counts(connection), _revision(connection)
        members = [(database.name, database)] + _upload_files(app)
        members += [(f"secrets/{p.name}", p) for p in secret_files(app) if p.is_file()]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": now.isoformat(),
            "database": dialect,
            "revision": revision,
            "tables": counts,
            "files": {
                name: {"sha256": _sha256(path), "size": path.stat().st_size}
                for name, path in members
            },
        }
        partial = Path(tmp) / "archive.partial"
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
            for name, path in members:
                archive.add(path, arcname=name, recursive=False)
        partial.chmod(0o600)  # it holds the secret key and every member's data
        os.replace(partial, final)  # a listed archive is always a whole one
    Path(f"{final}.sha256").write_text(f"{_sha256(final)}  {final.name}\n")
    return final


# --- restoring ----------------------------------------------------------------------------


def read_archive(archive: Path, into: Path) -> dict:
    """Check `archive` whole and unpack it into `into`; return its manifest. Raises
    BackupError, in words for the operator, for anything but a sound Tremplin backup."""
    if not archive.is_file():
        raise BackupError(f"Fichier introuvable : {archive}")
    sidecar = Path(f"{archive}.sha256")
    if sidecar.is_file():
        expected = sidecar.read_text().split()[0] if sidecar.read_text().strip() else ""
        if expected != _sha256(archive):
            raise BackupError(
                "L'archive ne correspond pas à sa somme de contrôle (fichier .sha256) : "
                "elle est corrompue ou incomplète. Restauration refusée."
            )
    try:
        with tarfile.open(archive, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST:
                raise BackupError(
                    "Ce fichier n'est pas une sauvegarde Tremplin (pas de manifest.json en tête)."
                )
            manifest = json.loads(tar.extractfile(first).read())
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BackupError("Ce fichier n'est pas une sauvegarde Tremplin.")
            if manifest.get("version", 0) > VERSION:
                raise BackupError(
                    "Cette sauvegarde vient d'une version plus récente de Tremplin : "
                    "mettez l'application à jour avant de la restaurer."
                )
            tar.extractall(into, filter="data")  # no absolute path, no "..", no device
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
        raise BackupError(
            f"L'archive est illisible ou tronquée ({exc.__class__.__name__}) : "
            "restauration refusée, rien n'a été modifié."
        ) from None
    listed = manifest.get("files") or {}
    found = {
        p.relative_to(into).as_posix()
        for p in into.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    if found != set(listed):
        missing = sorted(set(listed) - found)[:3]
        raise BackupError(
            "L'archive est incomplète ou modifiée : "
            + (f"fichiers manquants ({', '.join(missing)})" if missing else "fichiers en trop")
            + ". Restauration refusée."
        )
    for name, facts in listed.items():
        if _sha256(into / name) != facts.get("sha256"):
            raise BackupError(
                f"Le fichier {name} de l'archive est corrompu (somme de contrôle différente). "
                "Restauration refusée."
            )
    return manifest


def _is_empty(app: Flask) -> bool:
    with db.engine.connect() as connection:
        return not any(table_counts(connection).values())


def _restore_sqlite(app: Flask, source: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    target = Path(_database_url(app).database)
    target.parent.mkdir(parents=True, exist_ok=True)
    origin = sqlite3.connect(source)
    destination = sqlite3.connect(target)
    try:
        origin.backup(destination)  # page by page, through SQLite: the WAL stays coherent
        if destination.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("La base restaurée ne passe pas PRAGMA integrity_check.")
    finally:
        destination.close()
        origin.close()
    db.engine.dispose()


def _restore_postgresql(app: Flask, source: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    url, env = _libpq(app)
    result = subprocess.run(
        ["pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists"]
        + ["--single-transaction", "--exit-on-error", "--dbname", url, str(source)],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore a échoué : {result.stderr.strip()}")
    db.engine.dispose()


def restore_backup(app: Flask | None = None, archive: Path | str = "") -> dict:
    """Restore `archive` into this (empty) instance; return the manifest."""
    app = app or current_app
    archive = Path(archive)
    with tempfile.TemporaryDirectory(prefix="tremplin-restore-") as tmp:
        folder = Path(tmp)
        manifest = read_archive(archive, folder)
        dialect = _dialect(app)
        if manifest.get("database") != dialect:
            raise BackupError(
                f"Cette sauvegarde vient d'une base {manifest.get('database')} ; "
                f"cette instance utilise {dialect}. Restauration refusée."
            )
        if not _is_empty(app):
            raise BackupError(
                "La base de cette instance contient déjà des données : une sauvegarde se "
                "restaure dans une instance vide (nouvelle base, ou base vidée)."
            )
        if dialect == "sqlite":
            _restore_sqlite(app, folder / SQLITE_FILE)
        else:
            _restore_postgresql(app, folder / PG_FILE)
        uploads = Path(app.config["UPLOAD_DIR"])
        if (folder / "uploads").is_dir():
            shutil.copytree(folder / "uploads", uploads, dirs_exist_ok=True)
        targets = {p.name: p for p in secret_files(app)}
        for secret in (
            sorted((folder / "secrets").glob("*")) if (folder / "secrets").is_dir() else ()
        ):
            target = targets.get(secret.name, Path(app.instance_path) / secret.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(secret, target)
            target.chmod(0o600)
    with db.engine.connect() as connection:
        counts = table_counts(connection)
    expected = manifest.get("tables") or {}
    wrong = {t: (n, counts.get(t)) for t, n in expected.items() if counts.get(t) != n}
    if wrong:
        raise BackupError(f"Nombre de lignes différent après restauration : {wrong}")
    search = app.extensions.get("search")
    if search is not None:
        search.indexer.rebuild()
    return manifest


# --- the daily backup ---------------------------------------------------------------------


@periodic(minute="17", hour="3")  # 03:17 UTC, a quiet hour in France
def daily_backup() -> None:
    """A backup, then retention (BACKUP_KEEP_DAILY, BACKUP_KEEP_WEEKLY). Safe twice: a
    second run the same day makes a second archive that retention folds into the day's."""
    if not current_app.config.get("BACKUP_DAILY", True):
        return
    path = create_backup()
    removed = prune()
    current_app.logger.info("backup: %s written, %d pruned", path.name, len(removed))


# --- `flask backup …` ---------------------------------------------------------------------


def _human(size: int) -> str:
    for unit in ("o", "Ko", "Mo", "Go"):
        if size < 1024 or unit == "Go":
            return f"{size:.0f} {unit}" if unit == "o" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def init_app(app: Flask) -> None:
    import click
    from flask.cli import AppGroup

    backup_cli = AppGroup("backup", help="Sauvegardes : créer, restaurer, lister.")

    @backup_cli.command("create")
    @click.option("--dir", "directory", type=click.Path(file_okay=False), default=None)
    @click.option(
        "--prune/--no-prune", "prune_after", default=False, help="Appliquer ensuite la rétention."
    )
    def create_command(directory, prune_after):
        """Write a dated archive (database, uploads, secrets, checksum)."""
        try:
            path = create_backup(directory=Path(directory) if directory else None)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Sauvegarde écrite : {path} ({_human(path.stat().st_size)})")
        if prune_after:
            for removed in prune():
                click.echo(f"Supprimée (rétention) : {removed.name}")

    @backup_cli.command("restore")
    @click.argument("archive", type=click.Path(dir_okay=False))
    def restore_command(archive):
        """Restore ARCHIVE into this empty instance, then rebuild the search index."""
        try:
            manifest = restore_backup(archive=Path(archive))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        rows = sum((manifest.get("tables") or {}).values())
        files = sum(1 for name in manifest["files"] if name.startswith("uploads/"))
        click.echo(
            f"Sauvegarde du {manifest['created_at']} restaurée : {rows} lignes, "
            f"{files} fichier(s) envoyé(s) ; index de recherche reconstruit."
        )
        if os.environ.get("SECRET_KEY"):
            click.echo(
                "Attention : SECRET_KEY est défini dans l'environnement ; il remplace la clé "
                "restaurée dans instance/. Reprenez l'ancienne valeur pour garder les sessions."
            )

    @backup_cli.command("list")
    def list_command():
        """List the archives, newest first, with their size and age."""
        backups = list_backups()
        if not backups:
            click.echo(f"Aucune sauvegarde dans {backup_dir()}.")
        for backup in backups:
            hours = backup.age.total_seconds() / 3600
            age = f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.0f} j"
            click.echo(f"{backup.path.name}  {_human(backup.size):>9}  il y a {age}")

    @backup_cli.command("prune")
    def prune_command():
        """Delete the archives beyond BACKUP_KEEP_DAILY days and BACKUP_KEEP_WEEKLY weeks."""
        removed = prune()
        click.echo(f"{len(removed)} sauvegarde(s) supprimée(s).")

    if backup_cli.name not in app.cli.commands:
        app.cli.add_command(backup_cli)
