"""Time from starting a built Lantern program to its first HTTP 200, a few runs each.

    python build/measure_start.py PROGRAM [PROGRAM ...] [--runs 3]

Each run starts `PROGRAM serve --port N --data <fresh temp folder>` (so the bundled content is
indexed from scratch, as on a first start) and polls / every 20 ms. Prints the program's size
(the file, or its whole folder for a onedir build) and each run's seconds. The numbers in
build/README.md come from this script.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path


def program_size(program: Path) -> int:
    internal = program.parent / "_internal"
    if not internal.is_dir():
        return program.stat().st_size
    return sum(p.stat().st_size for p in program.parent.rglob("*") if p.is_file() and not p.is_symlink())


def first_200_seconds(program: Path, timeout: float = 60.0) -> float:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
        started = time.perf_counter()
        process = subprocess.Popen([str(program), "serve", "--port", str(port), "--data", data],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            while time.perf_counter() - started < timeout:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as answer:
                        if answer.status == 200:
                            return time.perf_counter() - started
                except OSError:
                    pass
                if process.poll() is not None:
                    raise SystemExit(f"{program} exited with code {process.returncode}")
                time.sleep(0.02)
            raise SystemExit(f"{program} did not answer within {timeout:g} s")
        finally:
            process.terminate()
            process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("programs", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for program in args.programs:
        times = [first_200_seconds(program) for _ in range(args.runs)]
        print(f"{program}: {program_size(program) / 1e6:.1f} MB; first HTTP 200 after "
              f"{', '.join(f'{t:.2f}' for t in times)} s (median {sorted(times)[len(times) // 2]:.2f} s)")


if __name__ == "__main__":
    main()
