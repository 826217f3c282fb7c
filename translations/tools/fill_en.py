"""Fill English translations into translations/en from a JSON dict {msgid: msgstr}.

Usage: .venv/bin/python translations/tools/fill_en.py translations/tools/en_<part>.json
Re-run `make extract` first so new msgids are in the catalogue. Existing translations are
kept unless the JSON gives a new one.
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "en" / "LC_MESSAGES" / "messages.po"


def main(paths):
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="en")
    missing = 0
    for path in paths:
        pairs = json.loads(Path(path).read_text())
        for msgid, msgstr in pairs.items():
            message = catalog.get(msgid)
            if message is None:
                missing += 1
                continue
            message.string = msgstr
            message.flags.discard("fuzzy")
    with open(PO, "wb") as handle:
        write_po(handle, catalog, width=100)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(untranslated)} untranslated, {missing} given but not in the catalogue")


if __name__ == "__main__":
    main(sys.argv[1:])
