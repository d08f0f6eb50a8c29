"""Pick the retriever's grounding thresholds on the eval set: print hit@3 and the refusal rate
of out-of-scope questions for a grid of (min_score, min_coverage), best balance first.

    .venv/bin/python bench/calibrate_grounding.py [--show-misses]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.tutor import retrieval  # noqa: E402
from kit.library.index_db import connect  # noqa: E402
from kit.library.indexer import build_index  # noqa: E402
from kit.settings import load_settings  # noqa: E402
from tests.eval.measure import load_eval, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    settings = load_settings(environ={}, data_dir=Path(tempfile.mkdtemp(prefix="lantern-cal-")))
    build_index(settings)
    conn = connect(settings.index_path, readonly=True)
    evaluation = load_eval()
    rows = []
    for min_score in (0.0, 2.0, 4.0):
        for min_coverage in [c / 100 for c in range(30, 76, 3)]:
            m = measure(conn, evaluation, min_score=min_score, min_coverage=min_coverage)
            rows.append((min(m.hit_at_3, m.refusal_rate), m.hit_at_3, m.refusal_rate, min_score, min_coverage))
    rows.sort(reverse=True)
    print(f"{len(evaluation['answerable'])} answerable, {len(evaluation['out_of_scope'])} out of scope")
    print("min_score min_coverage  hit@3  refusals")
    for _, hit, refusal, min_score, min_coverage in rows[:12]:
        print(f"{min_score:9.1f} {min_coverage:12.2f}  {hit:5.3f}  {refusal:8.3f}")
    current = measure(conn, evaluation)
    print(f"current thresholds (MIN_SCORE={retrieval.MIN_SCORE}, MIN_COVERAGE={retrieval.MIN_COVERAGE}):"
          f" hit@3 {current.hit_at_3:.3f}, refusals {current.refusal_rate:.3f}")
    if args.show_misses:
        print("\n".join(["misses:", *current.misses, "not refused:", *current.not_refused]))


if __name__ == "__main__":
    main()
