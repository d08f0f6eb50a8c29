"""Library benchmark: import a large real documentation set (Debian's python3.11-doc HTML),
then time search and page serving. Prints numbers; the targets from the library issue are
index build < 60 s, search p95 < 30 ms, 0 errors with 50 concurrent clients.

    .venv/bin/python bench/library_bench.py [--seconds 15] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.library.index_db import connect  # noqa: E402
from kit.library.indexer import build_index  # noqa: E402
from kit.library.search import search_passages  # noqa: E402
from kit.library.source_files import stored  # noqa: E402
from kit.settings import bundled_content_dir, load_settings  # noqa: E402

DOCS = Path("/usr/share/doc/python3.11/html")
PACK_ID = "python-3-11"      # from the build's objects.inv: Python 3.11


def ensure_docs() -> None:
    if DOCS.is_dir():
        return
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
    subprocess.run([*apt, "update", "-qq"], check=True)
    subprocess.run([*apt, "install", "-y", "-qq", "python3.11-doc"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def percentiles(samples_ms: list[float]) -> str:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return f"p50 {cuts[49]:.2f} ms  p95 {cuts[94]:.2f} ms  p99 {cuts[98]:.2f} ms"


def load_queries() -> list[str]:
    lines = (ROOT / "bench" / "queries.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def bench_index(settings) -> None:
    """`kit import` of the doc set as an organiser runs it: the Sphinx build is detected, read in
    its own reading order (rel="next" links) and indexed."""
    kit = Path(sys.executable).parent / "kit"
    started = time.perf_counter()
    result = subprocess.run([str(kit), "import", str(DOCS), "--licence", "PSF-2.0",
                             "--data", str(settings.data_dir), "--content", str(bundled_content_dir())],
                            capture_output=True, text=True, check=True)
    took = time.perf_counter() - started
    for line in (result.stdout + result.stderr).splitlines():
        print(f"  {line}")
    print(f"kit import of python3.11-doc (copy + detect + index, cold): {took:.1f} s")
    conn = sqlite3.connect(settings.index_path)
    documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    first = [row[0] for row in conn.execute("SELECT relpath FROM documents WHERE pack=? ORDER BY position"
                                            " LIMIT 6", (PACK_ID,))]
    conn.close()
    print(f"reading order starts: {' → '.join(first)}")
    print(f"index size: {documents} documents, {passages} passages, "
          f"{settings.index_path.stat().st_size / 1e6:.1f} MB")
    print(f"index re-run with nothing changed: {build_index(settings).seconds:.2f} s")
    stored(settings.imported_packs_dir / PACK_ID / "library" / "os.html").touch()   # kept gzip'd
    print(f"index re-run after touching one file (only that page is read again): "
          f"{build_index(settings).seconds:.2f} s")


def bench_search(settings, queries: list[str]) -> None:
    conn = connect(settings.index_path, readonly=True)
    for query in queries:                    # warm the page cache once
        search_passages(conn, query, limit=10)
    samples, empty = [], 0
    for _ in range(3):
        for query in queries:
            started = time.perf_counter()
            result = search_passages(conn, query, limit=10)
            samples.append((time.perf_counter() - started) * 1000)
            empty += not result.hits
    conn.close()
    print(f"search in-process, {len(queries)} queries x 3: {percentiles(samples)} "
          f"({empty // 3} queries found nothing)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(settings, port: int) -> subprocess.Popen:
    kit = Path(sys.executable).parent / "kit"
    server = subprocess.Popen([str(kit), "serve", "--port", str(port),
                               "--data", str(settings.data_dir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def bench_http_search(base: str, queries: list[str]) -> None:
    samples = []
    for query in queries:
        url = f"{base}/api/search?limit=10&q={urllib.parse.quote(query)}"
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
        samples.append((time.perf_counter() - started) * 1000)
    print(f"search over HTTP (/api/search, one client): {percentiles(samples)}")


def run_wrk(url: str, seconds: int, connections: int = 50) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    def grab(pattern, default="0"):
        match = re.search(pattern, out)
        return match.group(1) if match else default
    return {"rps": float(grab(r"Requests/sec:\s+([\d.]+)")),
            "requests": int(grab(r"(\d+) requests in")),
            "p99": grab(r"99%\s+([\d.]+\w+)", "?"), "p50": grab(r"50%\s+([\d.]+\w+)", "?"),
            "non_2xx": int(grab(r"Non-2xx or 3xx responses: (\d+)")),
            "socket_errors": sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))}


def bench_pages(base: str, seconds: int) -> None:
    if not shutil.which("wrk"):
        apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
        subprocess.run([*apt, "install", "-y", "-qq", "wrk"], check=True)
    pages = ["/", "/p/first-web-app/flask-workshop/04-templates", "/p/talks/learning-offline",
             "/p/python-3-11/library/os.html", "/search?q=virtual+environment",
             "/api/search?q=dictionary&limit=10"]
    total_errors = 0
    print(f"pages under load: 50 concurrent connections, {seconds} s each (wrk)")
    for page in pages:
        result = run_wrk(base + page, seconds)
        errors = result["non_2xx"] + result["socket_errors"]
        total_errors += errors
        print(f"  {page:<48} {result['rps']:8.1f} req/s  p50 {result['p50']:>8}  "
              f"p99 {result['p99']:>8}  {result['requests']} requests, {errors} errors")
    print(f"errors under load: {total_errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per page")
    parser.add_argument("--keep", type=Path, help="use this data folder and keep it")
    args = parser.parse_args()
    ensure_docs()
    data = args.keep or Path(tempfile.mkdtemp(prefix="lantern-bench-"))
    shutil.rmtree(data, ignore_errors=True)
    settings = load_settings(environ={}, content_dirs=(bundled_content_dir(),), data_dir=data)
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
          f"sqlite {sqlite3.sqlite_version}")
    bench_index(settings)
    queries = load_queries()
    bench_search(settings, queries)
    port = free_port()
    server = start_server(settings, port)
    try:
        base = f"http://127.0.0.1:{port}"
        bench_http_search(base, queries)
        bench_pages(base, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
