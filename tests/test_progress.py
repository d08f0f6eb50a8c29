"""The progress line of long imports (kit/library/progress.py): one line rewritten on a
terminal, sparse whole lines into a log, silence for a quick import. A fake clock stands in
for time so the tests say exactly when a line is due."""
from __future__ import annotations

import io

from kit.library.progress import Progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run(stream, clock, total, steps, seconds_per_item):
    progress = Progress(total, unit="articles", stream=stream, clock=clock)
    for _ in range(steps):
        clock.now += seconds_per_item
        progress.advance()
    progress.finish()
    return stream.getvalue()


def test_on_a_terminal_one_line_is_rewritten_with_counts_and_percent():
    shown = run(Terminal(), Clock(), total=80_000, steps=12_345, seconds_per_item=0.001)
    assert "\r12,345 / 80,000 articles (15%)" in shown
    assert shown.endswith("\n") and shown.count("\n") == 1        # one line, ended once
    assert shown.count("\r") > 10                                  # rewritten as it went


def test_into_a_log_whole_lines_come_only_every_ten_seconds():
    shown = run(io.StringIO(), Clock(), total=50_000, steps=50_000, seconds_per_item=0.001)
    lines = shown.splitlines()
    assert "\r" not in shown
    assert 5 <= len(lines) <= 7                                    # 50 s of work: a line per 10 s
    assert lines[-1] == "50,000 / 50,000 articles (100%)"


def test_a_quick_import_prints_nothing():
    assert run(Terminal(), Clock(), total=3, steps=3, seconds_per_item=0.01) == ""


def test_without_a_total_it_counts_and_never_claims_a_percentage():
    shown = run(io.StringIO(), Clock(), total=None, steps=3000, seconds_per_item=0.01)
    assert shown.splitlines()[-1] == "3,000 articles" and "%" not in shown


def test_more_items_than_expected_stop_at_100_percent():
    shown = run(io.StringIO(), Clock(), total=100, steps=150, seconds_per_item=0.1)
    assert shown.splitlines()[-1] == "150 / 100 articles (100%)"


def test_a_line_writes_counts_as_asked_and_names_what_it_is_on():
    """The stick's copy: bytes as MB, and the file being copied after the count."""
    stream, clock = Terminal(), Clock()
    progress = Progress(2_000_000, unit="", stream=stream, delay=0, clock=clock,
                        count_text=lambda n: f"{n // 1_000_000} MB")
    progress.advance(1_000_000, "models/smol.gguf")
    assert stream.getvalue() == "\r" + "1 MB / 2 MB (50%)  models/smol.gguf".ljust(40)
