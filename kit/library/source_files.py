"""Source pages kept gzip'd in an imported pack, read back as if they were plain.

A published doc set's pages are read only when the index is built (the index holds each page's
HTML itself, kit/library/stored_html.py), so keeping them plain on the stick paid their full
size a second time: Debian's python3.11-doc was 50 MB of HTML in the pack folder beside the
index. `kit import` stores each page as `page.html.gz` (a format's `after_copy`); whatever
reads a source page asks for `page.html` through `stored` or `read_source`, which take the
plain file when there is one (an organiser may drop a corrected page in) and the gzip'd one
otherwise. Images and media are never compressed: they are served as they are.
"""
from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

SUFFIX = ".gz"
LEVEL = 9        # written once, read only on a rebuild: the smallest is worth the seconds


def plain_name(name: str) -> str:
    """`page.html` for `page.html.gz`; other names unchanged."""
    return name[:-len(SUFFIX)] if name.endswith(SUFFIX) else name


def stored(path: Path) -> Path:
    """The file on disk for the source file `path`: itself, or its gzip'd copy."""
    if path.exists():
        return path
    packed = path.with_name(path.name + SUFFIX)
    return packed if packed.exists() else path


def read_source(path: Path, limit: int | None = None) -> bytes:
    """The plain bytes of source file `path` (at most `limit`, when given)."""
    actual = stored(path)
    opener = gzip.open if actual.name.endswith(SUFFIX) and not path.name.endswith(SUFFIX) else open
    with opener(actual, "rb") as source:
        return source.read(-1 if limit is None else limit)


def compress_pages(root: Path, suffixes: tuple[str, ...]) -> None:
    """Replace every file under `root` ending in one of `suffixes` by its gzip'd copy, with the
    same modification time (the index's signatures are size and time of the stored file)."""
    for folder, _, names in os.walk(root):
        for name in names:
            if not name.lower().endswith(suffixes):
                continue
            plain = Path(folder) / name
            packed = plain.with_name(name + SUFFIX)
            with open(plain, "rb") as source, gzip.GzipFile(packed, "wb", LEVEL, mtime=0) as target:
                shutil.copyfileobj(source, target)
            shutil.copystat(plain, packed)
            plain.unlink()
