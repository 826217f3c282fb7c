"""French word families for search: the forms of one word meet before stemming.

Both backends use it (Whoosh in its analyzer, PostgreSQL on the text it hands to
`to_tsvector`), so a word folds the same way everywhere. What folds together:

- **Inclusive writing**: `porteur·se`, `porteur.se`, `porteur•se`, `ami(e)s`,
  `couturier·ère·s` are read as their first word (`porteur`, `ami`, `couturier`) when every
  part after the first is a known feminine or plural ending (`e`, `es`, `se`, `ère`, `rice`,
  `euse`, `ne`, `le`, `te`, `ve`, `s`…). `e.g`, `3.5` or `tiers·lieu` are left alone.
- **Plural**: a final `s` or `x` goes (`couturiers`, `jeux`, `lieux`), not `ss`.
- **Feminine to masculine** (on the folded, singular word): `-euse`, `-eure`, `-eur` and
  `-eux` meet as `-eu` (porteuse = porteur, entrepreneure = entrepreneur, heureuse =
  heureux); `-trice` as `-teu` (animatrice = animateur); `-ère` → `-er` (couturière =
  couturier); `-ienne`/`-enne` → `-ien`/`-en`; `-onne` → `-on`; `-anne` → `-an`;
  `-ive` → `-if`; `-elle` → `-el`; `-ée` → `-é`. The Snowball stemmer then runs on the
  result. Short words keep their ending (no plural rule under four letters, no feminine
  rule under five to seven letters, depending on the ending: `idée` stays `idée`).
- **Trades and the people who practise them** (`FAMILIES`): `couture` joins `couturier`,
  `coiffure` joins `coiffeur`, `boulangerie` joins `boulanger`… A judgement call, taken
  for this network: a member's skill says "Couture" and a visitor looking for a
  "couturière" is looking for that member. It is a short explicit list, not a rule
  (`-ure` → `-urier` would join `voiture` and `voiturier`), limited to the trades of the
  network's themes; a word not listed only meets its own forms.

Costs: a few unrelated words meet (`matrice` and `mateur`, `colonne` and `colon`): accepted,
the analysis is otherwise the French Snowball stemmer, which already joins far more.
"""

from __future__ import annotations

import re

# Endings written after a separator in inclusive writing (accents folded or not).
INCLUSIVE_ENDINGS = frozenset(
    """e es s x se ses ere eres ère ères iere ieres ière ières rice rices trice trices euse
    euses eure eures le les lle lles ne nes nne nnes te tes tte ttes ve ves fe fes ice ices
    ienne iennes ive ives""".split()
)
INCLUSIVE_SEPARATORS = "·•⋅.()"
_SPLIT = re.compile(r"[·•⋅.()]+")

# The trade (or activity) and the person who practises it: each form maps to one word,
# itself then folded by the rules below.
FAMILIES = {
    "couture": "couturier",
    "coiffure": "coiffeur",
    "boulangerie": "boulanger",
    "patisserie": "patissier",
    "menuiserie": "menuisier",
    "jardinage": "jardinier",
    "apiculture": "apiculteur",
    "agriculture": "agriculteur",
    "photographie": "photographe",
    "comptabilite": "comptable",
    "broderie": "brodeur",
    "maraichage": "maraicher",
    "traduction": "traducteur",
    "graphisme": "graphiste",
    "fromagerie": "fromager",
    "epicerie": "epicier",
    "poterie": "potier",
    "cordonnerie": "cordonnier",
    "ebenisterie": "ebeniste",
    "tapisserie": "tapissier",
}

# (ending, replacement, shortest word it applies to), first match wins.
_ENDINGS = (
    ("trice", "teu", 7),
    ("euse", "eu", 6),
    ("eure", "eu", 6),
    ("eur", "eu", 5),
    ("eux", "eu", 5),
    ("iere", "ier", 6),
    ("ere", "er", 6),
    ("ienne", "ien", 7),
    ("enne", "en", 7),
    ("onne", "on", 5),
    ("anne", "an", 7),
    ("ive", "if", 5),
    ("elle", "el", 6),
    ("ee", "e", 5),
)


def inclusive_parts(word: str) -> list[str]:
    """The words a token stands for: `porteur·se` → [porteur]; `e.g` → [e.g];
    `tiers·lieu` → [tiers, lieu]."""
    if not any(ch in word for ch in INCLUSIVE_SEPARATORS):
        return [word]
    parts = [p for p in _SPLIT.split(word) if p]
    if not parts:
        return []
    if len(parts) > 1 and all(p.lower() in INCLUSIVE_ENDINGS for p in parts[1:]):
        return [parts[0]]
    if "." in word and not any(ch in word for ch in "·•⋅()"):
        return [word]  # an abbreviation or a number: one token, as before
    return parts


def singular(word: str) -> str:
    if len(word) >= 4 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def canonical(folded: str) -> str:
    """The form every member of a word's family takes (input: lower case, accents
    folded, one word)."""
    word = singular(folded)
    word = FAMILIES.get(word, word)
    for ending, replacement, shortest in _ENDINGS:
        if len(word) >= shortest and word.endswith(ending):
            return word[: -len(ending)] + replacement
    return word
