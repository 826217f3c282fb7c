"""Fill English translations into translations/en from a JSON dict {msgid: msgstr}.

Usage: .venv/bin/python translations/tools/fill_en.py translations/tools/en_<part>.json [...]
Re-run `make extract` first so new msgids are in the catalogue. Existing translations are
kept unless the JSON gives a new one.

For a plural message (ngettext), the key is the singular msgid and the value a list of the
English forms, ["singular", "plural"]; it fills every plural form of the catalogue.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "en" / "LC_MESSAGES" / "messages.po"


def _plural_string(msgstr, num_plurals: int):
    """The tuple of plural forms for the catalogue, or None when the value does not fit."""
    if isinstance(msgstr, str):
        return None
    forms = [str(form) for form in msgstr]
    if not forms or len(forms) > num_plurals:
        return None
    # A language with more forms than given: repeat the last (plural) one.
    forms += [forms[-1]] * (num_plurals - len(forms))
    return tuple(forms)


def main(paths):
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="en")
    missing = 0
    mismatched = []
    for path in paths:
        pairs = json.loads(Path(path).read_text(encoding="utf-8"))
        for msgid, msgstr in pairs.items():
            message = catalog.get(msgid)
            if message is None:
                missing += 1
                continue
            if message.pluralizable:
                string = _plural_string(msgstr, catalog.num_plurals)
                if string is None:
                    mismatched.append(msgid)
                    continue
                message.string = string
            else:
                if not isinstance(msgstr, str):
                    mismatched.append(msgid)
                    continue
                message.string = msgstr
            message.flags.discard("fuzzy")
    with open(PO, "wb") as handle:
        write_po(handle, catalog, width=100)
    untranslated = [
        m.id for m in catalog if m.id and not (all(m.string) if m.pluralizable else m.string)
    ]
    print(f"{len(untranslated)} untranslated, {missing} given but not in the catalogue")
    for msgid in mismatched:
        print(
            f"skipped (plural list expected for a plural message, text for a singular one): "
            f"{msgid!r}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
