"""Where the Whoosh index lives, and how a rebuild replaces it while the site runs.

A directory holds generations (`gen-<stamp>/`, each a whole Whoosh index) and a
`CURRENT` file naming the live one. `flask search reindex` builds a new generation, then
swaps `CURRENT` under an exclusive lock; writers hold a shared lock and, while a rebuild
runs, journal the ids they touched so the rebuild replays them before and during the
swap. Nothing is lost, searches never stop. In RAM (tests) the same rules apply with
threading locks.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from whoosh import index as windex
from whoosh.filedb.filestore import RamStorage

log = logging.getLogger(__name__)


class RebuildRunning(RuntimeError):
    pass


class IndexStore(Protocol):
    def current(self): ...

    def writing(self): ...

    def journal(self, keys: set[str]) -> None: ...

    def rebuilding(self): ...

    def swap(self, ix, final: Callable[[], None]) -> None: ...

    def outdated(self) -> bool: ...


# --- RAM -----------------------------------------------------------------------------------


class _PollingLock:
    """Whoosh polls `acquire()` until its timeout; a plain threading.Lock would block
    forever instead (RamStorage's default), so a stuck writer would hang the process."""

    def __init__(self):
        self._lock = threading.Lock()

    def acquire(self, blocking: bool = False) -> bool:
        return self._lock.acquire(blocking)

    def release(self) -> None:
        self._lock.release()


class _RamStorage(RamStorage):
    """RamStorage with timeouts that work, and temporary files kept in memory: the stock
    one writes sortable columns through `/tmp/MAIN.tmp/`, a directory every process on
    the machine shares and deletes when done (so parallel runs break each other)."""

    _guard = threading.Lock()

    def lock(self, name):
        with self._guard:
            if name not in self.locks:
                self.locks[name] = _PollingLock()
            return self.locks[name]

    def temp_storage(self, name=None):
        return RamStorage()


class _SharedExclusive:
    """A small readers-writer lock: many writers of documents, one swapper."""

    def __init__(self):
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False

    @contextmanager
    def shared(self):
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self):
        with self._cond:
            while self._exclusive or self._shared:
                self._cond.wait()
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class RamStore:
    def __init__(self, make_schema, version: int):
        self.make_schema = make_schema
        self.version = version
        self._ix = _RamStorage().create_index(make_schema())
        self._swap = _SharedExclusive()
        self._rebuild = threading.Lock()
        self._journal_lock = threading.Lock()
        self._journal: set[str] | None = None

    def current(self):
        return self._ix

    @contextmanager
    def writing(self):
        with self._swap.shared():
            yield self._ix

    def journal(self, keys: set[str]) -> None:
        with self._journal_lock:
            if self._journal is not None:
                self._journal.update(keys)

    def _drain(self) -> set[str]:
        with self._journal_lock:
            keys, self._journal = set(self._journal or ()), set()
            return keys

    @contextmanager
    def rebuilding(self):
        if not self._rebuild.acquire(blocking=False):
            raise RebuildRunning("a rebuild is already running")
        try:
            with self._journal_lock:
                self._journal = set()
            yield _RamStorage().create_index(self.make_schema()), self._drain
        finally:
            with self._journal_lock:
                self._journal = None
            self._rebuild.release()

    def swap(self, ix, final: Callable[[], None]) -> None:
        with self._swap.exclusive():
            final()
            self._ix = ix

    def outdated(self) -> bool:
        return False


# --- directory -----------------------------------------------------------------------------


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[bool]:
    """flock on a file of its own (an open file description per call, so threads of one
    process exclude each other as separate processes do). Yields False when a
    non-blocking attempt fails."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class FileStore:
    POINTER = "CURRENT"

    def __init__(self, root: str | os.PathLike, make_schema, version: int):
        self.root = Path(root)
        self.make_schema = make_schema
        self.version = version
        self._opened: tuple[str, object] | None = None
        self._lock = threading.Lock()

    # the live generation ---------------------------------------------------------------

    def _read_pointer(self) -> tuple[str, int] | None:
        try:
            text = (self.root / self.POINTER).read_text().split()
        except FileNotFoundError:
            return None
        if len(text) != 2 or not (self.root / text[0]).is_dir():
            return None
        return text[0], int(text[1])

    def _write_pointer(self, name: str) -> None:
        tmp = self.root / f".{self.POINTER}.{uuid.uuid4().hex}"
        tmp.write_text(f"{name} {self.version}\n")
        os.replace(tmp, self.root / self.POINTER)

    def _new_generation(self):
        name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        path = self.root / name
        path.mkdir(parents=True)
        return name, windex.create_in(str(path), self.make_schema())

    def current(self):
        pointer = self._read_pointer()
        if pointer is None or pointer[1] != self.version:
            self.root.mkdir(parents=True, exist_ok=True)
            with _flock(self.root / "swap.lock", fcntl.LOCK_EX):
                pointer = self._read_pointer()
                if pointer is None or pointer[1] != self.version:
                    if pointer is not None:
                        log.warning(
                            "Search index built by another schema version: starting "
                            "an empty one; run `flask search reindex`."
                        )
                    name, _ix = self._new_generation()
                    self._write_pointer(name)
                    pointer = (name, self.version)
        return self._open(pointer[0])

    def _open(self, name: str):
        with self._lock:
            if self._opened is None or self._opened[0] != name:
                self._opened = (name, windex.open_dir(str(self.root / name)))
            return self._opened[1]

    def outdated(self) -> bool:
        pointer = self._read_pointer()
        return pointer is None or pointer[1] != self.version

    @contextmanager
    def writing(self):
        while True:
            self.current()  # creates the first generation if needed (exclusive lock)
            with _flock(self.root / "swap.lock", fcntl.LOCK_SH):
                pointer = self._read_pointer()
                if pointer is not None and pointer[1] == self.version:
                    yield self._open(pointer[0])
                    return

    # rebuilding ------------------------------------------------------------------------

    def _rebuild_running(self) -> bool:
        with _flock(self.root / "rebuild.lock", fcntl.LOCK_SH | fcntl.LOCK_NB) as got:
            return not got

    def journal(self, keys: set[str]) -> None:
        if not keys or not self._rebuild_running():
            return
        with _flock(self.root / "journal.lock", fcntl.LOCK_EX):
            with open(self.root / "journal", "a", encoding="utf-8") as handle:
                handle.write("".join(f"{key}\n" for key in sorted(keys)))

    def _drain(self) -> set[str]:
        with _flock(self.root / "journal.lock", fcntl.LOCK_EX):
            path = self.root / "journal"
            try:
                keys = set(path.read_text(encoding="utf-8").split())
            except FileNotFoundError:
                return set()
            path.unlink()
            return keys

    @contextmanager
    def rebuilding(self):
        self.current()  # make sure the directory and a live generation exist
        with _flock(self.root / "rebuild.lock", fcntl.LOCK_EX | fcntl.LOCK_NB) as got:
            if not got:
                raise RebuildRunning("a rebuild is already running")
            self._drain()  # left over by an interrupted rebuild: it starts from scratch
            name, ix = self._new_generation()
            ix._tremplin_generation = name
            try:
                yield ix, self._drain
            except BaseException:
                ix.close()
                shutil.rmtree(self.root / name, ignore_errors=True)
                raise

    def swap(self, ix, final: Callable[[], None]) -> None:
        name = ix._tremplin_generation
        with _flock(self.root / "swap.lock", fcntl.LOCK_EX):
            final()
            self._write_pointer(name)
        # Keep the generation just replaced (a process may still be reading it); drop older.
        generations = sorted(p for p in self.root.glob("gen-*") if p.is_dir())
        keep = {name}
        previous = [p for p in generations if p.name != name]
        if previous:
            keep.add(max(previous, key=lambda p: p.stat().st_mtime).name)
        for path in generations:
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
