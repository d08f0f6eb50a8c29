"""A TinyDB storage that survives a pulled power cord, a yanked stick and a killed process.

TinyDB's own `JSONStorage` rewrites the file in place (seek 0, write, truncate): a crash half way
leaves broken JSON and the whole class's data with it. This storage never touches the file in
place. Each write goes to a temp file in the same folder, is flushed and fsynced, closed (Windows
cannot replace an open file) and `os.replace`d onto the target, and then the folder is fsynced so
the rename itself is on disk. Only then does `flush` return (called by `write` itself unless
`autoflush=False`): whatever the caller acknowledges after it survives a SIGKILL or a power cut.

After the target, the same bytes go to `<name>.bak` the same way. The spare copy therefore always
holds the last acknowledged state, whichever of the two files a crash (or a failing stick, or a
hand edit) damages later. A write torn by a crash can only damage the file being written; the
other one holds at least the last acknowledged state.

On open, a file that is not valid TinyDB JSON (empty, cut short, garbled) is renamed aside to
`<name>.damaged-YYYYmmdd-HHMMSS` -- never deleted, someone may want to rescue it -- and the spare
copy is loaded. `warnings` says what happened, in sentences a teacher can read.

Reads are served from memory: one instance per file per process is the rule, so nothing else
changes the file under us, and parsing megabytes of JSON on every read would make each page
wait. `read` hands TinyDB fresh containers (tables and documents are copied, one level deep),
so TinyDB's in-place edits never touch the kept state; values nested inside documents are
shared, and callers must not mutate them (kit/classroom/store.py hands its callers deep copies).

Group commit: with `autoflush=False`, `write` only keeps the new state (and its JSON) in memory
and bumps `version`; the caller then calls `flush(version)` *after releasing its lock*
(kit/classroom/durable_folder.py does). Page reads never wait behind a fsync, and when many threads write
at once, one disk write covers all of them. This is not
CachingMiddleware: nothing is ever left unwritten when the caller's method returns. If a flush
fails (disk full, stick pulled), the caller gets the error; the change stays in memory and
goes to disk with the next successful flush -- the outcome of a failed write is unknown, as
with any database whose commit fails.
"""
from __future__ import annotations

import json
import os
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from kit.durable import move_aside, replace_durably

BACKUP_SUFFIX = ".bak"
_OPEN_FILES: set[str] = set()          # one instance per file per process, or writes get lost
_OPEN_FILES_LOCK = threading.Lock()


class FileAlreadyOpen(RuntimeError):
    """A second storage on a file this process already has open (two would undo each other's
    writes: each rewrites the whole file from its own copy)."""


def _check(text: str) -> None:
    """Raise ValueError unless `text` is the JSON shape TinyDB writes: {table: {id: {doc}}}."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    for table in data.values():
        if not isinstance(table, dict) or not all(isinstance(d, dict) for d in table.values()):
            raise ValueError("not a TinyDB table")


def read_state(path: Path) -> tuple[str, str | None]:
    """('missing', None) | ('good', text) | ('damaged', reason)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "missing", None
    if not raw.strip():
        return "damaged", "it was empty"
    try:
        text = raw.decode("utf-8")
        _check(text)
    except (UnicodeDecodeError, ValueError) as error:
        return "damaged", f"it could not be read ({error.__class__.__name__})"
    return "good", text


def _saved_at(path: Path) -> str:
    moment = time.localtime(path.stat().st_mtime)
    if time.strftime("%Y-%m-%d", moment) == time.strftime("%Y-%m-%d"):
        return time.strftime("%H:%M:%S", moment)
    return time.strftime("%Y-%m-%d %H:%M:%S", moment)


class AtomicJSONStorage(Storage):
    """TinyDB storage: atomic durable writes, a spare copy, and recovery on open.

    Use as `TinyDB(path, storage=AtomicJSONStorage)`; read `db.storage.warnings` afterwards.
    Not thread-safe by itself -- the Store holds one lock around every TinyDB call.
    """

    def __init__(self, path: str | os.PathLike, autoflush: bool = True):
        super().__init__()
        self.path = Path(path)
        self.autoflush = autoflush
        self.backup = self.path.with_name(self.path.name + BACKUP_SUFFIX)
        self.warnings: list[str] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._key = os.path.realpath(self.path)
        with _OPEN_FILES_LOCK:
            if self._key in _OPEN_FILES:
                raise FileAlreadyOpen(f"{self.path} is already open in this program; use the "
                                      f"store that has it open, or close that one first.")
            _OPEN_FILES.add(self._key)
        self._flush_lock = threading.Lock()
        # (data, its JSON bytes, version): replaced as one tuple, so a flush sees a matching set
        self._latest: tuple[dict | None, bytes | None, int] = (None, None, 0)
        self._durable_version = 0
        try:
            self._remove_leftover_temp_files()
            text = self._load()
            if text is not None:
                self._latest = (json.loads(text), text.encode("utf-8"), 0)
        except BaseException:
            self.close()
            raise

    @property
    def version(self) -> int:
        """Counts writes; `flush(version)` makes everything up to it durable."""
        return self._latest[2]

    def read(self) -> dict[str, dict[str, Any]] | None:
        data = self._latest[0]
        if data is None:
            return None
        return {name: {doc_id: dict(doc) for doc_id, doc in table.items()}
                for name, table in data.items()}

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Serialised here, under the caller's lock: a value JSON cannot hold fails this one
        write and leaves the kept state as it was, instead of failing every later flush."""
        encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                             check_circular=False).encode("utf-8")   # TinyDB data has no cycles
        self._latest = (data, encoded, self._latest[2] + 1)
        if self.autoflush:
            self.flush()

    def flush(self, version: int | None = None) -> None:
        """Return once the state as of `version` (default: the latest) is on disk, in the file
        and in its spare copy. Whoever flushes writes the newest state, which includes every
        earlier write: threads queued here behind a flush often find their work already done."""
        version = self.version if version is None else version
        with self._flush_lock:
            if self._durable_version >= version:
                return
            _, encoded, latest = self._latest
            replace_durably(self.path, encoded)
            replace_durably(self.backup, encoded)
            self._durable_version = latest

    def close(self) -> None:
        try:
            if self.version:
                self.flush()
        finally:
            with _OPEN_FILES_LOCK:
                _OPEN_FILES.discard(self._key)

    # -- opening --------------------------------------------------------------------------

    def _remove_leftover_temp_files(self) -> None:
        """Temp files are writes a crash interrupted before they were acknowledged: the target
        still holds the acknowledged state, so these hold nothing anyone was promised."""
        for leftover in self.path.parent.glob(self.path.name + ".*.tmp"):
            with suppress(OSError):
                leftover.unlink()

    def _load(self) -> str | None:
        name = self.path.name
        state, found = read_state(self.path)
        spare_state, spare = read_state(self.backup)
        if state == "good":
            if spare_state == "damaged":
                aside = move_aside(self.backup)
                self.warnings.append(f"The spare copy of {name} was damaged ({spare}); it was "
                                     f"moved to {aside.name}. {name} itself is fine.")
            return found
        if state == "missing" and spare_state == "missing":
            return None                                     # a new classroom
        if state == "damaged":
            aside = move_aside(self.path)
            what = f"{name} was damaged ({found}); it was moved to {aside.name}"
        else:
            what = f"{name} was missing"
        if spare_state == "good":
            saved = _saved_at(self.backup)
            replace_durably(self.path, spare.encode("utf-8"))    # so the next crash finds it
            self.warnings.append(f"{what} and the last good copy (saved {saved}) was loaded.")
            return spare
        if spare_state == "damaged":
            spare_aside = move_aside(self.backup)
            self.warnings.append(f"{what}, and its spare copy was damaged too (moved to "
                                 f"{spare_aside.name}), so {name} starts empty. Both damaged "
                                 f"files are kept in {self.path.parent}.")
        else:
            self.warnings.append(f"{what} and there was no spare copy, so {name} starts empty.")
        return None

