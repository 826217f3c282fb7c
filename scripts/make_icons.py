"""Build step: draw static/icons/*.png and favicon.ico from static/img/logo.svg.
Run by the Makefile (`python scripts/make_icons.py`); the files are not committed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tremplin.site.icons import write_icons  # noqa: E402

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "static" / "icons"
    for path in write_icons(target):
        print(path.relative_to(target.parents[1]))
