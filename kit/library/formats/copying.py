"""Copying a source into the library, leaving out text files too big to import.

A source that is one file (a Kiwix ZIM, up to 90 GB) is hard-linked when the data folder is on
the same disk: such files are replaced by a new edition, never edited in place.

A 2 GB Markdown or HTML file would be refused by the indexer anyway (LANTERN_MAX_FILE_MB);
copying it first would only fill the disk. Images and media are copied whatever their size:
they are served as they are, never read.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from kit.library.documents import ImportProblem

TEXT_SUFFIXES = {".md", ".markdown", ".html", ".htm", ".txt", ".vtt", ".srt", ".json", ".yml", ".yaml"}
# Never read and never served (kit/web/pack_files.py serves media only), so not kept twice: a
# Sphinx build's copy of its reST sources, scripts and stylesheets, and hidden files (.git).
NOT_KEPT_FOLDERS = {"_sources"}
NOT_KEPT_SUFFIXES = {".js", ".css", ".map"}


def kept(path: Path) -> bool:
    if path.name.startswith(".") or (path.is_dir() and path.name in NOT_KEPT_FOLDERS):
        return False
    return path.is_dir() or path.suffix.lower() not in NOT_KEPT_SUFFIXES


def too_big(size: int, max_bytes: int) -> str:
    mib = 1024 * 1024
    return (f"the file is {size / mib:.0f} MB, over the {max_bytes / mib:.0f} MB limit. Split it "
            "into smaller files, or raise LANTERN_MAX_FILE_MB, and import again.")


def copy_source(source: Path, target: Path, max_bytes: int) -> list[ImportProblem]:
    """Copy the folder (or single file) `source` to `target`, but what is never `kept`; the
    text files too big to import left out, as problems naming them."""
    left_out: list[ImportProblem] = []

    def ignore(folder, names):
        skipped = []
        for name in names:
            path = Path(folder) / name
            if not kept(path):
                skipped.append(name)
            elif path.suffix.lower() in TEXT_SUFFIXES and path.is_file() and path.stat().st_size > max_bytes:
                left_out.append(ImportProblem(path.relative_to(source).as_posix(),
                                              "not copied: " + too_big(path.stat().st_size, max_bytes)))
                skipped.append(name)
        return skipped

    if source.is_file():
        target.mkdir(parents=True)
        _link_or_copy(source, target / source.name)
    else:
        shutil.copytree(source, target, ignore=ignore)
    return left_out


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the data folder is on the same disk (a 90 GB ZIM is not copied), a
    copy otherwise (another disk, a USB stick, a file system without links)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
