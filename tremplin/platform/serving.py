"""Serving as production does: compressed pages, compressed and cacheable static files.

- Pages and JSON are gzip-compressed by Flask-Compress when the browser accepts it.
- Static files are served by WhiteNoise from a copy of `static/` under the instance folder,
  with a gzip twin of each text file made once at start-up (WhiteNoise sends the twin to
  browsers that accept it), and a one-year `Cache-Control`: every `url_for('static', …)`
  carries `?v=<hash of the file>`, so a changed file has a new URL and is fetched again.
- The server banner (gunicorn's `Server:` header) says no version (see gunicorn.conf.py).

Tests keep Flask's own static route (`STATIC_WHITENOISE` is off when TESTING) unless a test
turns it on.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

from flask import Flask
from flask_compress import Compress

ONE_YEAR = 365 * 24 * 3600
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".txt", ".map", ".html"}

compress = Compress()


def _hashes(folder: Path) -> dict[str, str]:
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            relative = path.relative_to(folder).as_posix()
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return found


def _build(source: Path, target: Path) -> None:
    """Copy `source` into `target` with a .gz twin of each text file (atomic per file;
    several processes may start at once)."""
    for path in source.rglob("*"):
        if not path.is_file():
            continue
        destination = target / path.relative_to(source)
        if destination.exists() and destination.stat().st_mtime >= path.stat().st_mtime:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        _write(destination, data)
        if path.suffix in COMPRESSIBLE and len(data) > 512:
            _write(destination.with_name(destination.name + ".gz"), gzip.compress(data, 9, mtime=0))
        os.utime(destination, (path.stat().st_mtime, path.stat().st_mtime))


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 512)
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    app.config.setdefault("STATIC_WHITENOISE", not app.testing)
    compress.init_app(app)

    static = Path(app.static_folder)
    versions = _hashes(static)

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint == "static" and "v" not in values:
            version = versions.get(values.get("filename", ""))
            if version:
                values["v"] = version

    if app.config["STATIC_WHITENOISE"]:
        _whitenoise(app)
    from tremplin.platform import admission

    admission.init_app(app)  # last: the outermost layers (proxy headers, admission)


def _whitenoise(app: Flask) -> None:
    from whitenoise import WhiteNoise

    static = Path(app.static_folder)

    target = Path(app.instance_path) / "static-build"
    _build(static, target)
    if target.exists():  # files removed from static/ must not linger in the copy
        for stale in [p for p in target.rglob("*") if p.is_file()]:
            original = static / stale.relative_to(target)
            if stale.suffix == ".gz":
                original = original.with_suffix("")
            if not original.exists():
                stale.unlink(missing_ok=True)
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(target),
        prefix="static/",
        max_age=ONE_YEAR,
        autorefresh=False,
    )
