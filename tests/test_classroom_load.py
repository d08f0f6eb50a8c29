"""A short classroom load test: bench/classroom_load.py's own `run_load`, with 10 learners
reading and searching and 3 asking the real embedded model for 20 s, against a real
`kit serve` on loopback. Nothing may fail and no question may be lost; the timings are printed
(run with -s to see them), not asserted: the machine is shared.
"""
from __future__ import annotations

from bench.classroom_load import PAGE_KINDS, run_load


def test_a_short_busy_class_gets_every_page_and_every_answer(bundled_content):
    report = run_load(seconds=20, readers=10, askers=3, content=bundled_content)
    assert report.errors == []
    assert report.lost == []
    assert report.asked >= 3 and report.answered == report.asked      # the askers got answers
    assert all(report.requests_by_kind.get(kind, 0) > 0 for kind in PAGE_KINDS), report.requests_by_kind
