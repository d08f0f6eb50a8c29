"""The tutor's retrieval on a whole reference library: does a beginner's question get a page a
teacher would accept among the first three sources, is an out-of-scope question refused, and how
long until the first quote is shown. Issue 20's "whole reference library" row, on the questions
in bench/library_questions.toml (our own, about Debian's python3.11-doc build; the build itself
is read where Debian installs it, never copied into the repository).

    .venv/bin/python bench/library_retrieval.py [--docs DIR] [--keep DIR] [-v]

--keep reuses (and keeps) the data folder, so a second run only re-indexes when INDEX_VERSION
changed. Scored like tests/eval/measure.py: the `sources` event the learner receives first,
from the real Tutor (no model is asked), and the retriever must judge the question covered.
A tutorial/ page among the first three is counted apart: the questions are not about those pages.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.library.index_db import ReaderPool  # noqa: E402

from kit.library.indexer import build_index  # noqa: E402
from kit.settings import bundled_content_dir, load_settings  # noqa: E402
from kit.tutor.answering import Question, Tutor  # noqa: E402

DOCS = Path("/usr/share/doc/python3.11-doc/html")
QUESTIONS = ROOT / "bench" / "library_questions.toml"


def _no_engine():
    raise AssertionError("measuring retrieval must not reach the model")


def library(docs: Path, keep: Path | None):
    """Settings of a data folder holding `docs` imported and indexed (imported once when kept)."""
    data = keep or Path(tempfile.mkdtemp(prefix="lantern-libret-"))
    settings = load_settings(environ={}, data_dir=data, content_dirs=(bundled_content_dir(),))
    if not settings.imported_packs_dir.is_dir() or not any(settings.imported_packs_dir.iterdir()):
        kit = Path(sys.executable).parent / "kit"
        subprocess.run([str(kit), "import", str(docs), "--licence", "PSF-2.0", "--data", str(data),
                        "--content", str(bundled_content_dir())], check=True, capture_output=True)
    started = time.perf_counter()
    report = build_index(settings)
    print(f"index: {report.summary()} ({time.perf_counter() - started:.1f} s)")
    return settings


def relpath_of(url: str) -> str:
    """'/p/<pack>/<relpath>#anchor' → relpath."""
    return url.split("#", 1)[0].split("/", 3)[-1]


def ask(tutor: Tutor, text: str) -> tuple[list[str], bool, float]:
    """(first three source pages, grounded, ms to the first quote or the refusal)."""
    started = time.perf_counter()
    events = tutor.answer(Question(text))
    pages, grounded, took = [], False, 0.0
    try:
        for name, data in events:
            if name == "sources":
                pages = [relpath_of(source["url"]) for source in data[:3]]
            elif name == "quote" or name == "token":     # the first quote, or the refusal line
                grounded = name == "quote"
                took = (time.perf_counter() - started) * 1000
                break
    finally:
        events.close()
    return pages, grounded, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    settings = library(args.docs, args.keep)
    items = tomllib.loads(args.questions.read_text(encoding="utf-8"))
    tutor = Tutor(ReaderPool(settings.index_path), _no_engine)
    ask(tutor, "warm up the page cache")
    hits = tutorial_only = 0
    times = []
    for item in items["answerable"]:
        pages, grounded, took = ask(tutor, item["question"])
        times.append(took)
        hit = grounded and any(page in item["expect"] for page in pages)
        hits += hit
        tutorial = grounded and not hit and any(page.startswith("tutorial/") for page in pages)
        tutorial_only += tutorial
        if args.verbose or not hit:
            mark = "HIT " if hit else ("TUT " if tutorial else "MISS")
            print(f"{mark} {item['question'][:60]!r:64} {'' if grounded else 'refused '}{pages}")
    refused = 0
    for item in items["out_of_scope"]:
        pages, grounded, took = ask(tutor, item["question"])
        times.append(took)
        refused += not grounded
        if args.verbose or grounded:
            print(f"{'ok  ' if not grounded else 'ANSW'} {item['question'][:60]!r:64} {pages if grounded else ''}")
    answerable, out = len(items["answerable"]), len(items["out_of_scope"])
    print(f"first three sources hold an accepted page: {hits}/{answerable} = {hits / answerable:.2f}"
          f" (+{tutorial_only} with only a tutorial/ page: {(hits + tutorial_only) / answerable:.2f})")
    print(f"out-of-scope refused: {refused}/{out} = {refused / out:.2f}")
    print(f"first quote (or refusal) shown: p50 {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms over {len(times)} questions")


if __name__ == "__main__":
    main()
