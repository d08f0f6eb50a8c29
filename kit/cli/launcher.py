"""What the program needs when a teacher double-clicks it rather than typing a command.

A windowed build (no console) starts with `sys.stdout` and `sys.stderr` set to None: every
message, and every traceback explaining a failure, would vanish. They go to `lantern.log` in
the data folder instead, where README.txt tells the teacher to look.

The stick's launchers run `kit start`: serve, and open the browser once the page answers (or at
once when a Lantern is already running on that port, say after a second double-click).
"""
from __future__ import annotations

import os
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

LOG_NAME = "lantern.log"


def redirect_missing_streams(data_dir: Path | None = None) -> Path | None:
    """Point a missing stdout/stderr at `<data>/lantern.log` (appended, line-buffered).
    Returns the log's path, or None when both streams exist (a console or a terminal)."""
    if sys.stdout is not None and sys.stderr is not None:
        return None
    if data_dir is None:
        from kit import paths
        data_dir = Path(os.environ["LANTERN_DATA"]) if os.environ.get("LANTERN_DATA") \
            else paths.default_data_dir()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        log = open(data_dir / LOG_NAME, "a", encoding="utf-8", buffering=1, errors="replace")
    except OSError:
        log = open(os.devnull, "w", encoding="utf-8")   # still better than crashing on print
    log.write(f"\n--- Lantern started {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n")
    if sys.stdout is None:
        sys.stdout = log
    if sys.stderr is None:
        sys.stderr = log
    return data_dir / LOG_NAME


def lantern_answers(url: str, timeout: float = 1.0) -> bool:
    """Is a Lantern (waitress says `Server: Lantern`) answering at `url`?"""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.headers.get("Server", "").startswith("Lantern")
    except (urllib.error.URLError, OSError, ValueError):
        return False


def open_browser_when_ready(url: str, deadline_s: float = 60.0,
                            opener=webbrowser.open) -> threading.Thread:
    """In the background: wait until `url` answers, then open it in the default browser."""
    def wait_then_open():
        give_up_at = time.monotonic() + deadline_s
        while time.monotonic() < give_up_at:
            if lantern_answers(url):
                opener(url)
                return
            time.sleep(0.3)
    thread = threading.Thread(target=wait_then_open, name="open-browser", daemon=True)
    thread.start()
    return thread
