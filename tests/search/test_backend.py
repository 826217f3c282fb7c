"""Both backends on hand-made documents: French analysis (inclusive writing and word
families too), highlighting, facets, spelling, acl filtering; then Whoosh's
rebuild-and-swap. Whoosh runs in RAM; PostgreSQL full text on the test database (skipped
when PostgreSQL does not answer, except with CI=true)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from tremplin.search.backend import (
    SCHEMA_VERSION,
    Document,
    QuerySpec,
    WhooshBackend,
    fold,
    make_schema,
)
from tremplin.search.storage import FileStore, RamStore, RebuildRunning

ANY = frozenset({"anyone"})


@pytest.fixture(params=["whoosh", "postgresql"])
def backend(request):
    if request.param == "whoosh":
        yield WhooshBackend(RamStore(make_schema, SCHEMA_VERSION))
        return
    from sqlalchemy import create_engine

    from tests.kit.app import CI, ensure_pg_database, pg_sqlalchemy_url
    from tremplin.search.pg import PostgresBackend

    url = pg_sqlalchemy_url()
    try:
        ensure_pg_database(url)
    except Exception as exc:  # noqa: BLE001
        if CI:
            pytest.fail(f"PostgreSQL does not answer: {exc}")
        pytest.skip(f"PostgreSQL does not answer: {exc}")
    engine = create_engine(url)
    pg = PostgresBackend(engine)
    pg.clear()
    yield pg
    pg.clear()  # the app tests that follow on this database start from an empty index
    engine.dispose()


def doc(doc_id, title="", body="", **fields):
    return Document(
        id=doc_id,
        type=fields.pop("type", doc_id.split(":")[0]),
        title=title,
        body=body,
        date=fields.pop("date", datetime(2025, 3, 1)),
        **fields,
    )


def ids(backend, *words, **spec):
    spec.setdefault("principals", ANY)
    found = backend.query(QuerySpec(words=list(words), **spec))
    return [hit.id for hit in found.hits]


def test_accents_do_not_matter_either_way(backend):
    backend.index(
        [
            doc("project:1", "Atelier de cosmétique naturelle"),
            doc("project:2", "Cosmetique bio sans accent"),
        ]
    )
    assert set(ids(backend, "cosmetique")) == {"project:1", "project:2"}
    assert set(ids(backend, "COSMÉTIQUE")) == {"project:1", "project:2"}
    assert set(ids(backend, "cosmétiques")) == {"project:1", "project:2"}


def test_french_stemming_finds_plural_feminine_and_verb_forms(backend):
    backend.index(
        [
            doc("need:1", "Recherche d’un bénévole"),
            doc("need:2", "Financement participatif", body="Nous voulons financer un four"),
        ]
    )
    assert ids(backend, "bénévoles") == ["need:1"]
    assert ids(backend, "benevole") == ["need:1"]
    assert set(ids(backend, "financement")) == {"need:2"}
    assert set(ids(backend, "financer")) == {"need:2"}


def test_ligatures_and_elisions(backend):
    backend.index([doc("project:1", "Le cœur de l’économie sociale")])
    assert ids(backend, "coeur") == ["project:1"]
    assert ids(backend, "economie") == ["project:1"]
    assert ids(backend, "l'économie") == ["project:1"]


def test_all_words_must_match_unless_asked_otherwise(backend):
    backend.index([doc("project:1", "Café solidaire"), doc("project:2", "Épicerie solidaire")])
    assert ids(backend, "café", "solidaire") == ["project:1"]
    assert set(ids(backend, "café", "épicerie", match_all=False)) == {"project:1", "project:2"}


def test_quoted_phrase_keeps_word_order(backend):
    backend.index(
        [
            doc("project:1", body="une boutique solidaire en ville"),
            doc("project:2", body="solidaire avant tout, une boutique ensuite"),
        ]
    )
    found = backend.query(QuerySpec(phrases=["boutique solidaire"], principals=ANY))
    assert [hit.id for hit in found.hits] == ["project:1"]


def test_prefix_while_typing(backend):
    backend.index([doc("project:1", "Atelier de cosmétique"), doc("project:2", "Cosmos")])
    assert set(ids(backend, "cosmé", prefix=True)) == {"project:1"}
    # Longer than the stem ("cosmet"): still a prefix of the word.
    assert set(ids(backend, "cosmetiq", prefix=True)) == {"project:1"}
    assert set(ids(backend, "atelier", "cosmétiq", prefix=True)) == {"project:1"}
    assert set(ids(backend, "cosm", prefix=True)) == {"project:1", "project:2"}
    assert ids(backend, "cosm") == []  # a whole word when not typing


def test_snippets_escape_everything_but_the_marks(backend):
    backend.index(
        [
            doc(
                "message:1",
                body='<script>alert(1)</script> un four à pain & des <b>bénévoles</b> "motivés"',
            )
        ]
    )
    hit = backend.query(QuerySpec(words=["bénévoles"], principals=ANY)).hits[0]
    html = str(hit.snippet_html)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;/script&gt;" in html and "&amp;" in html
    assert "<mark>bénévoles</mark>" in html
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_title_is_highlighted_and_escaped(backend):
    backend.index([doc("project:1", "Tom & Jerry <cosmétique>")])
    hit = backend.query(QuerySpec(words=["cosmetique"], principals=ANY)).hits[0]
    assert str(hit.title_html) == "Tom &amp; Jerry &lt;<mark>cosmétique</mark>&gt;"


def test_snippet_without_a_body_match_shows_the_tag_then_the_text(backend):
    backend.index([doc("member:1", "Awa", body="Couturière à Montreuil", tags="soudure")])
    hit = backend.query(QuerySpec(words=["soudure"], principals=ANY)).hits[0]
    assert str(hit.snippet_html) == "<mark>soudure</mark> · Couturière à Montreuil"


def test_acl_tokens_filter_hits(backend):
    backend.index(
        [
            doc("message:1", body="secret du groupe", acl=("group:7",)),
            doc("project:1", body="secret public"),
        ]
    )
    assert ids(backend, "secret") == ["project:1"]
    assert set(ids(backend, "secret", principals=frozenset({"anyone", "group:7"}))) == {
        "message:1",
        "project:1",
    }


def test_variants_replace_each_other_and_go_together(backend):
    backend.index(
        [
            doc("member:1", "Awa", variant="visitors", acl=("visitors",)),
            doc("member:1", "Awa Diallo", variant="members", acl=("members",)),
        ]
    )
    assert backend.count() == 2
    backend.index([doc("member:1", "Awa D.", variant="members", acl=("members",))])
    assert [d["uid"] for d in backend.documents()] == ["member:1#members"]
    backend.remove(["member:1"])
    assert backend.count() == 0


def test_removing_a_parent_takes_its_children(backend):
    backend.index(
        [
            doc("group:1", "Cuisine"),
            doc("message:1", body="recette", parents=("group:1", "channel:3")),
            doc("message:2", body="recette", parents=("group:2",)),
        ]
    )
    backend.remove(["channel:3"])  # not a document: nothing happens without with_children
    assert backend.count() == 3
    backend.remove(["group:1"], with_children=True)
    assert [d["id"] for d in backend.documents()] == ["message:2"]


def test_facets_count_every_match_not_only_the_page(backend):
    backend.index(
        [
            doc(
                f"project:{n}",
                "Jardin partagé",
                themes=("agriculture",),
                territory="93" if n % 2 else "75",
                stages=("idee",),
            )
            for n in range(30)
        ]
        + [doc("need:1", "Jardin", themes=("environnement", "agriculture"))]
    )
    found = backend.query(
        QuerySpec(
            words=["jardin"],
            principals=ANY,
            per_page=5,
            facets=("type", "theme", "territory", "stage"),
        )
    )
    assert len(found.hits) == 5 and found.total == 31
    assert dict(found.facets["type"]) == {"project": 30, "need": 1}
    assert dict(found.facets["theme"]) == {"agriculture": 31, "environnement": 1}
    assert dict(found.facets["territory"]) == {"93": 15, "75": 15}
    assert dict(found.facets["stage"]) == {"idee": 30}


def test_filters_and_date_sort(backend):
    old, new = datetime(2020, 1, 1), datetime(2025, 1, 1)
    backend.index(
        [
            doc("project:1", "Vélo solidaire", date=old, themes=("environnement",)),
            doc("project:2", "Vélo cargo", date=new, themes=("numerique",)),
            doc("need:1", "Un vélo", date=new - timedelta(days=1)),
        ]
    )
    assert ids(backend, "vélo", sort="date") == ["project:2", "need:1", "project:1"]
    assert ids(backend, "vélo", types=("need",)) == ["need:1"]
    assert ids(backend, "vélo", filters={"theme": "environnement"}) == ["project:1"]
    assert set(ids(backend, "vélo", date_range=(datetime(2024, 1, 1), None))) == {
        "project:2",
        "need:1",
    }


def test_spelling_corrections_come_from_the_vocabulary(backend):
    backend.index([doc("project:1", "Atelier de cosmétique", body="bénévoles bienvenus")])
    assert backend.corrections(["cosmetiqe", "benevoles", "atelier", "xyzzyqw"]) == {
        "cosmetiqe": "cosmétique"
    }
    assert fold("Cosmétique") == "cosmetique"


@pytest.mark.parametrize(
    "words",
    [
        ['"', "(", ")", "[", "]", "{", "}", "*", "?", ":", "AND", "OR", "NOT", "~", "^2", "\\"],
        ["title:foo", "body:*", "a*b?c", "[a TO z]", '"unbalanced', "((((", "-", "+", "''"],
        ["é" * 300],
        ["a"],
        ["日本語", "🙂"],
    ],
)
def test_syntax_characters_are_plain_text(backend, words):
    backend.index([doc("project:1", "foo bar")])
    backend.query(QuerySpec(words=words, principals=ANY, prefix=True, facets=("type",)))
    backend.query(QuerySpec(phrases=[" ".join(words)], principals=ANY))
    backend.corrections(words)


def test_rebuild_swaps_in_a_fresh_index_and_replays_what_changed_meanwhile(tmp_path):
    backend = WhooshBackend(FileStore(tmp_path / "index", make_schema, SCHEMA_VERSION))
    backend.index([doc("project:1", "Ancien titre"), doc("project:9", "Disparu")])
    written = threading.Event()

    def documents():
        yield doc("project:1", "Titre reconstruit")
        # Meanwhile the site writes: a new project, and project 1 edited again.
        thread = threading.Thread(
            target=lambda: (
                backend.index([doc("project:2", "Nouveau pendant la reconstruction")]),
                written.set(),
            )
        )
        thread.start()
        thread.join()
        yield doc("project:3", "Troisième")

    replayed = []

    def catch_up(keys):
        replayed.append(set(keys))
        return [doc("project:2", "Nouveau pendant la reconstruction")], set()

    assert backend.rebuild(documents(), catch_up) == 2
    assert written.is_set()
    assert {"project:2"} in replayed
    assert sorted(d["id"] for d in backend.documents()) == ["project:1", "project:2", "project:3"]
    assert ids(backend, "reconstruit") == ["project:1"]
    # The live pointer names the new generation; the old one is kept for late readers.
    generations = sorted(p.name for p in (tmp_path / "index").glob("gen-*"))
    assert len(generations) == 2
    assert (tmp_path / "index" / "CURRENT").read_text().split()[0] in generations


def test_a_second_rebuild_at_the_same_time_is_refused(tmp_path):
    backend = WhooshBackend(FileStore(tmp_path / "index", make_schema, SCHEMA_VERSION))

    def documents():
        with pytest.raises(RebuildRunning):
            backend.rebuild([], None)
        yield doc("project:1", "Un")

    assert backend.rebuild(documents(), None) == 1


def test_another_process_sees_the_swap(tmp_path):
    root = tmp_path / "index"
    site = WhooshBackend(FileStore(root, make_schema, SCHEMA_VERSION))
    cli = WhooshBackend(FileStore(root, make_schema, SCHEMA_VERSION))
    site.index([doc("project:1", "Avant")])
    assert ids(site, "avant") == ["project:1"]
    cli.rebuild([doc("project:1", "Après")], None)
    assert ids(site, "après") == ["project:1"] and ids(site, "avant") == []
    site.index([doc("project:2", "Écrit après le swap")])
    assert ids(cli, "swap") == ["project:2"]


def test_an_index_of_another_schema_version_is_replaced_by_an_empty_one(tmp_path):
    old = WhooshBackend(FileStore(tmp_path / "index", make_schema, SCHEMA_VERSION - 1))
    old.index([doc("project:1", "Vieux")])
    new = WhooshBackend(FileStore(tmp_path / "index", make_schema, SCHEMA_VERSION))
    assert new.store.outdated()
    assert new.needs_rebuild()
    assert new.count() == 0 and not new.store.outdated()


# --- French word families and inclusive writing (lexicon.py) -------------------------------


def test_couturieres_finds_every_form_of_the_trade(backend):
    backend.index(
        [
            doc("member:1", "Aminata, couturière", body="Retouches à Montreuil"),
            doc("member:2", "Fatou", tags="couturier·ère"),
            doc("member:3", "Atelier partagé", body="Nous sommes trois couturiers."),
            doc("member:4", "Mariam", tags="Couture"),
            doc("member:5", "Garage solidaire", body="Voitures d’occasion"),
        ]
    )
    found = {"member:1", "member:2", "member:3", "member:4"}
    assert set(ids(backend, "couturières")) == found
    assert set(ids(backend, "couturier")) == found
    assert set(ids(backend, "couture")) == found
    assert set(ids(backend, "Couturiere")) == found


def test_porteuse_finds_porteur_se_in_every_spelling(backend):
    backend.index(
        [
            doc("project:1", "Porteur·se de projet"),
            doc("project:2", "Porteur.se recherché.e"),
            doc("project:3", "Appel aux porteur(se)s"),
            doc("project:4", "Une porteuse de projet"),
            doc("project:5", "Deux porteurs"),
            doc("project:6", "Porte ouverte"),
        ]
    )
    every = {f"project:{n}" for n in range(1, 6)}
    assert set(ids(backend, "porteuse")) == every
    assert set(ids(backend, "porteurs")) == every
    assert set(ids(backend, "porteur·ses")) == every


def test_feminine_and_plural_forms_meet(backend):
    backend.index(
        [
            doc("member:1", "Animateur·rice d’ateliers"),
            doc("member:2", "Entrepreneure sociale"),
            doc("member:3", "Bénévole·s bienvenu·e·s", body="Ami(e)s du quartier"),
            doc("member:4", "Musicienne", body="Sportive et créative"),
        ]
    )
    assert ids(backend, "animatrice") == ["member:1"]
    assert ids(backend, "entrepreneur") == ["member:2"]
    assert ids(backend, "entrepreneuses") == ["member:2"]
    assert ids(backend, "bénévoles") == ["member:3"]
    assert ids(backend, "amies") == ["member:3"]
    assert ids(backend, "musicien") == ["member:4"]
    assert ids(backend, "sportif") == ["member:4"]


def test_what_does_not_fold(backend):
    backend.index(
        [
            doc("project:1", "Voiturier du marché"),
            doc("project:2", "Matériel de peinture"),
            doc("project:3", "Tiers·lieu et e.g. 3.5"),
        ]
    )
    assert ids(backend, "voiture") == []  # no rule on "-ure": only the listed trades
    assert ids(backend, "lieu") == ["project:3"]  # not an inclusive ending: two words


def test_the_lexicon_rules():
    from tremplin.search.lexicon import canonical, inclusive_parts

    assert inclusive_parts("porteur·se") == ["porteur"]
    assert inclusive_parts("couturier·ère·s") == ["couturier"]
    assert inclusive_parts("ami(e)s") == ["ami"]
    assert inclusive_parts("e.g") == ["e.g"]
    assert inclusive_parts("tiers·lieu") == ["tiers", "lieu"]
    assert canonical("porteuses") == canonical("porteur") == canonical("porteurs")
    assert canonical("couturieres") == canonical("couturier") == canonical("couture")
    assert canonical("animatrice") == canonical("animateur")
    assert canonical("heureuse") == canonical("heureux")
    assert canonical("patronne") == canonical("patron")
    assert canonical("bus") == "bus" and canonical("idee") == "idee"  # too short to touch
