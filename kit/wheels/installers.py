"""Installers an organiser drops into a folder (a Python installer, an editor) for learners to
download from the setup page, each shown with its sha256 so a learner can check it.

The folder is `installers/` beside the wheelhouse (`<data>/installers`, `<stick>/installers`).
Only plain files directly inside it are listed and served, by exact name; the sha256 of each is
computed once and kept until its size or mtime changes.
"""
from __future__ import annotations

import threading
from pathlib import Path

from kit.durable import sha256_of


class Installers:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._hashes: dict[str, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def _files(self) -> dict[str, Path]:
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return {}
        return {p.name: p for p in entries if p.is_file() and not p.name.startswith(".")}

    def _sha256(self, path: Path) -> str:
        stat = path.stat()
        with self._lock:
            known = self._hashes.get(path.name)
        if known and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        digest = sha256_of(path)
        with self._lock:
            self._hashes[path.name] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest

    def listing(self) -> list[dict]:
        return [{"name": name, "size": path.stat().st_size, "sha256": self._sha256(path)}
                for name, path in sorted(self._files().items())]

    def path(self, name: str) -> Path | None:
        """The file called exactly `name` in the folder, or None (never a path built from it)."""
        return self._files().get(name)
