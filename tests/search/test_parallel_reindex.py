"""A rebuild split between processes (bulk.build_segments): the same index as one
process builds, and a child that fails or dies leaves the live index as it was."""

from __future__ import annotations

import os
import signal

import pytest

from tremplin.search.backend import SCHEMA_VERSION, Document, QuerySpec, WhooshBackend
from tremplin.search.storage import FileStore

from .test_fast_index import SPECS, _schema, corpus, postings

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the rebuild stays in one"),
]


def on_disk(path, processes: int) -> WhooshBackend:
    backend = WhooshBackend(FileStore(path, _schema, SCHEMA_VERSION), processes=processes)
    backend.DOCS_PER_PROCESS = 1  # the test corpus is small: split it all the same
    return backend


def test_two_processes_build_the_index_one_process_builds(tmp_path):
    docs = corpus(300)
    one, two = on_disk(tmp_path / "one", 1), on_disk(tmp_path / "two", 2)
    assert one.rebuild(docs) == two.rebuild(docs) == 300
    single, split = one.store.current(), two.store.current()
    assert len(single._segments()) == 1
    assert [s.doc_count() for s in split._segments()] == [150, 150]  # in document order
    assert postings(split) == postings(single)
    principals = frozenset({"anyone", "members", "group:1", "group:2"})
    for spec in SPECS:
        query = QuerySpec(principals=principals, per_page=200, facets=("type", "theme"), **spec)
        got, expected = two.query(query), one.query(query)
        assert got.hits, spec
        assert (got.total, got.facets) == (expected.total, expected.facets)
        assert [(h.uid, round(h.score, 6), h.snippet_html) for h in got.hits] == [
            (h.uid, round(h.score, 6), h.snippet_html) for h in expected.hits
        ]
    # Written to afterwards like any index (this document is in the child's segment).
    two.index([Document(id=docs[200].id, type="project", title="Remplacé par un vélo")])
    assert [h.uid for h in two.query(QuerySpec(words=["remplacé"])).hits] == [docs[200].id]
    assert two.count() == 300


class _Bomb(Document):
    """A document that kills (or fails) the process reading it, unless it is the parent."""

    parent = os.getpid()
    how = "kill"

    def __getattribute__(self, name):
        if name == "body" and os.getpid() != _Bomb.parent:
            if _Bomb.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise ValueError("a child's document could not be read")
        return super().__getattribute__(name)


@pytest.mark.parametrize("how", ["kill", "raise"])
def test_a_child_that_dies_leaves_the_live_index_intact(tmp_path, how, monkeypatch):
    monkeypatch.setattr(_Bomb, "how", how)
    monkeypatch.setattr(_Bomb, "parent", os.getpid())
    backend = on_disk(tmp_path / "index", 2)
    backend.rebuild(corpus(40))
    before = sorted(d["id"] for d in backend.documents())
    root = tmp_path / "index"
    pointer = (root / "CURRENT").read_text()
    generations = sorted(p.name for p in root.glob("gen-*"))

    docs = corpus(60)
    docs[45] = _Bomb(id="project:bomb", type="project", title="Bombe", body="explose")
    with pytest.raises(RuntimeError, match="reindex process"):
        backend.rebuild(docs)

    assert (root / "CURRENT").read_text() == pointer
    assert sorted(p.name for p in root.glob("gen-*")) == generations  # the new one dropped
    assert sorted(d["id"] for d in backend.documents()) == before
    # No lock left behind: the site writes, and the next rebuild goes through.
    backend.index([Document(id="project:99", type="project", title="Écrit après l'échec")])
    assert [h.uid for h in backend.query(QuerySpec(words=["échec"])).hits] == ["project:99"]
    assert backend.rebuild(corpus(60)) == 60
    assert len(backend.store.current()._segments()) == 2


def test_the_number_of_processes_comes_from_the_configuration(tmp_path):
    config = {"SEARCH_INDEX_DIR": str(tmp_path), "SEARCH_REINDEX_PROCESSES": 2}
    assert WhooshBackend.from_config(config).processes == 2
    assert WhooshBackend.from_config({"SEARCH_INDEX_DIR": str(tmp_path)}).processes is None


@pytest.fixture
def on_disk_in_two(app_config, tmp_path):
    """The site's index in a directory, rebuilt by two processes."""
    app_config.update(
        SEARCH_BACKEND="whoosh",
        SEARCH_INDEX_IN_RAM=False,
        SEARCH_INDEX_DIR=str(tmp_path / "index"),
        SEARCH_REINDEX_PROCESSES=2,
    )
    return tmp_path / "index"


def test_the_site_reindexed_by_two_processes_equals_its_incremental_index(
    on_disk_in_two, db, app, search_world, search_index, visitor, find
):
    """The database read once by the parent (its documents then split between the
    processes): the same documents as the updates indexed after each commit."""
    from tremplin.platform.extensions import db as _db

    search_world.project.title = "Conserverie marqueur renommée"
    _db.session.commit()
    incremental = search_index.documents()
    found = find.keys(visitor, "conserverie")
    assert f"project:{search_world.project.id}" in found
    search_index.DOCS_PER_PROCESS = 1
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert len(search_index.store.current()._segments()) == 2
    assert search_index.documents() == incremental
    assert find.keys(visitor, "conserverie") == found
