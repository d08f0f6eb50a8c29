"""Opening Kiwix ZIM files with libzim, and the items a page shows (images) read from them.

libzim is GPL-3.0-or-later, so it is an optional extra (`pip install 'lantern-kit[zim]'`), not
part of the default install or the stick's program: every use goes through `_reader()`, which
turns its absence into a problem saying what to install and what that means licence-wise.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kit.library.documents import ImportProblem

MAGIC = b"ZIM\x04"          # the first 4 bytes of every ZIM file (0x044D495A little-endian)
INSTALL_HINT = (
    "Reading ZIM files needs libzim, which this install does not have. Install it with "
    "`pip install 'lantern-kit[zim]'` (or `pip install libzim`) and import again; for the "
    "stick's program, build it with `build/build.py --with-zim`. Note: libzim is "
    "GPL-3.0-or-later, so a kit you hand on with it included is covered by the GPL; the "
    "default install and the stick's program leave it out for that reason.")
# Items a ZIM pack serves as they are. Never HTML, scripts or styles: articles are shown
# sanitised as pages, and a script served from the kit's own address would run as the kit.
SERVED_TYPES = ("image/", "audio/", "video/", "application/pdf")
CHUNK_BYTES = 64 * 1024
IMPORT_CLUSTER_CACHE = 2 * 1024 * 1024   # see small_cluster_cache


def _reader():
    """libzim's reader module, or ImportProblem with INSTALL_HINT (the file name is added by
    the caller, who knows it)."""
    try:
        from libzim import reader
    except ImportError:
        raise ImportProblem("", INSTALL_HINT)
    return reader


def has_zim_magic(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(4) == MAGIC
    except OSError:
        return False


def open_archive(path: Path, shown_as: str):
    """A libzim Archive for `path`, or an ImportProblem naming `shown_as` and what to do."""
    if not has_zim_magic(path):
        size = path.stat().st_size if path.exists() else 0
        what = "empty" if size == 0 else "not a ZIM file (it does not start as ZIM files do)"
        raise ImportProblem(shown_as, f"{what}. Download the ZIM again (library.kiwix.org), "
                                      "or import the file with the right name and format.")
    try:
        reader = _reader()
    except ImportProblem as problem:
        raise ImportProblem(shown_as, problem.message)
    try:
        return reader.Archive(str(path))
    except RuntimeError as error:   # libzim: "bad size or corrupted", "too small to contain a header"
        raise ImportProblem(shown_as, f"the ZIM file is damaged or incomplete ({error}). "
                                      "Download it again; a partly copied file looks like this.")


@contextlib.contextmanager
def small_cluster_cache(max_bytes: int = IMPORT_CLUSTER_CACHE):
    """While a whole ZIM is read in order, keep libzim's cache of decompressed clusters small:
    at its default (16 MB counted, ~4× that resident) an import's memory grows with the ZIM's
    size (measured: 22 → 87 MB over 20,000 articles; 32 MB flat with 2 MB). The cache is
    process-wide, so the previous size comes back afterwards."""
    reader = _reader()
    if not hasattr(reader, "set_cluster_cache_max_size"):    # older libzim: no such knob
        yield
        return
    previous = reader.get_cluster_cache_max_size()
    reader.set_cluster_cache_max_size(max_bytes)
    try:
        yield
    finally:
        reader.set_cluster_cache_max_size(previous)


def zim_in_pack(root: Path) -> Path | None:
    """The one .zim file a ZIM pack's folder holds (None when there is none)."""
    found = sorted(root.glob("*.zim"))
    return found[0] if len(found) == 1 else None


@dataclass
class ZimItem:
    """What the page route sends: the item's type and its bytes in chunks, or where a
    redirect entry points."""
    mimetype: str = ""
    content: memoryview | None = None
    redirect_to: str = ""

    def chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self.content), CHUNK_BYTES):
            yield bytes(self.content[start:start + CHUNK_BYTES])


@functools.lru_cache(maxsize=8)
def _cached_archive(path: str, signature: tuple):
    """Opening a ZIM reads its header and indexes; keep the last few open (libzim reads are
    thread-safe). `signature` (size, mtime) makes a replaced file open afresh."""
    return open_archive(Path(path), Path(path).name)


def zim_item(root: Path, item_path: str) -> ZimItem | None:
    """The media item at `item_path` in the pack's ZIM, a redirect to follow, or None: not a
    ZIM pack, no such item, or a kind of item that is not served (HTML, scripts, styles).
    The path is looked up inside the ZIM, never on disk, so '..' cannot leave the pack."""
    zim_path = zim_in_pack(root)
    if zim_path is None or not item_path:
        return None
    stat = zim_path.stat()
    try:
        archive = _cached_archive(str(zim_path), (stat.st_size, stat.st_mtime_ns))
        if not archive.has_entry_by_path(item_path):
            return None
        entry = archive.get_entry_by_path(item_path)
        if entry.is_redirect:
            return ZimItem(redirect_to=entry.get_redirect_entry().path)
        item = entry.get_item()
        if not item.mimetype.startswith(SERVED_TYPES):
            return None
        return ZimItem(mimetype=item.mimetype, content=item.content)
    except (ImportProblem, RuntimeError):
        return None
