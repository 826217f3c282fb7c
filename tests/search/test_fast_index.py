"""The bulk writer (bulk.py) writes the index Whoosh's own writer would, and the word
searches of fastpath.py rank as Whoosh's matchers score every match."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from whoosh.filedb.filestore import RamStorage

from tremplin.search.backend import SCHEMA_VERSION, Document, QuerySpec, WhooshBackend
from tremplin.search.storage import RamStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WORDS = """atelier couture couturière couturier·ère porteur·se porteuse épicerie solidaire
vélo cargo livraison jardin partagé compost bénévoles bénévolat recyclerie réparation
formation numérique cuisine cantine marché producteur paysanne miel ruche quartier
association coopérative financement prêt cigale tiers-lieu salle four pain boulangerie
le la les des et pour avec dans sur""".split()


def corpus(size: int = 120) -> list[Document]:
    rng = random.Random(16)
    docs = []
    for n in range(size):
        kind = rng.choice(["project", "member", "message", "need"])
        docs.append(
            Document(
                id=f"{kind}:{n}",
                type=kind,
                title=" ".join(rng.choices(WORDS, k=rng.randint(0, 5))).capitalize(),
                tags=" ".join(rng.choices(WORDS, k=rng.randint(0, 3))),
                body=" ".join(rng.choices(WORDS, k=rng.randint(5, 60))),
                acl=(rng.choice(["anyone", "members", "group:1", "group:2"]),),
                themes=tuple(rng.sample(["textile", "agriculture", "culture"], rng.randint(0, 2))),
                territory=rng.choice([None, "75", "93"]),
                date=datetime(2025, 1, 1) + timedelta(days=n),
                boost=rng.choice([1.0, 1.0, 1.5]),
            )
        )
    return docs


def postings(ix) -> dict:
    """Every term's postings, lengths and stored fields of an index."""
    out = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for fieldname, btext in reader.all_terms():
            matcher = reader.postings(fieldname, btext)
            out[(fieldname, btext)] = list(
                zip(matcher.all_ids(), _weights(reader, fieldname, btext), strict=True)
            )
            info = reader.term_info(fieldname, btext)
            out[("info", fieldname, btext)] = (
                info.weight(),
                info.doc_frequency(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
            )
        for docnum in range(reader.doc_count_all()):
            out[("stored", docnum)] = reader.stored_fields(docnum)
            for fieldname in ("all", "title", "tags", "spell", "title_words", "tag_words"):
                out[("length", docnum, fieldname)] = reader.doc_field_length(docnum, fieldname)
        out["lengths"] = {
            name: reader.field_length(name) for name in ("all", "title", "tags", "spell")
        }
    return out


def _weights(reader, fieldname, btext):
    matcher = reader.postings(fieldname, btext)
    weights = []
    while matcher.is_active():
        weights.append((round(matcher.weight(), 6), matcher.value()))
        matcher.next()
    return weights


def test_the_bulk_writer_writes_what_whooshs_writer_writes():
    docs = corpus()
    bulk = WhooshBackend(RamStore(_schema, SCHEMA_VERSION))
    bulk.rebuild(docs)
    plain = RamStorage().create_index(_schema())
    writer = plain.writer()
    for doc in docs:
        writer.add_document(**WhooshBackend._fields(doc))
    writer.commit()
    built, expected = postings(bulk.store.current()), postings(plain)
    assert built.keys() == expected.keys()
    assert built == expected
    assert len([k for k in built if k[0] == "stored"]) == len(docs)


def _schema():
    from tremplin.search.analysis import make_schema

    return make_schema()


SPECS = [
    dict(words=["couturière"]),
    dict(words=["atelier", "couture"]),
    dict(words=["porteuse", "vélo", "jardin"], match_all=False),
    dict(words=["bénévoles", "épicerie", "marché"], match_all=False),
    dict(words=["cuisine", "recycl"], prefix=True),  # one word begins with it
    dict(words=["pain"], types=("project", "need")),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: " ".join(s["words"]))
def test_the_fast_path_ranks_as_whoosh_scores_every_match(spec):
    backend = WhooshBackend(RamStore(_schema, SCHEMA_VERSION))
    backend.rebuild(corpus())
    backend.index(corpus(10)[3:6])  # a second segment, and deletions in the first
    query = QuerySpec(principals=frozenset({"anyone", "group:1"}), per_page=200, **spec)
    fast = backend.query(query)
    assert fast.hits
    searcher = backend._searcher()
    results = searcher.search(
        backend._text_query(query), limit=None, filter=backend._allowed(searcher, query)
    )
    expected = [(searcher.stored_fields(h.docnum)["uid"], round(h.score, 6)) for h in results]
    assert [(hit.uid, round(hit.score, 6)) for hit in fast.hits] == expected


def test_whooshs_matchers_and_the_fast_path_give_the_same_page():
    backend = WhooshBackend(RamStore(_schema, SCHEMA_VERSION))
    backend.rebuild(corpus())
    query = QuerySpec(
        words=["atelier", "couture"],
        principals=frozenset({"anyone", "members", "group:1", "group:2"}),
        facets=("type", "theme", "territory"),
    )
    fast = backend.query(query)
    backend.fast_path = False
    slow = backend.query(query)
    assert fast.total == slow.total and fast.facets == slow.facets
    assert [(h.uid, h.title_html, h.snippet_html) for h in fast.hits] == [
        (h.uid, h.title_html, h.snippet_html) for h in slow.hits
    ]
    assert any("<mark>" in h.snippet_html for h in fast.hits)
