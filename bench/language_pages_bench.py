"""Pages per language, in one run: is a French or Arabic learner served as fast as an English one?

Issue 21's target: anonymous pages in any language within 10 % of English. A book of our own
(written here, two languages: `kites` in English, `kites-fr` in French; 12 chapters of ~40 KB
each) is served by `kit serve` (real waitress) on loopback, and `wrk` loads each kind of page
with the browser's Accept-Language set to en, fr and ar, in turn, for several rounds (the order
rotates each round, so a slow moment of this shared machine does not land on one language):

- the same English chapter, the kit's words around it in each language (the fast lane's cached
  page, one per language);
- the chapter in the reader's own language where the book has it (the French pack for fr);
- the home page (rendered by Flask: the packs in the learner's language first);
- a search in the reader's language (French words on the French pack are stemmed by Snowball;
  English by FTS5's Porter; Arabic has no pack here, so all packs are searched).

Each cell reports wrk's requests per second and the kit process's own CPU time per page (from
/proc: user + system over the cell, divided by the requests served). On this project's shared
2-core machine the first mostly measures the neighbours; the second is what a language costs the
kit, and the 10 % verdict is read from it.

    .venv/bin/python bench/language_pages_bench.py [--seconds 5] [--rounds 3] [--connections 4]

Needs `wrk` (apt-get install wrk). Numbers depend on what else the machine runs.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages_bench import wait_for  # noqa: E402   (one way to wait for a server, for both benches)
LANGUAGES = ("en", "fr", "ar")
# Columns: (label, Accept-Language sent, the language whose URLs it loads). "en again" is English
# measured a second time in the same rounds (en-GB finds en): how far two runs of the same page
# differ on this machine, against which a language's difference is read.
COLUMNS = (("en", "en", "en"), ("fr", "fr", "fr"), ("ar", "ar", "ar"), ("en again", "en-GB", "en"))
CHAPTERS = 12

PARAGRAPH = {
    "en": ("A kite flies when the wind pushes on its sail and the line holds it at an angle. "
           "Tie the bridle to the spine a third of the way down, then test the balance by holding "
           "the kite by the bridle point: the nose should dip slightly. "),
    "fr": ("Un cerf-volant vole quand le vent pousse sur sa voile et que la ligne le retient en "
           "biais. Attachez la bride à l'épine au tiers de sa longueur, puis vérifiez l'équilibre "
           "en tenant le cerf-volant par le point de bride : le nez doit plonger légèrement. "),
}
CODE = "```python\nline_length = 30  # metres\nangle = 45\nprint(line_length * angle)\n```\n"
SEARCHES = {"en": "balance the bridle", "fr": "équilibrer la bride", "ar": "balance the bridle"}


def write_book(content: Path) -> None:
    """The same book in English and French: each chapter ~40 KB of sections and code."""
    for pack, language in (("kites", "en"), ("kites-fr", "fr")):
        root = content / pack
        (root / "w").mkdir(parents=True, exist_ok=True)
        (root / "pack.toml").write_text(
            f'title = "Kites"\ndescription = "A bench book"\nlanguage = "{language}"\n'
            'licence = "CC0-1.0"\nauthors = ["Lantern bench"]\nversion = "1.0.0"\n', encoding="utf-8")
        (root / "w" / "workshop.toml").write_text('title = "Kites"\n', encoding="utf-8")
        for number in range(1, CHAPTERS + 1):
            sections = "".join(f"## Section {number}.{part}\n\n" + PARAGRAPH[language] * 12 + "\n\n" + CODE + "\n"
                               for part in range(1, 9))
            (root / "w" / f"{number:02d}-chapter.md").write_text(
                f"---\ntitle: Chapter {number}\norder: {number}\n---\n{sections}", encoding="utf-8")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def kit_program() -> str:
    here = ROOT / ".venv" / "bin" / "kit"
    return str(here) if here.exists() else shutil.which("kit") or sys.exit("no `kit` program")


def wrk(url: str, language: str, connections: int, seconds: int) -> tuple[float, int]:
    """(requests per second, requests); errors and non-2xx are fatal: a slow error page is no result."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                          "-H", f"Accept-Language: {language}", url],
                         capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses|Socket errors", out):
        sys.exit(f"errors loading {url} in {language}:\n{out}")
    return (float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            int(re.search(r"(\d+) requests in", out).group(1)))


def cpu_seconds(pid: int) -> float:
    """The server process's CPU time so far (user + system): what a page costs the kit, whatever
    else the machine runs (req/s on a shared 2-core machine mostly measures the neighbours)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, url: str, language: str, connections: int, seconds: int) -> tuple[float, float]:
    """(req/s, the server's CPU µs per page) for one cell."""
    before = cpu_seconds(pid)
    rate, requests = wrk(url, language, connections, seconds)
    return rate, (cpu_seconds(pid) - before) / max(requests, 1) * 1e6


def pages(base: str) -> dict[str, dict[str, str]]:
    """Each kind of page, per language: the URL a reader of that language would load."""
    chapter = "/p/kites/w/07-chapter"
    return {
        "chapter (same English pack)": {code: chapter for code in LANGUAGES},
        "chapter (reader's pack)": {"en": chapter, "fr": "/p/kites-fr/w/07-chapter", "ar": chapter},
        "home": {code: "/" for code in LANGUAGES},
        "search (reader's words)": {code: "/search?q=" + urllib.request.quote(SEARCHES[code])
                                    for code in LANGUAGES},
    }


def check_languages(base: str) -> None:
    """Each language really gets its own page (else the bench would time English three times)."""
    for code in LANGUAGES:
        request = urllib.request.Request(base + "/p/kites/w/07-chapter", headers={"Accept-Language": code})
        text = urllib.request.urlopen(request, timeout=5).read().decode()
        if f'<html lang="{code}"' not in text:
            sys.exit(f"Accept-Language {code} did not give a page in {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="lantern-lang-bench-") as folder:
        work = Path(folder)
        write_book(work / "content")
        port = free_port()
        with (work / "kit.log").open("wb") as log:
            kit = subprocess.Popen([kit_program(), "serve", "--data", str(work / "data"), "--content",
                                    str(work / "content"), "--port", str(port)],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "LANTERN_ENGINE": "ollama",      # no model: pages only
                                        "LANTERN_OLLAMA_HOST": "127.0.0.1:9"})
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(base + "/", kit, seconds=120)
            check_languages(base)
            run(base, kit.pid, args)
        finally:
            kit.terminate()
            kit.wait(timeout=30)


def run(base: str, pid: int, args) -> None:
    kinds = pages(base)
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for urls in kinds.values():            # warm: each language's cached page made once
        for _, header, code in COLUMNS:
            wrk(base + urls[code], header, 1, 1)
    for round_number in range(args.rounds):
        turn = round_number % len(COLUMNS)
        for kind, urls in kinds.items():
            for label, header, code in COLUMNS[turn:] + COLUMNS[:turn]:
                results.setdefault((kind, label), []).append(
                    measured(pid, base + urls[code], header, args.connections, args.seconds))
    print(f"{os.cpu_count()} CPUs; wrk 1 thread, {args.connections} connections, {args.seconds} s a cell, "
          f"{args.rounds} rounds, columns interleaved. req/s: medians. µs: the kit's own CPU time per page "
          "(user + system), the least of the rounds (other work on the machine only ever adds to it) "
          "and the median; ÷ en: the least against English's least (\"en again\" is English measured "
          "twice: the noise).\n")
    labels = [label for label, _, _ in COLUMNS]
    print(f"{'page':<28}" + "".join(f"{label[:2] + ' req/s':>9}" for label in labels[:3])
          + "".join(f"{label + ' µs':>16}" for label in labels)
          + "".join(f"{label + ' ÷ en':>14}" for label in labels[1:]))
    slower = []
    for kind in kinds:
        rate = {label: statistics.median(r for r, _ in results[(kind, label)]) for label in labels}
        least = {label: min(c for _, c in results[(kind, label)]) for label in labels}
        median = {label: statistics.median(c for _, c in results[(kind, label)]) for label in labels}
        ratios = {label: least[label] / least["en"] for label in labels[1:]}     # > 1: costs more than English
        slower += [f"{kind}, {label}: {ratio:.2f}× English's CPU" for label, ratio in ratios.items() if ratio > 1.1]
        print(f"{kind:<28}" + "".join(f"{rate[label]:>9.0f}" for label in labels[:3])
              + "".join(f"{f'{least[label]:.0f} ({median[label]:.0f})':>16}" for label in labels)
              + "".join(f"{ratios[label]:>14.2f}" for label in labels[1:]))
    print("\nmore than 10 % dearer than English (least CPU per page): " + ("; ".join(slower) if slower else "none"))


if __name__ == "__main__":
    main()
