"""How fast the classroom store writes as a session's questions log grows.

TinyDB rewrites a whole file on every write, and the store writes each file twice (the file and
its spare copy) with fsyncs, so a write's cost grows with the file. This prints, for logs of
100, 1,000 and 3,000 exchanges (a busy class has a few hundred per session):
- the latency of one `record_exchange` (p50/p95), one writer at a time;
- the latency of reads a page makes meanwhile (teacher's newest 50; a learner lookup);
- with 16 threads writing at once: writes per second and latency (group commit shares fsyncs)
  and how long a learner lookup waits while they write (the lock is not held during fsyncs) --
  once writing exchanges (a stress case: the model answers one question at a time, so exchanges
  arrive seconds apart) and once writing notes (what 16 learners do at once; progress.json is
  its own small file, so notes do not pay for the size of the questions log).

Run: .venv/bin/python bench/store_bench.py [--sizes 100 1000 3000] [--writes 40] [--folder DIR]
Works in a temp folder (removed after) under /tmp, or under --folder, e.g. on a USB stick.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kit.classroom.store import Store  # noqa: E402

SESSION = "bench"


def exchange(n: int, learner: str | None) -> dict:
    """About the size of a real tutor exchange record (~1.5 KB as JSON)."""
    return {"question": f"Why does my loop print the last item twice? (question {n})",
            "mode": "debug", "tried": "I printed i inside the loop and it goes 0 1 2 2. " * 2,
            "passages": [{"url": f"/packs/python/loops#step-{k}", "score": 0.8 - k / 10}
                         for k in range(5)],
            "answer": "Look at where the print is: it runs once more after the loop. " * 14,
            "engine": "embedded", "model": "smollm2-135m-instruct", "grounded": True,
            "stats": {"prompt_tokens": 412, "answer_tokens": 180, "first_token_s": 0.8},
            "seconds": 3.2, "learner_hint": learner}


def prefilled_store(folder: Path, size: int) -> tuple[Store, str]:
    """A Store whose questions log already holds `size` exchanges (written as TinyDB would)."""
    with Store(folder, session=SESSION) as store:
        learner = store.create_learner("Bench")["id"]
    records = {str(n + 1): {**exchange(n, learner), "id": f"x{n}", "at": "2026-11-23T10:00:00",
                            "learner": learner, "feedback": None} for n in range(size)}
    data = json.dumps({"exchanges": records}, separators=(",", ":")).encode()
    for name in (f"questions-{SESSION}.json", f"questions-{SESSION}.json.bak"):
        (folder / name).write_bytes(data)
    return Store(folder, session=SESSION), learner


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def one_writer(folder: Path, size: int, writes: int) -> str:
    store, learner = prefilled_store(folder, size)
    try:
        write_ms = [timed(lambda: store.record_exchange(exchange(size, learner), learner))
                    for _ in range(writes)]
        newest_ms = [timed(lambda: store.exchanges(limit=50)) for _ in range(20)]
        lookup_ms = [timed(lambda: store.learner(learner)) for _ in range(200)]
        size_kb = (folder / f"questions-{SESSION}.json").stat().st_size / 1024
    finally:
        store.close()
    return (f"{size:>6} {size_kb:>8.0f} KB   write p50 {pct(write_ms, 50):6.1f} "
            f"p95 {pct(write_ms, 95):6.1f} ms   newest-50 p50 {pct(newest_ms, 50):5.1f} ms   "
            f"learner lookup p50 {pct(lookup_ms, 50):.2f} ms")


def many_writers(folder: Path, size: int, kind: str, threads: int = 16, each: int = 10) -> str:
    store, learner = prefilled_store(folder, size)
    write_ms: list[float] = []
    lookup_ms: list[float] = []
    done = threading.Event()
    counter = iter(range(10**6))

    def write_one() -> None:
        if kind == "exchanges":
            store.record_exchange(exchange(size, learner), learner)
        else:
            store.save_note(learner, "python", f"chapter-{next(counter)}", "My note. " * 40)

    def writer() -> None:
        for _ in range(each):
            write_ms.append(timed(write_one))

    def reader() -> None:
        while not done.is_set():
            lookup_ms.append(timed(lambda: store.learner(learner)))
            time.sleep(0.002)

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    page = threading.Thread(target=reader)
    started = time.perf_counter()
    page.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    done.set()
    page.join()
    store.close()
    return (f"{size:>6} log, {threads} threads x {each} {kind:9}: {len(write_ms) / elapsed:5.1f} "
            f"writes/s, write p50 {pct(write_ms, 50):6.1f} p95 {pct(write_ms, 95):6.1f} ms; "
            f"learner lookup meanwhile p50 {pct(lookup_ms, 50):.2f} p95 "
            f"{pct(lookup_ms, 95):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000])
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="store-bench-", dir=args.folder) as parent:
        parent = Path(parent)
        print(f"Store write latency in {parent} (each write: file + spare copy, 4 fsyncs)")
        print(f"{'log':>6} {'file':>11}")
        for size in args.sizes:
            print(one_writer(parent / f"one-{size}", size, args.writes), flush=True)
        print("Concurrent writers (group commit):")
        for kind in ("exchanges", "notes"):
            for size in args.sizes:
                print(many_writers(parent / f"{kind}-{size}", size, kind), flush=True)


if __name__ == "__main__":
    main()
