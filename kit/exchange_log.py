"""Every tutor exchange, appended to a JSON-lines file: question, mode, passages and scores,
engine, model, answer, timings. Lets a teacher (and we) see what the tutor really did.

Append-only for now; the classroom store takes it over later.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path


class ExchangeLog:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: dict) -> None:
        """One line per exchange, flushed and fsynced so a pulled plug loses at most the
        exchange being written."""
        line = json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **record},
                          ensure_ascii=False, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as log:
                log.write(line + "\n")
                log.flush()
                os.fsync(log.fileno())

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:   # a line cut short by a crash: skip it, keep the rest
                continue
        return records
