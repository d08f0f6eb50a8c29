"""Wheels load: 20 learners installing a ~10 MB wheel from the kit at once while 20 others
read pages and search. Does serving packages slow the pages?

One `kit serve` on loopback (the bundled library, a wheelhouse holding one ~10 MB wheel made
here, as tests/wheel_factory.py makes them, filled by the real `kit wheels add`). Phases:
1. pages only: 20 readers loop over the home page, pack pages, chapters and searches;
2. the same readers, while 20 real `pip download --no-cache-dir` run at once against the
   kit's /simple/ (each a separate pip process, like 20 laptops);
3. the same, with 20 clients GETting the wheel non-stop for as long as phase 1 (the server's
   share alone: 20 pip processes starting on a 2-core machine cost CPU the kit also needs);
4. the peer: the same 20 pip downloads from `python -m http.server` serving the same folder
   (pip --find-links), while the readers keep reading the kit.
Printed per phase: pages p50/p95/p99 and errors; downloads' total wall time and slowest.
The bench, the pips and the kit share this machine's cores. Listens on 127.0.0.1 only.

    .venv/bin/python bench/wheels_load.py [--readers 20] [--downloads 20] [--mb 10] [--seconds 15]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom_load import free_port, library_pages, percentile, start_kit  # noqa: E402
from tests.wheel_factory import make_wheel  # noqa: E402

SEARCHES = ["flask", "virtual environment", "route", "template", "pip install", "sqlite", "debugging"]


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "LANTERN_"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


class Readers:
    """Learners reading: each thread loops over pages, recording (seconds, ok) per request."""

    def __init__(self, port: int, pages: dict, count: int):
        self.base, self.count = f"http://127.0.0.1:{port}", count
        self.urls = ["/"] + pages.get("pack", []) + pages.get("chapter", []) + pages.get("transcript", [])
        self.samples: list[tuple[float, bool]] = []
        self.lock, self.stop = threading.Lock(), threading.Event()

    def _loop(self, seed: int) -> None:
        chooser = random.Random(seed)
        while not self.stop.is_set():
            path = (chooser.choice(self.urls) if chooser.random() < 0.7
                    else "/search?q=" + chooser.choice(SEARCHES).replace(" ", "+"))
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.base + path, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except (urllib.error.URLError, OSError):
                ok = False
            with self.lock:
                self.samples.append((time.perf_counter() - started, ok))
            time.sleep(chooser.uniform(0.05, 0.3))

    def measure(self, work) -> tuple[list[tuple[float, bool]], object]:
        """Run `work()` while the readers read; the page samples taken meanwhile, and its result."""
        self.samples, self.stop = [], threading.Event()
        threads = [threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(self.count)]
        for thread in threads:
            thread.start()
        try:
            result = work()
        finally:
            self.stop.set()
            for thread in threads:
                thread.join(timeout=60)
        return list(self.samples), result


def concurrent(jobs) -> tuple[float, list[float]]:
    """Run the callables at once; (total wall time, each one's time). A failure raises."""
    times, errors = [0.0] * len(jobs), []

    def run(index, job):
        started = time.perf_counter()
        try:
            job()
        except Exception as error:          # noqa: BLE001 - reported below, the bench stops
            errors.append(f"{index}: {error}")
        times[index] = time.perf_counter() - started

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    if errors:
        raise RuntimeError("downloads failed: " + "; ".join(errors[:3]))
    return time.perf_counter() - started, times


def pip_download(args: list[str], dest: Path, expected: str):
    def job():
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-cache-dir", "--no-deps",
                               "--progress-bar", "off", "-d", str(dest), *args], capture_output=True,
                              text=True, env=offline_env(), timeout=600)
        if done.returncode != 0 or not (dest / expected).is_file():
            raise RuntimeError(done.stderr.strip()[-300:])
    return job


def http_gets(url: str, size: int, seconds: float):
    """GET the wheel again and again for `seconds` (a sustained stream of wheel traffic)."""
    def job():
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            with urllib.request.urlopen(url, timeout=120) as response:
                got = len(response.read())
            if got != size:
                raise RuntimeError(f"{got} bytes, expected {size}")
            fetched.append(got)
    fetched: list[int] = []
    job.fetched = fetched
    return job


def line(name: str, samples, total: float | None = None, each: list[float] | None = None) -> str:
    seconds = [s for s, _ in samples]
    errors = sum(1 for _, ok in samples if not ok)
    text = (f"{name:<34} pages: {len(samples):5d} requests, p50 {percentile(seconds, 50) * 1000:6.0f} ms, "
            f"p95 {percentile(seconds, 95) * 1000:6.0f} ms, p99 {percentile(seconds, 99) * 1000:6.0f} ms, "
            f"errors {errors}")
    if total is not None:
        text += f" | downloads: total {total:5.1f} s, slowest {max(each):5.1f} s"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--downloads", type=int, default=20)
    parser.add_argument("--mb", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=15, help="length of the pages-only phase")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lantern-wheels-bench-"))
    kit = peer = None
    try:
        built = work / "built"
        wheel = make_wheel(built, "lantern-bench-big", "1.0", padding_bytes=int(options.mb * 1e6))
        size = wheel.stat().st_size
        requirements = work / "requirements.txt"
        requirements.write_text("lantern-bench-big\n")
        wheelhouse = work / "data" / "wheels"          # the kit's default: <data>/wheels
        subprocess.run([sys.executable, "-m", "kit", "wheels", "add", str(requirements), "--wheels",
                        str(wheelhouse), "--no-index", "--find-links", str(built), "--platform",
                        "linux-x86_64", "--python", "3.11"], check=True, capture_output=True, env=offline_env())
        kit = start_kit(work / "data", ROOT / "content")
        peer_port = free_port()
        peer = subprocess.Popen([sys.executable, "-m", "http.server", str(peer_port), "--bind", "127.0.0.1",
                                 "--directory", str(wheelhouse)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(3)     # the kit's engine warms up in the background at start; let it settle
        readers = Readers(kit.port, library_pages(work / "data"), options.readers)
        print(f"Wheel {wheel.name}: {size / 1e6:.1f} MB; {options.readers} readers; "
              f"{options.downloads} downloads at once; {os.cpu_count()} CPU cores shared by all.")
        samples, _ = readers.measure(lambda: time.sleep(options.seconds))
        print(line("1. pages only", samples))
        n = range(options.downloads)
        kit_index = ["--index-url", f"http://127.0.0.1:{kit.port}/simple/", "lantern-bench-big"]
        samples, (total, each) = readers.measure(lambda: concurrent(
            [pip_download(kit_index, work / f"pip-kit-{i}", wheel.name) for i in n]))
        print(line("2. + pip download from the kit", samples, total, each))
        url = f"http://127.0.0.1:{kit.port}/wheels/{wheel.name}"
        getters = [http_gets(url, size, options.seconds) for _ in n]
        samples, (total, each) = readers.measure(lambda: concurrent(getters))
        served = sum(sum(job.fetched) for job in getters)
        print(line("3. + GETs of the wheel, non-stop", samples)
              + f" | {served / 1e6:,.0f} MB served in {total:.1f} s ({served / 1e6 / total:,.0f} MB/s)")
        peer_links = ["--no-index", "--find-links", f"http://127.0.0.1:{peer_port}/", "lantern-bench-big"]
        samples, (total, each) = readers.measure(lambda: concurrent(
            [pip_download(peer_links, work / f"pip-peer-{i}", wheel.name) for i in n]))
        print(line("4. + pip download from http.server", samples, total, each))
        print("(in 4 the readers still read the kit; only the wheels come from python -m http.server)")
    finally:
        if peer is not None:
            peer.terminate()
            peer.wait(timeout=20)
        if kit is not None:
            kit.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
