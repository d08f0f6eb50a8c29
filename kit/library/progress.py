"""The kit's one progress line for long work in a terminal (an import, a stick's copy), with no
dependencies.

A ZIM of 80,000 articles takes minutes to index: without a sign of life an organiser stops it.
On a terminal one line is rewritten in place ("12,345 / 80,000 articles (15%)", with \\r);
into a log or a pipe, where \\r would pile up, a full line is written only every `every`
seconds, so a log of a long import stays short. Nothing is printed for imports that finish
within `delay` seconds. Counts are written by `count_text` (the stick writes bytes as MB), and a
step may name what it is on (the file being copied).
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Counts done items and reports them now and then: `advance()` per item, `finish()` once."""

    def __init__(self, total: int | None, unit: str = "items", stream: TextIO | None = None,
                 every: float | None = None, delay: float = 1.0, clock=time.monotonic,
                 count_text: Callable[[int], str] = "{:,}".format):
        self.total, self.unit, self.done, self.count_text = total, unit, 0, count_text
        self.name = ""              # what the last step was on, shown after the count
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every if every is not None else (0.2 if self.tty else 10.0)
        self.clock = clock
        self.started = clock()
        self.next_report = self.started + delay
        self.shown = False          # a line was printed, so finish() ends it

    def line(self) -> str:
        """'12,345 / 80,000 articles (15%)', or '12,345 articles' when the total is unknown."""
        done = " ".join(filter(None, [self.count_text(self.done), self.unit]))
        if self.total:
            percent = min(100, self.done * 100 // self.total)
            done = " ".join(filter(None, [self.count_text(self.done), "/", self.count_text(self.total), self.unit,
                                          f"({percent}%)"]))
        return f"{done}  {self.name[-40:]}" if self.name else done

    def advance(self, count: int = 1, name: str = "") -> None:
        self.done += count
        self.name = name
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
