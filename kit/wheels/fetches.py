"""How many learners' computers fetched each package: the teacher sees who is stuck installing.

pip sends no cookie, so a learner is counted by the address their computer fetched from; one
computer fetching a package ten times counts once. The counts are kept in one small JSON file
in the data folder, written only when a new (package, computer) pair appears — a few dozen
writes a class — so 20 learners installing at once never wait on the disk.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from kit.durable import replace_durably


class FetchCounter:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            self._seen = {project: set(addresses) for project, addresses in saved.items()}
        except (OSError, ValueError, AttributeError):
            self._seen: dict[str, set[str]] = {}

    def record(self, project: str, address: str) -> None:
        with self._lock:
            addresses = self._seen.setdefault(project, set())
            if address in addresses:
                return
            addresses.add(address)
            data = json.dumps({p: sorted(a) for p, a in self._seen.items()}).encode("utf-8")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                replace_durably(self.path, data)
            except OSError:
                pass       # a read-only stick: the counts still show until the kit stops

    def counts(self) -> list[tuple[str, int]]:
        """(package, computers that fetched it), most fetched first."""
        with self._lock:
            return sorted(((p, len(a)) for p, a in self._seen.items()), key=lambda pair: (-pair[1], pair[0]))
