"""A Whoosh writer for the bulk reindex: the same segment files as Whoosh's own writer,
written for a fraction of its cost.

Whoosh's `SegmentWriter` puts every posting (field, term, document, weight, value) in a
pool, sorts all of them at commit, then reads each document's field length back from the
lengths column it has just written, once per posting (the profile of a 5,000-document
reindex: a third of the time in that loop). Here, as documents arrive in order, each
term keeps its own list of postings (already in document order): the commit sorts the
terms only, and the lengths come from memory. Analysis, stored fields, columns and the
codec's files are Whoosh's own, so the index is the one Whoosh would have written
(`tests/search/test_indexing.py` compares both).
"""

from __future__ import annotations

import multiprocessing
import os
from array import array
from collections import defaultdict
from collections.abc import Callable, Sequence

from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage, Storage
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter


class _TermPostings:
    """The pool's interface, holding postings per field and term instead of one list to
    sort: {field: {term bytes: ([documents], [weights], [value bytes])}}."""

    def __init__(self):
        self.fields: dict[str, dict[bytes, list]] = defaultdict(dict)

    def add(self, item) -> None:
        fieldname, btext, docnum, weight, vbytes = item
        docnums, weights, values = self.fields[fieldname].setdefault(btext, ([], [], []))
        docnums.append(docnum)
        weights.append(weight)
        values.append(vbytes)

    def cleanup(self) -> None:
        self.fields.clear()


_QUANTISED: dict[int, int | None] = {}


def _quantised(length: int) -> int | None:
    value = _QUANTISED.get(length)
    if value is None and length not in _QUANTISED:
        lbyte = length_to_byte(length)
        value = byte_to_length(lbyte) if lbyte else None
        _QUANTISED[length] = value
    return value


class BulkWriter(SegmentWriter):
    """A writer for a new, empty index (the rebuild's): `add_document` and `commit`, one
    segment, no deletions, no merging."""

    def __init__(self, ix, *, share: bool = False, **kwargs):
        # share: one of several writers of a parallel rebuild (`build_segments`): no lock
        # (the parent holds it), no temporary directory of its own to remove (they share
        # Whoosh's fixed name; the parent's writer removes it), no TOC (`segment()`).
        if share:
            kwargs["_lk"] = False
        # Posting blocks stored as they are (zlib was a quarter of the commit, for an
        # index a third larger); one file per part of the segment (no compound file to
        # copy them into at the end).
        kwargs.setdefault("codec", W3Codec(compression=0))
        kwargs.setdefault("compound", False)
        super().__init__(ix, **kwargs)
        self.pool.cleanup()  # the temporary run files Whoosh's pool would have used
        self.pool = _TermPostings()
        if share:
            self._tempstorage = Storage()  # destroy() does nothing
        self._lengths: dict[str, dict[int, int]] = defaultdict(dict)
        if not isinstance(self.codec, W3Codec):  # pragma: no cover - Whoosh 2.7's default
            raise TypeError("BulkWriter writes the whoosh3 codec's files")

    def add_document(self, **fields) -> None:
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool.fields
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    scorable = field.scorable
                    terms = pool[fieldname]
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        postings = terms.get(tbytes)
                        if postings is None:
                            terms[tbytes] = ([docnum], [weight * fieldboost], [vbytes])
                        else:
                            postings[0].append(docnum)
                            postings[1].append(weight * fieldboost)
                            postings[2].append(vbytes)
                if field.vector or field.separate_spelling():
                    raise TypeError("BulkWriter: no term vectors nor separate spelling fields")
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
                if length:
                    self._lengths[fieldname][docnum] = length
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def segment(self):
        """Finish this writer's segment without publishing it (a parallel rebuild's child:
        the parent puts every segment in one TOC)."""
        self._check_state()
        segment = self._finalize_segment()
        self._finish()
        return segment

    def commit_with(self, segments: Sequence) -> None:
        """Commit this writer's segment, then `segments` (written by `segment()` in other
        processes, into the same index), in one new TOC generation: readers see all of
        them or none."""
        self._check_state()
        final = [self._finalize_segment()] if self._added else []
        if not self._added:
            self._close_segment()
        final.extend(segments)
        ids = [s.segment_id() for s in final]
        if len(set(ids)) != len(ids):  # pragma: no cover - random 16-character names
            raise RuntimeError(f"search: two segments share an id: {ids}")
        self._commit_toc(final)
        self._finish()

    def delete_by_term(self, *args, **kwargs):  # pragma: no cover - guarded misuse
        raise TypeError("BulkWriter only adds documents to a new index")

    def _merge_segments(self, mergetype, optimize, merge):
        if self.segments:  # pragma: no cover - guarded misuse
            raise TypeError("BulkWriter only writes a new, empty index")
        return []

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        writer = self.fieldwriter
        limit = self.codec._blocklimit
        for fieldname in sorted(self.pool.fields):
            terms = self.pool.fields[fieldname]
            lengths = {d: _quantised(n) for d, n in self._lengths.get(fieldname, {}).items()}
            writer.start_field(fieldname, self.schema[fieldname])
            for btext in sorted(terms):
                writer.start_term(btext)
                _fill_blocks(writer._postwriter, terms[btext], lengths, limit)
                writer.finish_term()
            writer.finish_field()
        writer.close()
        self.pool.cleanup()


def _fill_blocks(postwriter, postings: tuple, lengths: dict[int, int | None], limit: int) -> None:
    """What `W3PostingsWriter.add_posting` leaves in its block buffer, a block at a time
    (every full block written; the last one is written by `finish_postings`)."""
    all_docnums, all_weights, all_values = postings
    total = len(all_docnums)
    valued = any(all_values)
    for start in range(0, total, limit):
        end = start + limit
        docnums = all_docnums[start:end]
        weights = all_weights[start:end]
        found = [n for n in map(lengths.get, docnums) if n]
        postwriter._ids = array("I", docnums)
        postwriter._weights = array("f", weights)
        postwriter._values = [v for v in all_values[start:end] if v] if valued else []
        postwriter._minlength = min(found) if found else None
        postwriter._maxlength = max(found) if found else 0
        postwriter._maxweight = max(0, max(weights))
        if end < total:
            postwriter._write_block()


def build_segments(ix, fields: Callable, docs: Sequence, processes: int, timeout: float) -> int:
    """Write `docs` into the new, empty index `ix` (in a directory) as `processes`
    segments in parallel, then publish them in one TOC.

    Document analysis and posting encoding are pure Python (the GIL): the work is split
    between processes, forked (they inherit `docs`, nothing is pickled but the returned
    segment descriptions). The parent holds the index lock and writes the first share
    (documents keep their order across the segments); child k writes share k. If a child
    fails or dies, nothing is published and the error is raised: the caller drops the new
    index, and the live one is untouched."""
    if processes > 1 and not isinstance(ix.storage, FileStorage):
        raise ValueError("a parallel rebuild needs an index in a directory")
    bounds = [len(docs) * k // processes for k in range(processes + 1)]
    writer = BulkWriter(ix, timeout=timeout)
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for k in range(1, processes):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(
                target=_child,
                args=(ix, fields, docs, bounds[k], bounds[k + 1], send),
                name=f"search-reindex-{k}",
                daemon=True,
            )
            child.start()
            send.close()
            children.append((child, receive))
        for n in range(bounds[0], bounds[1]):
            writer.add_document(**fields(docs[n]))
        segments = []
        for child, receive in children:
            try:
                segment = receive.recv()
            except EOFError:  # died without a word (killed, or raised: see its stderr)
                segment = None
            child.join()
            if segment is None or child.exitcode != 0:
                raise RuntimeError(
                    f"search: reindex process {child.name} failed (exit code {child.exitcode})"
                )
            segments.append(segment)
        writer.commit_with(segments)
    except BaseException:
        for child, _receive in children:
            if child.is_alive():
                child.kill()
        if not writer.is_closed:
            try:
                writer.cancel()
            except Exception:  # noqa: BLE001 - half-closed: the lock at least must go
                writer.writelock.release()
        raise
    finally:
        for child, receive in children:
            child.join()
            receive.close()
    return len(docs)


def _child(ix, fields: Callable, docs: Sequence, start: int, end: int, send) -> None:
    writer = BulkWriter(ix, share=True)
    for n in range(start, end):
        writer.add_document(**fields(docs[n]))
    send.send(writer.segment())
    send.close()


def processes_for(wanted: int | None, count: int, per_process: int) -> int:
    """How many processes a rebuild of `count` documents uses: `wanted` (None: one per
    core), at most the cores, and at least `per_process` documents each."""
    cores = os.cpu_count() or 1
    wanted = cores if wanted is None else wanted
    return max(1, min(wanted, cores, count // max(1, per_process)))
