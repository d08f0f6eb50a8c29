"""A progress line for long imports in a terminal, with no dependencies.

A ZIM of 80,000 articles takes minutes to index: without a sign of life an organiser stops it.
On a terminal one line is rewritten in place ("12,345 / 80,000 articles (15%)", with \\r);
into a log or a pipe, where \\r would pile up, a full line is written only every `every`
seconds, so a log of a long import stays short. Nothing is printed for imports that finish
within `delay` seconds.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts done items and reports them now and then: `advance()` per item, `finish()` once."""

    def __init__(self, total: int | None, unit: str = "items", stream: TextIO | None = None,
                 every: float | None = None, delay: float = 1.0, clock=time.monotonic):
        self.total, self.unit, self.done = total, unit, 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every if every is not None else (0.2 if self.tty else 10.0)
        self.clock = clock
        self.started = clock()
        self.next_report = self.started + delay
        self.shown = False          # a line was printed, so finish() ends it

    def line(self) -> str:
        """'12,345 / 80,000 articles (15%)', or '12,345 articles' when the total is unknown."""
        if not self.total:
            return f"{self.done:,} {self.unit}"
        percent = min(100, self.done * 100 // self.total)
        return f"{self.done:,} / {self.total:,} {self.unit} ({percent}%)"

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = self.clock()
        if now >= self.next_report:
            self.next_report = now + self.every
            self._write()

    def finish(self) -> None:
        """The final count on its own line, if anything was shown (a quick import stays quiet)."""
        if self.shown:
            self._write()
            if self.tty:
                self.stream.write("\n")
            self.stream.flush()

    def _write(self) -> None:
        if self.tty:     # pad so a shorter line hides the end of the longer one before it
            self.stream.write("\r" + self.line().ljust(40))
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
        self.shown = True
