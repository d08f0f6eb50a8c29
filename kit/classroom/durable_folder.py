"""The classroom's TinyDB files in one folder: one lock around every TinyDB call, group commit.

TinyDB is not thread-safe (8 threads writing without a lock corrupted a file), so every call,
reads too, goes through ONE lock. Writing durably means fsyncs, and a fsync on a USB stick takes
tens of milliseconds: holding the lock through it would make every page view wait behind every
write. So a write holds the lock only while TinyDB changes the in-memory state, then waits for
the disk with the lock released; writers arriving together share one disk write.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

from tinydb import TinyDB

from kit.classroom.atomic_storage import AtomicJSONStorage


class DurableFolder:
    """The TinyDB files of one folder, with ONE lock around every TinyDB call and group commit.

    `with folder.lock:` for reads; `with folder.writing():` for writes -- it holds the lock for
    the TinyDB calls and, once the lock is released, waits until every file they changed is on
    disk. Readers never wait behind a fsync, and writers that arrive together share one.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.lock = threading.RLock()
        self.warnings: list[str] = []
        self._dbs: list[TinyDB] = []

    def open(self, name: str) -> TinyDB:
        db = TinyDB(self.folder / name, storage=AtomicJSONStorage, autoflush=False)
        with self.lock:
            self._dbs.append(db)
            self.warnings.extend(db.storage.warnings)
        return db

    @contextmanager
    def writing(self):
        """Use as a write method's outermost lock (inside the lock, the flush could not wait
        outside it). A half-done write is flushed too: memory is ahead of the disk then."""
        changed = []
        try:
            with self.lock:
                before = [(db.storage, db.storage.version) for db in self._dbs]
                try:
                    yield
                finally:
                    changed = [(storage, storage.version) for storage, version in before
                               if storage.version != version]
        finally:
            for storage, version in changed:
                storage.flush(version)

    def close(self) -> None:
        """Flush and close every file, all of them even if one fails (then raise the first)."""
        with self.lock:
            dbs, self._dbs = self._dbs, []
        errors = []
        for db in dbs:
            try:
                db.close()
            except OSError as error:
                errors.append(error)
        if errors:
            raise errors[0]
