"""Images uploaded by members: checked by their content, re-encoded, stored under a random
name outside `static/`, and served only to those allowed to see them.

An upload is never trusted: its name and declared type are ignored, Pillow must decode it
whole, its size and pixel count are bounded, and what is stored is a fresh encoding of the
pixels (no metadata, no trailing bytes). Files follow the database transaction: a file
stored in a transaction that rolls back is removed, and a file replaced or deleted leaves
the disk only once the transaction commits.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from PIL import Image, ImageOps, UnidentifiedImageError

from tremplin.platform.errors import DomainError
from tremplin.platform.extensions import db
from tremplin.platform.transactions import after_commit, after_rollback

bp = Blueprint("uploads", __name__)

ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(webp|png|jpg)$")
MIMETYPES = {"webp": "image/webp", "png": "image/png", "jpg": "image/jpeg"}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000  # decoding more would cost too much memory


class ImageRejected(DomainError):
    default_message = _l("Ce fichier n'est pas une image acceptée (PNG, JPEG, WebP ou GIF).")


@dataclass(frozen=True)
class ImageRule:
    """How one kind of image is kept: the longest side after resizing, and whether it is
    cropped to a square (avatars, logos)."""

    max_side: int
    square: bool = False


RULES = {
    "avatar": ImageRule(max_side=512, square=True),
    "logo": ImageRule(max_side=512, square=True),
    "photo": ImageRule(max_side=1600),
}

# A resolver answers for the files its module stored: `resolver(name, viewer)` returns
# None when the name is not one of its files, else whether the viewer may see it.
_resolvers: list[Callable[[str, object], bool | None]] = []


def register_resolver(resolver: Callable[[str, object], bool | None]) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _limits() -> tuple[int, int]:
    cfg = current_app.config
    return (
        int(cfg.get("UPLOAD_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES)),
        int(cfg.get("UPLOAD_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS)),
    )


def _read_limited(file, max_bytes: int, field: str | None) -> bytes:
    stream = getattr(file, "stream", file)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(
            _(
                "Cette image est trop lourde : %(mb)s Mo au maximum.",
                mb=f"{max_bytes / (1024 * 1024):g}",
            ),
            field=field,
        )
    if not data:
        raise ImageRejected(_("Le fichier envoyé est vide."), field=field)
    return data


def _decode(data: bytes, max_pixels: int, field: str | None) -> Image.Image:
    """Open and fully decode the image, or refuse it. Pillow's own decompression-bomb
    guard is turned into a refusal too."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
            if probe.format not in ACCEPTED_FORMATS:
                raise ImageRejected(field=field)
            width, height = probe.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise ImageRejected(
                    _(
                        "Cette image est trop grande : %(mp)d millions de pixels au maximum.",
                        mp=max_pixels // 1_000_000,
                    ),
                    field=field,
                )
            probe.verify()  # structure and checksums; the object is unusable afterwards
            image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
            image.load()  # decode every pixel: a truncated or forged file fails here
        except ImageRejected:
            raise
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            SyntaxError,
            ValueError,
            EOFError,
        ) as exc:
            raise ImageRejected(field=field) from exc
    return image


def _reencode(image: Image.Image, rule: ImageRule) -> tuple[bytes, str]:
    if getattr(image, "is_animated", False):
        image.seek(0)  # an animation is kept as its first frame
    image = ImageOps.exif_transpose(image)  # keep the visible orientation, then drop EXIF
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    if rule.square:
        image = ImageOps.fit(
            image, (min(rule.max_side, *image.size),) * 2, method=Image.Resampling.LANCZOS
        )
    else:
        image.thumbnail((rule.max_side, rule.max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh image carries no metadata: no EXIF, GPS, ICC or text chunks are written.
    image.save(out, format="WEBP", quality=85, method=4)
    return out.getvalue(), "webp"


def store_image(file, kind: str = "photo", *, field: str | None = None) -> str:
    """Check, re-encode and store an uploaded image; return its stored name.

    Raises ImageRejected (a DomainError naming `field`) for anything that is not a
    reasonable image. The file is removed again if the transaction rolls back."""
    rule = RULES[kind]
    max_bytes, max_pixels = _limits()
    data = _read_limited(file, max_bytes, field)
    image = _decode(data, max_pixels, field)
    try:
        encoded, extension = _reencode(image, rule)
    except (OSError, ValueError) as exc:
        raise ImageRejected(field=field) from exc
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, even of an empty transaction, is seen
    name = f"{secrets.token_urlsafe(24)}.{extension}"
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.part"
    temporary.write_bytes(encoded)
    os.replace(temporary, folder / name)
    after_rollback(db.session, _unlink, folder, name)
    return name


def _path(name: str) -> Path | None:
    if not name or not NAME_PATTERN.match(name):
        return None
    return upload_dir() / name


def delete_upload(name: str | None) -> None:
    """Remove a stored file now (for cleanup outside a transaction)."""
    path = _path(name) if name else None
    if path is not None:
        path.unlink(missing_ok=True)


def discard_upload(name: str | None) -> None:
    """Remove a stored file once the current transaction commits (kept if it rolls back)."""
    if name:
        after_commit(db.session, _unlink, upload_dir(), name)


def _unlink(folder: Path, name: str) -> None:
    if NAME_PATTERN.match(name):
        (folder / name).unlink(missing_ok=True)


def is_stored(name: str | None) -> bool:
    path = _path(name) if name else None
    return bool(path and path.is_file())


@bp.route("/fichiers/<name>")
def serve(name: str):
    """An uploaded image, if some module claims it and lets the viewer see it. Unknown and
    forbidden files both answer 404, so a private file's existence is not revealed."""
    path = _path(name)
    if path is None:
        abort(404)
    allowed = None
    for resolver in _resolvers:
        allowed = resolver(name, current_user)
        if allowed is not None:
            break
    if not allowed or not path.is_file():
        abort(404)
    extension = name.rsplit(".", 1)[1]
    response = send_from_directory(
        upload_dir(), name, mimetype=MIMETYPES[extension], max_age=3600, conditional=True
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    # Visibility can change (a member hides their photo): never in a shared cache.
    response.cache_control.public = False
    response.cache_control.private = True
    return response


def init_app(app: Flask) -> None:
    if "uploads" not in app.blueprints:
        app.register_blueprint(bp)
