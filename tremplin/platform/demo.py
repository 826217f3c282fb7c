"""A fictional French network for `flask demo load`: every name here is invented.

The platform creates the people; each module's registered loader adds its own objects
(profiles, projects, groups, meetups…) using the shared context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tremplin.platform import accounts
from tremplin.platform.hooks import registry

DEMO_PASSWORD = "cafe-projets-du-mardi-2026"
DEMO_LOGIN = "awa.diallo@demo.tremplin.example.org"

# key, display name, city, département, site role, profile roles
PEOPLE: list[tuple[str, str, str, str, str, tuple[str, ...]]] = [
    ("awa", "Awa Diallo", "Montreuil", "93", "member", ("porteur",)),
    ("karim", "Karim Benali", "Paris 11e", "75", "member", ("porteur",)),
    ("lucie", "Lucie Marchand", "Paris 20e", "75", "member", ("porteur", "investisseur")),
    ("moussa", "Moussa Traoré", "Saint-Denis", "93", "member", ("porteur",)),
    ("ines", "Inès Haddad", "Lyon 8e", "69", "member", ("porteur",)),
    ("thomas", "Thomas Lefèvre", "Villeurbanne", "69", "member", ("porteur",)),
    ("fatou", "Fatou Sow", "Aubervilliers", "93", "member", ("porteur", "mentor")),
    ("claire", "Claire Dubois", "Paris 3e", "75", "organiser", ("animateur", "mentor")),
    ("lakdar", "Lakdar Kherbi", "Paris 3e", "75", "organiser", ("animateur",)),
    ("bernadette", "Bernadette Thomasset", "Paris 19e", "75", "admin", ("animateur",)),
    ("jean", "Jean-Pierre Morel", "Vincennes", "94", "member", ("mentor", "investisseur")),
    ("sophie", "Sophie Lambert", "Boulogne-Billancourt", "92", "member", ("mentor",)),
    ("mamadou", "Mamadou Keïta", "Créteil", "94", "member", ("mentor", "investisseur")),
    ("nathalie", "Nathalie Girard", "Paris 11e", "75", "member", ("investisseur",)),
    ("olivier", "Olivier Roux", "Paris 12e", "75", "member", ("investisseur",)),
    ("yasmina", "Yasmina Cherif", "Bobigny", "93", "member", ("investisseur", "porteur")),
    ("paul", "Paul Nguyen", "Ivry-sur-Seine", "94", "member", ("investisseur",)),
    ("aminata", "Aminata Coulibaly", "Évry-Courcouronnes", "91", "member", ("porteur",)),
    ("julien", "Julien Perrin", "Lyon 1er", "69", "member", ("mentor",)),
    ("camille", "Camille Fontaine", "Marseille 1er", "13", "member", ("porteur",)),
    ("rachid", "Rachid Amrani", "Nanterre", "92", "member", ("investisseur", "mentor")),
    ("elodie", "Élodie Bernard", "Paris 10e", "75", "member", ("porteur",)),
    ("samuel", "Samuel Ouedraogo", "Montreuil", "93", "member", ("mentor",)),
    ("helene", "Hélène Rousseau", "Paris 14e", "75", "member", ("investisseur",)),
]


def demo_email(key: str, name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ascii_name.lower().replace(" ", ".").replace("'", "")
    return f"{local}@demo.tremplin.example.org"


@dataclass
class DemoContext:
    """What the loaders share: people by key, and whatever each module adds by name."""

    users: dict[str, Any] = field(default_factory=dict)
    people: dict[str, dict] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def load() -> dict[str, int]:
    ctx = DemoContext()
    # Every demo account has the same, published password: hashed once (scrypt is meant
    # to be slow), not once per account.
    password_hash = accounts.hash_password(DEMO_PASSWORD)
    for key, name, city, dept, site_role, roles in PEOPLE:
        user = accounts.create_member(demo_email(key, name), None, name, site_role=site_role)
        user.password_hash = password_hash
        ctx.users[key] = user
        ctx.people[key] = {"city": city, "departement": dept, "roles": roles}
    summary = {"membres": len(ctx.users)}
    for _order, loader in registry.demo_loaders:
        summary.update(loader(ctx) or {})
    return summary
