"""How long `kit import FILE.zim` takes and how much memory it needs, on ZIMs this script makes
(libzim.writer) with many small articles: a few hundred words in two sections, every tenth
with an image.

    .venv/bin/python bench/zim_import.py [--articles 20000 5000]

Each import runs as its own `kit` process, so its peak RSS (VmHWM, Linux) is the import's
alone. Memory should not grow with the number of articles: the ZIM is read one
article at a time and written to the index in batches (kit/library/indexer.py _index_source).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.zim_fixture import PNG, item_class, require_libzim  # noqa: E402

WORDS = ("lantern keeper harbour tide current reef compass chart beacon signal vessel hull "
         "mast rope knot anchor storm fog horn light lens mirror oil wick glass tower stair "
         "island coast cliff rock wave shore sailor captain pilot route north south east west "
         "river delta estuary bay cape strait channel buoy mooring dock quay pier jetty").split()


def write_big_zim(path: Path, articles: int, seed: int = 12) -> float:
    """A ZIM of `articles` HTML articles; returns the seconds libzim took to write it."""
    writer = require_libzim()
    rng = random.Random(seed)

    Item = item_class(writer)

    def paragraph(count):
        return " ".join(rng.choice(WORDS) for _ in range(count)).capitalize() + "."

    started = time.perf_counter()
    with writer.Creator(str(path)).config_indexing(False, "eng") as creator:
        creator.set_mainpath("A/Article_0")
        for name, value in {"Title": f"Bench ZIM of {articles:,} articles", "Name": "bench_zim",
                            "Language": "eng", "License": "CC0-1.0", "Creator": "bench"}.items():
            creator.add_metadata(name, value)
        creator.add_item(Item("I/lamp.png", "", "image/png", PNG, False))
        for number in range(articles):
            image = '<img src="../I/lamp.png" alt="lamp">' if number % 10 == 0 else ""
            body = (f"<h1>Article {number}</h1><p>{paragraph(80)} unique{number}word</p>{image}"
                    f"<h2>Details</h2><p>{paragraph(120)}</p><p>{paragraph(60)}</p>")
            creator.add_item(Item(f"A/Article_{number}", f"Article {number}", "text/html",
                                  f"<html><head><title>Article {number}</title></head><body>{body}</body></html>",
                                  True))
    return time.perf_counter() - started


# The import in a child process that reports its own peak RSS when done: VmHWM, as Linux's
# ru_maxrss keeps the peak of the process before exec (here: this script writing the ZIM).
_CHILD = ("import sys\n"
          "from kit.cli import main\n"
          "main(sys.argv[1:], standalone_mode=False)\n"
          "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
          "print('peak_rss_kb', hwm)\n")


def timed_import(zim: Path, folder: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, the import's summary line) of `kit import` in a child process."""
    content, data = folder / "content", folder / "data"
    content.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", _CHILD, "import", str(zim), "--data", str(data),
                             "--content", str(content)], capture_output=True, text=True, env=env,
                            cwd=Path(__file__).resolve().parent.parent)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"kit import failed:\n{result.stdout}\n{result.stderr}")
    lines = result.stdout.splitlines()
    peak_kb = int(next(line.split()[1] for line in lines if line.startswith("peak_rss_kb")))
    summary = next(line for line in lines if line.startswith("Index:"))
    return seconds, peak_kb / 1024, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[20_000])
    args = parser.parse_args(argv)
    for articles in args.articles:
        with tempfile.TemporaryDirectory(prefix="lantern-zim-bench-") as tmp:
            zim = Path(tmp) / "bench.zim"
            written = write_big_zim(zim, articles)
            seconds, peak_mb, summary = timed_import(zim, Path(tmp))
            index_mb = (Path(tmp) / "data" / "index.sqlite").stat().st_size / 1e6
            print(f"{articles:>7,} articles: ZIM {zim.stat().st_size / 1e6:.1f} MB written in "
                  f"{written:.1f} s; kit import {seconds:.1f} s ({articles / seconds:,.0f} articles/s), "
                  f"peak RSS {peak_mb:.0f} MB, index {index_mb:.0f} MB\n  {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
