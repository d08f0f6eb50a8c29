"""Pages side by side with kiwix-serve, on the same documents, in one run.

Debian's python3.11-doc HTML is imported into Lantern (`kit import`) and packed into a ZIM
(`zimwriterfs`); both are served on loopback — Lantern by `kit serve` (real waitress), the ZIM
by `kiwix-serve` — and `wrk` loads the same documents at 1, 4, 20 and 50 connections. Then the
same while the tutor answers (`--askers` learners asking at once, so the model stays busy; POST
/api/ask, embedded engine), both sizes on disk, and search throughput against kiwix's
full-text search. Last, what the compact library costs search, in-process on the same index:
passages' text stored compressed (as shipped; unpacked ones cached, so cold and warm) against a
copy storing it plain, and a connection kept (the server's pool) against one per search.
Targets (issue 11): Lantern ≥ 1.0× kiwix-serve's req/s at 50 connections with p99 < 100 ms
and 0 errors; Lantern at 50 ≥ Lantern at 1; search ≥ 10× kiwix's throughput; the library
≤ 3× the ZIM, with search no slower.

    .venv/bin/python bench/pages_bench.py [--seconds 10] [--work DIR] [--askers 12]
        [--only joined|class] [--learners 30] [--tick-every 0.5]

Missing Debian packages (python3.11-doc, zim-tools, kiwix-tools, wrk) are installed with apt-get:
a bench tool, never needed by the kit. Numbers depend on what else the machine runs.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import math
import os
import sqlite3
import statistics
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.library import fts  # noqa: E402
from kit.library.index_db import connect  # noqa: E402
from kit.library.search import search_passages  # noqa: E402
from kit.library.stored_html import unpack_text  # noqa: E402

DOCS = Path("/usr/share/doc/python3.11/html")
PAGES = ["library/functools.html", "tutorial/controlflow.html"]   # ~90 KB and ~55 KB
CONNECTIONS = [1, 4, 20, 50]
SEARCHES = ["partial function", "dictionary comprehension", "asyncio event loop"]
APT_PACKAGES = {"python3.11-doc": DOCS, "zim-tools": "zimwriterfs", "kiwix-tools": "kiwix-serve",
                "wrk": "wrk"}


def ensure_debian_packages() -> None:
    missing = [name for name, needs in APT_PACKAGES.items()
               if not (needs.is_dir() if isinstance(needs, Path) else shutil.which(needs))]
    if not missing:
        return
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*apt, "update", "-qq"], check=True, env=env)
    subprocess.run([*apt, "install", "-y", "-qq", *missing], check=True, env=env)


def kit_program() -> str:
    """This checkout's venv's, else the one beside the Python running the bench (a worktree
    run with another checkout's venv and PYTHONPATH=.), else the one on PATH."""
    for here in (ROOT / ".venv" / "bin" / "kit", Path(sys.executable).with_name("kit")):
        if here.exists():
            return str(here)
    return shutil.which("kit") or sys.exit("no `kit` program")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def png_48() -> bytes:
    """A 48x48 grey PNG: zimwriterfs insists on an illustration."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80\x80\x80" * 48 for _ in range(48))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 48, 48, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


TICKED = ("bench-class", "w/01-tick")       # the chapter the class row's learners tick


def only_imported(work: Path) -> Path:
    """A content folder with one tiny workshop of ours, the chapter the class's learners tick
    (the imported docs are pages, with nothing to tick): the library holds the docs and that."""
    pack = work / "no-other-packs" / TICKED[0]
    (pack / "w").mkdir(parents=True, exist_ok=True)
    (pack / "pack.toml").write_text('title = "Bench class"\ndescription = "A chapter to tick."\n'
                                    'language = "en"\nlicence = "CC0-1.0"\nauthors = ["Lantern bench"]\n'
                                    'version = "1.0.0"\n', encoding="utf-8")
    (pack / "w" / "workshop.toml").write_text('title = "Ticking"\n', encoding="utf-8")
    (pack / "w" / "01-tick.md").write_text("---\ntitle: Tick me\norder: 1\n---\n## Done?\nTick it.\n",
                                           encoding="utf-8")
    return work / "no-other-packs"


def build_lantern(work: Path) -> Path:
    data = work / "lantern-data"
    if not (data / "index.sqlite").exists():
        started = time.perf_counter()
        subprocess.run([kit_program(), "import", str(DOCS), "--data", str(data), "--content", str(only_imported(work)),
                        "--title", "Python 3.11 documentation", "--licence", "PSF-2.0",
                        "--author", "Python Software Foundation"], check=True, stdout=subprocess.DEVNULL)
        print(f"kit import: {time.perf_counter() - started:.0f} s")
    return data


def imported_pack_id(data: Path) -> str:
    """The id `kit import` gave the docs (a Sphinx build is named by its objects.inv)."""
    (pack,) = [folder.name for folder in (data / "packs").iterdir() if not folder.name.startswith(".")]
    return pack


def build_zim(work: Path) -> Path:
    zim = work / "python3.11-docs.zim"
    if not zim.exists():
        source = work / "zim-source"
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(DOCS, source, symlinks=False)
        (source / "lantern-illustration.png").write_bytes(png_48())
        started = time.perf_counter()
        subprocess.run(["zimwriterfs", "--welcome=index.html", "--illustration=lantern-illustration.png",
                        "--language=eng", "--title=Python 3.11 documentation",
                        "--description=Debian python3.11-doc", "--creator=Python Software Foundation",
                        "--publisher=Lantern bench", "--name=python3.11-docs", str(source), str(zim)],
                       check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(source)
        print(f"zimwriterfs: {time.perf_counter() - started:.0f} s")
    return zim


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args[0]} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"{url} did not answer in {seconds:.0f} s")


def start(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, env=env)


def kiwix_page_url(base: str, page: str) -> str:
    """kiwix-serve 3.3 serves /content/<book>/<path>; older ones /<book>/A/<path>."""
    for pattern in ("/content/python3.11-docs/{}", "/python3.11-docs/A/{}", "/python3.11-docs/{}"):
        url = base + pattern.format(page)
        try:
            if urllib.request.urlopen(url, timeout=5).status == 200:
                return url
        except OSError:
            continue
    sys.exit(f"kiwix-serve does not serve {page} under any known URL")


def wrk(url: str, connections: int, seconds: int, cookie: str = "", threads: int = 2,
        gzip: bool = False, script: Path | None = None) -> dict:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    if gzip:        # what browsers send: each server may answer gzipped
        headers += ["-H", "Accept-Encoding: gzip"]
    if script:
        headers += ["-s", str(script)]
    out = subprocess.run(["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s",
                          "--timeout", "5s", "--latency", *headers, url], capture_output=True, text=True,
                         check=True).stdout
    replies = re.search(r"^class-replies (\d+) flask (\d+)$", out, re.M)

    def ms(label):
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return float("nan")
        return float(found.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[found.group(2)]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": ms("50"), "p99": ms("99"), "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
            "kept": 1 - int(replies.group(2)) / max(1, int(replies.group(1))) if replies else None,
            "flask": int(replies.group(2)) if replies else None}


def row(label: str, ours: dict, theirs: dict | None) -> str:
    ratio = f"{ours['rps'] / theirs['rps']:.2f}×" if theirs and theirs["rps"] else "—"
    peer = (f"{theirs['rps']:8.0f} {theirs['p50']:7.1f} {theirs['p99']:7.1f} {theirs['errors']:5d}"
            if theirs else " " * 30)
    return (f"{label:<34} {ours['rps']:8.0f} {ours['p50']:7.1f} {ours['p99']:7.1f} {ours['errors']:5d}"
            f"   {peer}   {ratio:>6}")


HEADER = (f"{'':<34} {'Lantern':>8} {'p50 ms':>7} {'p99 ms':>7} {'err':>5}   "
          f"{'kiwix':>8} {'p50 ms':>7} {'p99 ms':>7} {'err':>5}   {'L÷k':>6}")


QUESTIONS = ["What does functools.partial return?", "How does functools.lru_cache decide what to keep?",
             "What is the difference between functools.reduce and a for loop?",
             "When should I use functools.wraps?"]


class Asker:
    """A joined learner asking the tutor one question after another, in a thread. It notes when
    the model worked for it: from the first token back by the `done` event's time to first
    token (the model reading the prompt) up to `done`, so the bench can say how much of a
    measurement the model was busy."""

    def __init__(self, base: str, nickname: str, question: str):
        self.base, self.question, self.answers, self.stop = base, question, 0, threading.Event()
        self.token_times: list[float] = []
        self.busy: list[tuple[float, float]] = []      # (model started, answer done), monotonic
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        page = self.opener.open(base + "/join").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.opener.open(base + "/join", urllib.parse.urlencode(
            {"nickname": nickname, "next": "/", "csrf_token": token}).encode())
        page = self.opener.open(base + "/me").read().decode()
        self.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            request = urllib.request.Request(self.base + "/api/ask", json.dumps(
                {"question": self.question, "mode": "explain"}).encode(),
                {"Content-Type": "application/json", "X-CSRF-Token": self.token})
            try:
                with self.opener.open(request, timeout=300) as response:
                    self.read_answer(response)
            except urllib.error.HTTPError as refused:    # 429: this learner's limit, or a full queue
                self.stop.wait(min(10, int(refused.headers.get("Retry-After") or 1)))
            except OSError:
                self.stop.wait(1)

    def read_answer(self, response) -> None:
        """Until `done`, or the bench stops (leaving closes the connection: the kit stops the
        model, or takes the question out of the queue, on its next write)."""
        event, first_token = None, None
        for line in response:
            if self.stop.is_set():
                return
            if line.startswith(b"event: "):
                event = line[7:].strip().decode()
                if event == "token":
                    self.token_times.append(time.monotonic())
                    first_token = first_token or self.token_times[-1]
                elif event == "error":
                    self.stop.wait(1)
            elif line.startswith(b"data: ") and event == "done":
                done, ttft_ms = time.monotonic(), json.loads(line[6:]).get("ttft_ms")
                if first_token and ttft_ms:
                    self.busy.append((first_token - ttft_ms / 1000, done))
                self.answers += 1
                return

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)


class Class:
    """`count` learners asking at once (nicknames bench<pid>-<n>), so the model's queue stays
    full: one learner alone leaves the model idle most of the time (the class's
    questions-per-minute limit, short answers)."""

    def __init__(self, base: str, count: int, prefix: str = "bench"):
        self.askers = [Asker(base, f"{prefix}{os.getpid()}-{n}", QUESTIONS[n % len(QUESTIONS)])
                       for n in range(count)]

    def start(self) -> None:
        for asker in self.askers:
            asker.thread.start()

    def stop(self) -> None:
        """Stop asking and leave: questions still queued or answered stop taking the model."""
        for asker in self.askers:
            asker.stop.set()
        for asker in self.askers:
            asker.thread.join(15)

    def wait_for_tokens(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not any(asker.token_times for asker in self.askers) and time.monotonic() < deadline:
            time.sleep(0.2)
        return any(asker.token_times for asker in self.askers)

    def busy_share(self, start: float, end: float) -> tuple[float, float]:
        """The share of [start, end] the model worked (reading a prompt or writing), and the
        share with a token less than a second before (writing)."""
        busy, at = 0.0, start
        for began, done in sorted(span for asker in self.askers for span in asker.busy):
            began, done = max(began, at), min(done, end)
            if done > began:
                busy, at = busy + done - began, done
        tokens = {int(t - start) for asker in self.askers for t in asker.token_times if start <= t <= end}
        return busy / (end - start), len(tokens) / max(1, math.ceil(end - start))


def joined_learner(docs: str, theirs_base: str, cookie: str, seconds: int) -> None:
    """A joined learner's chapter (their cookie: nickname, CSRF token, ticks, note) beside
    kiwix-serve's same page, both asked with Accept-Encoding: gzip as browsers do; a reader with
    no cookie in the same run for reference. Issue 22's target: ≥ 1.0× kiwix-serve at 50
    connections, p99 < 100 ms, 0 errors."""
    page = PAGES[0]
    theirs_url = kiwix_page_url(theirs_base, page)
    print("\nA joined learner's page beside kiwix-serve, gzip both (Accept-Encoding: gzip):")
    print(HEADER)
    for connections in (1, 50):
        ours = wrk(f"{docs}/{page}", connections, seconds, cookie, gzip=True)
        theirs = wrk(theirs_url, connections, seconds, gzip=True)
        print(row(f"{Path(page).name} c={connections} joined learner", ours, theirs), flush=True)
        anyone = wrk(f"{docs}/{page}", connections, seconds, gzip=True)
        print(row(f"{Path(page).name} c={connections} no cookie", anyone, theirs), flush=True)


# wrk: each request is the next learner's (their cookies in a round, each wrk thread from its
# own place). Flask's replies refresh the session cookie (Set-Cookie), the fast lane's do not:
# the share without it is the share served from the learners' kept pages.
CLASS_LUA = """local cookies = {%s}
local threads, made = {}, 0
function setup(thread) made = made + 1; thread:set("id", made); table.insert(threads, thread) end
function init(args) n = id * 7; flask = 0; replies = 0 end
function request()
  n = n %% #cookies + 1
  return wrk.format("GET", nil, {["Cookie"] = cookies[n], ["Accept-Encoding"] = "gzip"})
end
function response(status, headers, body)
  replies = replies + 1
  if headers["Set-Cookie"] then flask = flask + 1 end
end
function done(summary, latency, requests)
  local r, f = 0, 0
  for _, t in ipairs(threads) do r = r + t:get("replies"); f = f + t:get("flask") end
  io.write(string.format("class-replies %%d flask %%d\\n", r, f))
end
"""


class Ticker:
    """The class working: one learner after another ticks a chapter done (or not done, the next
    round) every `every` seconds, in a thread, as the browser's form does (POST, then the
    chapter again). A tick is that learner's write: every page kept for them is made again."""

    def __init__(self, learners: list[Asker], base: str, every: float):
        self.learners, self.base, self.every = learners, base, every
        self.ticks, self.refused, self.stop = 0, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        while not self.stop.wait(self.every):
            learner = self.learners[n % len(self.learners)]
            done = "1" if (n // len(self.learners)) % 2 == 0 else "0"
            form = {"pack": TICKED[0], "doc": TICKED[1], "done": done, "csrf_token": learner.token}
            try:
                learner.opener.open(self.base + "/progress", urllib.parse.urlencode(form).encode(),
                                    timeout=30).read()
                self.ticks += 1
            except OSError as refused:
                self.refused.append(str(refused))
            n += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(35)


def joined_class(ours_base: str, docs: str, theirs_base: str, args) -> None:
    """A class of joined learners on one page, each request the next learner's, while one after
    another ticks a chapter (a write their pages show), beside kiwix-serve's same page, gzip
    both. A tick throws away the ticker's kept pages only (kit/classroom/store.py's generations),
    so the share served from the kept pages stays high."""
    page, count = PAGES[0], args.learners
    theirs_url = kiwix_page_url(theirs_base, page)
    learners = Class(ours_base, count, prefix="reader").askers
    script = Path(tempfile.mkdtemp(prefix="lantern-class-")) / "class.lua"
    script.write_text(CLASS_LUA % ", ".join(json.dumps(learner.cookie()) for learner in learners))
    load = os.getloadavg()[0]
    print(f"\nA class of {count} joined learners on one page (each request the next learner's), one after "
          f"another ticking a chapter every {args.tick_every} s, beside kiwix-serve, gzip both (load {load:.1f}):")
    wrk(f"{docs}/{page}", 1, 1, script=script)      # each learner's page composed once, kept
    print(HEADER + "   kept")
    for connections in (1, 50):
        with Ticker(learners, ours_base, args.tick_every) as ticker:
            ours = wrk(f"{docs}/{page}", connections, args.seconds, script=script)
        theirs = wrk(theirs_url, connections, args.seconds, gzip=True)
        print(row(f"{Path(page).name} c={connections} {count} learners", ours, theirs)
              + f"   {ours['kept']:.2%}; {ours['flask']} made by Flask, {ticker.ticks} ticks, "
              + f"{len(ticker.refused)} refused {ticker.refused[0] if ticker.refused else ''}", flush=True)
    print(f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after; kept: the share of the "
          "class's replies served from their kept pages (no Set-Cookie: not Flask's)")
    shutil.rmtree(script.parent, ignore_errors=True)


def fifty_against_one(docs: str, seconds: int, rounds: int = 3) -> None:
    """Lantern at 50 connections against 1 with the load generator the same in both: above,
    wrk runs two threads for 50 connections and one for 1, and on two cores the second thread
    takes CPU from the server. One wrk thread here, 1 and 50 in turn."""
    print(f"\nLantern at 50 connections against 1, one wrk thread for both, {rounds} rounds in turn:")
    for page in PAGES:
        one, fifty = [], []
        for _ in range(rounds):
            one.append(wrk(f"{docs}/{page}", 1, seconds, threads=1)["rps"])
            fifty.append(wrk(f"{docs}/{page}", 50, seconds, threads=1)["rps"])
        ratio = statistics.median(fifty) / statistics.median(one)
        print(f"{page}: at 1 {' '.join(f'{v:.0f}' for v in one)}; at 50 "
              f"{' '.join(f'{v:.0f}' for v in fifty)} req/s; medians 50÷1 = {ratio:.2f}", flush=True)


def plain_text_copy(index: Path, work: Path) -> Path:
    """The same index with passages' text stored plain and read by the search views as it is:
    the layout before the text was compressed (the word index itself is the same)."""
    copy = work / "index-plain-text.sqlite"
    copy.unlink(missing_ok=True)
    source, target = connect(index, readonly=True), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.create_function("unpack_text", 1, unpack_text)
    with target:
        target.execute("UPDATE passages SET text = unpack_text(text)")
        for table in fts.TABLES:
            view = fts.source_view(table)
            (sql,) = target.execute("SELECT sql FROM sqlite_master WHERE name = ?", (view,)).fetchone()
            target.execute(f"DROP VIEW {view}")
            target.execute(sql.replace("unpack_text(p.text)", "p.text"))
    target.execute("VACUUM")
    target.close()
    return copy


def search_times(index: Path, queries: list[str], cold: bool, kept: bool) -> list[float]:
    """Milliseconds per search_passages over `queries`, three times; `cold` forgets the unpacked
    passages before each search, `kept` reuses one connection (else one is opened per search)."""
    kept_conn = connect(index, readonly=True)
    for query in queries:                  # the file in the OS's cache, statements prepared
        search_passages(kept_conn, query)
    samples = []
    for _ in range(3):
        for query in queries:
            if cold:
                unpack_text.cache_clear()
            started = time.perf_counter()
            conn = kept_conn if kept else connect(index, readonly=True)
            search_passages(conn, query)
            if not kept:
                conn.close()
            samples.append((time.perf_counter() - started) * 1000)
    kept_conn.close()
    return samples


def compare_layouts(index: Path, work: Path) -> int:
    lines = (ROOT / "bench" / "queries.txt").read_text(encoding="utf-8").splitlines()
    queries = [line for line in lines if line and not line.startswith("#")]
    plain = plain_text_copy(index, work)
    print(f"\nSearch in-process, {len(queries)} queries × 3 (bench/queries.txt), same index, µs "
          "per search; passages' text compressed (as shipped) or plain (a copy):")
    print(f"{'':58}{'mean':>7}{'p50':>7}{'p95':>7}")
    cases = [("now: compressed, kept connection, text not cached (cold)", index, True, True),
             ("now: compressed, kept connection, text cached (warm)", index, False, True),
             ("plain text, kept connection", plain, False, True),
             ("compressed, a new connection per search, cold", index, True, False),
             ("before: plain text, a new connection per search", plain, False, False)]
    for label, path, cold, kept in cases:
        samples = search_times(path, queries, cold, kept)
        cuts = statistics.quantiles(samples, n=100, method="inclusive")
        print(f"{label:58}{statistics.mean(samples) * 1000:7.0f}{cuts[49] * 1000:7.0f}"
              f"{cuts[94] * 1000:7.0f}", flush=True)
    grown = plain.stat().st_size - index.stat().st_size
    plain.unlink()
    return grown


def bench(args) -> None:
    ensure_debian_packages()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="lantern-pages-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data, zim = build_lantern(work), build_zim(work)
    kiwix_port, kit_port = free_port(), free_port()
    kiwix = start(["kiwix-serve", "--address", "127.0.0.1", "--port", str(kiwix_port), str(zim)],
                  work / "kiwix.log")
    kit = start([kit_program(), "serve", "--data", str(data), "--content", str(only_imported(work)),
                 "--port", str(kit_port)], work / "kit.log",
                env={**os.environ, "LANTERN_ENGINE": args.engine})
    try:
        ours_base, theirs_base = f"http://127.0.0.1:{kit_port}", f"http://127.0.0.1:{kiwix_port}"
        wait_for(ours_base + "/", kit)
        wait_for(theirs_base + "/", kiwix)
        print(f"{os.cpu_count()} CPUs; wrk {args.seconds} s per cell; other work on this machine "
              "shares the CPU.\n")
        docs = f"{ours_base}/p/{imported_pack_id(data)}"
        urllib.request.urlopen(f"{docs}/{PAGES[0]}").read()     # the first request renders
        if args.only == "joined":
            joined_learner(docs, theirs_base, Class(ours_base, 1).askers[0].cookie(), args.seconds)
            return
        if args.only == "class":
            joined_class(ours_base, docs, theirs_base, args)
            return
        print(HEADER)
        at = {}
        for page in PAGES:
            ours_url, theirs_url = f"{docs}/{page}", kiwix_page_url(theirs_base, page)
            urllib.request.urlopen(ours_url).read()     # the first request renders; then bytes
            for connections in CONNECTIONS:
                ours = wrk(ours_url, connections, args.seconds)
                theirs = wrk(theirs_url, connections, args.seconds)
                at[page, connections] = ours
                print(row(f"{page} c={connections}", ours, theirs), flush=True)
        for page in PAGES:
            verdict = "≥" if at[page, 50]["rps"] >= at[page, 1]["rps"] else "<"
            print(f"Lantern {page}: {at[page, 50]['rps']:.0f} req/s at 50 {verdict} "
                  f"{at[page, 1]['rps']:.0f} at 1")
        fifty_against_one(docs, args.seconds)

        learners = Class(ours_base, args.askers)
        joined_learner(docs, theirs_base, learners.askers[0].cookie(), args.seconds)
        joined_class(ours_base, docs, theirs_base, args)

        print(f"\nWhile the tutor answers (engine {args.engine}, {args.askers} learners asking again "
              "and again):")
        learners.start()
        if not learners.wait_for_tokens(180):
            print("the tutor gave no token in 180 s: the model did not answer here")
        spans = []
        for connections in (1, 50):
            started = time.monotonic()
            ours = wrk(f"{docs}/{PAGES[0]}", connections, args.seconds)
            spans.append((connections, ours, started, time.monotonic()))
        time.sleep(8)       # answers under way when wrk stopped end, and say when the model began them
        learners.stop()
        for connections, ours, started, ended in spans:
            busy, writing = learners.busy_share(started, ended)
            print(row(f"{PAGES[0]} c={connections} (answering)", ours, None)
                  + f"   model busy {busy:.0%} of the time (writing {writing:.0%})", flush=True)
        print(f"answers finished: {sum(a.answers for a in learners.askers)}; "
              f"tokens streamed: {sum(len(a.token_times) for a in learners.askers)}")

        print("\nSearch, 20 connections (Lantern /api/search vs kiwix /search):")
        for query in SEARCHES:
            q = urllib.parse.quote(query)
            ours = wrk(f"{ours_base}/api/search?q={q}&limit=10", 20, args.seconds)
            theirs = wrk(f"{theirs_base}/search?content=python3.11-docs&pattern={q}", 20, args.seconds)
            print(row(f"search “{query}”", ours, theirs), flush=True)

        kit.terminate()
        kit.wait(10)
        grown = compare_layouts(data / "index.sqlite", work)

        index = (data / "index.sqlite").stat().st_size
        packs = sum(p.stat().st_size for p in (data / "packs").rglob("*") if p.is_file())
        size = zim.stat().st_size
        print(f"\nOn disk: ZIM {size / 1e6:.1f} MB; Lantern {(index + packs) / 1e6:.1f} MB "
              f"(index {index / 1e6:.1f} MB + imported pack folder {packs / 1e6:.1f} MB) = "
              f"{(index + packs) / size:.2f}× the ZIM; passages' text stored plain would add "
              f"{grown / 1e6:.1f} MB = {(index + packs + grown) / size:.2f}×")
    finally:
        for process in (kit, kiwix):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per cell")
    parser.add_argument("--work", help="keep the ZIM and the imported library here (reused next time)")
    parser.add_argument("--engine", default="embedded", help="LANTERN_ENGINE while answering")
    parser.add_argument("--askers", type=int, default=12,
                        help="learners asking the tutor at once while pages are measured")
    parser.add_argument("--only", choices=["all", "joined", "class"], default="all",
                        help="joined: only the joined learner's page beside kiwix-serve; class: "
                             "only the class of --learners, one ticking every --tick-every s")
    parser.add_argument("--learners", type=int, default=30, help="joined learners in the class row")
    parser.add_argument("--tick-every", type=float, default=0.5,
                        help="seconds between two ticks in the class row (one learner after another)")
    bench(parser.parse_args())
