"""Damaged classroom files the teacher has not seen yet, told from the files themselves.

A damaged file is renamed aside (`<name>.damaged-YYYYmmdd-HHMMSS`, kit/durable.py) and
that rename is fsynced before the kit goes on. So the set-aside file is the evidence: listing
them on every start tells the teacher about damage found by a kit that was killed a moment
later, which a notice kept only in that kit's memory never could. The teacher's "Seen" is
kept in `notices-seen.json` beside them (written atomically); the files themselves are never
deleted — someone may want to rescue them.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from kit.durable import replace_durably
from kit.translations import lazy_text

SEEN_FILE = "notices-seen.json"
_ASIDE = re.compile(r"^(?P<original>.+)\.damaged-(?P<stamp>\d{8}-\d{6})(?:-\d+)?$")


def set_aside_files(folder: Path) -> list[Path]:
    """Every damaged file moved aside in `folder`, oldest first."""
    found = [p for p in Path(folder).glob("*.damaged-*") if _ASIDE.match(p.name)]
    return sorted(found, key=lambda p: (_ASIDE.match(p.name)["stamp"], p.name))


def _seen(folder: Path) -> set[str]:
    try:
        names = json.loads((Path(folder) / SEEN_FILE).read_text(encoding="utf-8"))
        return {str(name) for name in names} if isinstance(names, list) else set()
    except (OSError, ValueError):
        return set()           # unreadable: show everything again rather than hide damage


def unseen_notices(folder: Path) -> list[dict]:
    """[{"file", "text"}] for each set-aside file the teacher has not marked as seen."""
    seen, notices = _seen(folder), []
    for path in set_aside_files(folder):
        if path.name in seen:
            continue
        match = _ASIDE.match(path.name)
        when = time.strftime("%Y-%m-%d %H:%M", time.strptime(match["stamp"], "%Y%m%d-%H%M%S"))
        original = match["original"]
        kind = (lazy_text("the spare copy of %(name)s", name=original.removesuffix(".bak"))
                if original.endswith(".bak") else original)
        notices.append({"file": path.name, "text": lazy_text(      # said in the teacher's language
            "%(file)s was found damaged on %(when)s (a crash, a power cut or a pulled stick) and set "
            "aside as %(aside)s in %(folder)s; the kit went on from the last good copy where there "
            "was one. Nothing was deleted.", file=kind, when=when, aside=path.name, folder=str(Path(folder)))})
    return notices


def mark_seen(folder: Path, names: list[str]) -> None:
    """Remember that the teacher has read these notices (names of set-aside files)."""
    present = {p.name for p in set_aside_files(folder)}
    seen = (_seen(folder) | set(names)) & present
    replace_durably(Path(folder) / SEEN_FILE, json.dumps(sorted(seen), indent=1).encode("utf-8"))
