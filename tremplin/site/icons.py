"""The PNG icons and favicon.ico, drawn from static/img/logo.svg (see drawing.py)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tremplin.site.drawing import logo_image, share_card


def write_icons(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, padding in (
        ("icon-192.png", 192, 0.0),
        ("icon-512.png", 512, 0.0),
        ("maskable-512.png", 512, 0.12),
        ("apple-touch-icon.png", 180, 0.08),
    ):
        image = logo_image(size, padding)
        if name.startswith("apple"):  # iOS shows transparency as black
            flat = Image.new("RGB", image.size, "#0f5d63")
            flat.paste(image, mask=image)
            image = flat
        image.save(folder / name, optimize=True)
        written.append(folder / name)
    logo_image(64).save(folder / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    written.append(folder / "favicon.ico")
    share_card("", "Tremplin", "", None).save(folder / "share-default.png", optimize=True)
    written.append(folder / "share-default.png")
    return written
