"""Crash test of the whole kit: `kit serve` (the venv's console script, the bundled library) is
killed with SIGKILL at random moments while learners write through the web pages, 100 times.

Each round starts the kit on the same data folder; client threads, each a browser with its own
cookies and CSRF token, join with a nickname, save a note on a chapter and mark it done, as
fast as the kit answers; the test kills the kit at a random moment among those writes. Then a
fresh kit.classroom.store.Store loads <data>/classroom: every write the kit acknowledged (the forms answer
303 once the store has written, kit/app.py) must be there, and no file may be damaged.
The kill leaves the data folder's lock behind; the next `kit serve` must find it stale, say so
and start. tests/test_store_crash.py does the same for the store alone; this is end to end.

Restarts are quick because the index is built once, by the first start, and then only checked
(~0.5 s a start on 2 cores); the test prints how long starts took.

Also here, as the teacher would meet it: a second `kit serve` on a data folder a running kit
uses is refused with a message naming the running kit's PID and the folder.
"""
from __future__ import annotations

import http.client
import os
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest

from kit.classroom.store import Store
from tests.web_client import WebClient

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

KIT = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kit"
ROUNDS = 100
CLIENTS = 3
PACK = "first-web-app"
STARTED = "Press Ctrl+C to stop."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    return {**env, "PYTHONUNBUFFERED": "1"}


class Kit:
    """`kit serve` on `data` as a child process, its output (stdout and stderr) kept by line."""

    def __init__(self, data: Path, content: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [str(KIT), "serve", "--port", str(self.port), "--data", str(data), "--content", str(content)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=clean_env())
        self.pid = self.process.pid
        self.lines: list[str] = []
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._lines.put(line)
        self._lines.put(None)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_started(self, timeout: float = 120) -> float:
        """Seconds from launch until the kit said it serves; fails with its output if it did not."""
        deadline = time.monotonic() + timeout
        while not any(STARTED in line for line in self.lines):
            try:
                if self._lines.get(timeout=max(0.0, deadline - time.monotonic())) is None:
                    break        # it exited
            except queue.Empty:
                break
        assert any(STARTED in line for line in self.lines), f"the kit did not start:\n{self.output}"
        return time.monotonic() - self.started_at

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def kits():
    """kits(data, content) starts a kit; any still running at the end is stopped."""
    started: list[Kit] = []

    def start(data: Path, content: Path) -> Kit:
        started.append(Kit(data, content))
        return started[-1]
    yield start
    for kit in started:
        kit.stop()


def chapters(content: Path) -> list[str]:
    return [f"flask-workshop/{path.stem}"
            for path in sorted((content / PACK / "flask-workshop").glob("[0-9]*.md"))]


class Writes:
    """What the clients of all rounds were told (thread-safe enough: list.append is atomic)."""

    def __init__(self):
        # ("learner", nickname) / ("note", nickname, doc, text) / ("done", nickname, doc)
        self.acked: list[tuple] = []
        self.cut_off: list[str] = []          # requests the kill interrupted
        self.unexpected: list[str] = []       # answers that are neither an acknowledgement nor a dead kit
        self.failures: list[str] = []         # assertion failures (and errors) inside client threads
        self.first_ack = threading.Event()


def send(client: WebClient, writes: Writes, path: str, form: dict, token: str) -> bool:
    """POST a form; True when the kit acknowledged it with its 303, False once the kit is gone."""
    try:
        response = client.post(path, form, token=token)
    except (OSError, ValueError, http.client.HTTPException) as error:   # URLError is an OSError
        if not isinstance(getattr(error, "reason", error), ConnectionRefusedError):
            writes.cut_off.append(path)       # sent, or being answered, when the kit died
        return False
    if response.status != 303:
        writes.unexpected.append(f"POST {path}: {response.status} {response.text[:200]}")
        return False
    return True


def learner_writes(url: str, name: str, docs: list[str], writes: Writes, stop: threading.Event) -> None:
    """Learner after learner (each a new device): join, then a note and "done" on each chapter,
    until the kit dies or the round is over. An assertion failure (a page without its CSRF
    token, say) is not taken for a dead kit: it is kept for the test to fail with."""
    try:
        _learner_writes(url, name, docs, writes, stop)
    except BaseException:                    # noqa: BLE001 - the test thread reports it
        writes.failures.append(f"client {name}:\n{traceback.format_exc()}")


def _learner_writes(url: str, name: str, docs: list[str], writes: Writes, stop: threading.Event) -> None:
    for k in range(1000):
        client, nickname = WebClient(url), f"{name}k{k}"
        try:
            token = client.csrf_token()
        except (OSError, ValueError, http.client.HTTPException):
            return                            # the kit is gone before this device got a page
        if not send(client, writes, "/join", {"nickname": nickname, "next": "/"}, token):
            return
        writes.acked.append(("learner", nickname))
        writes.first_ack.set()
        for doc in docs:
            if stop.is_set():
                return
            text = f"{nickname} on {doc}: routes map URLs to functions."
            if not send(client, writes, "/notes", {"pack": PACK, "doc": doc, "text": text}, token):
                return
            writes.acked.append(("note", nickname, doc, text))
            if not send(client, writes, "/progress", {"pack": PACK, "doc": doc, "done": "1"}, token):
                return
            writes.acked.append(("done", nickname, doc))


def lost_writes(classroom: Path, acked: list[tuple]) -> list:
    """The acknowledged writes a fresh Store cannot find, and any damage it reports."""
    with Store(classroom) as store:
        ids = {learner["nickname"]: learner["id"] for learner in store.learners()}
        progress = store.all_progress()
        lost = list(store.warnings)
        for kind, nickname, *rest in acked:
            learner = ids.get(nickname)
            if kind == "learner":
                found = learner is not None
            elif kind == "note":
                doc, text = rest
                found = learner is not None and store.note(learner, PACK, doc) == text
            else:
                found = [PACK, rest[0]] in progress.get(learner, {}).get("chapters_done", [])
            if not found:
                lost.append((kind, nickname, *rest))
    return lost


@pytest.mark.crash
def test_every_acknowledged_web_write_survives_sigkill_and_the_next_kit_takes_over_the_lock(
        tmp_path, bundled_content, kits):
    data, docs = tmp_path / "data", chapters(bundled_content)
    assert len(docs) >= 5, docs
    randomly = random.Random(20261123)
    writes = Writes()
    start_times: list[float] = []
    began = time.monotonic()
    killed_pid = None
    for round_ in range(ROUNDS):
        kit = kits(data, bundled_content)
        start_times.append(kit.wait_started())
        if killed_pid is not None:         # the lock the killed kit left was stale: taken over
            assert f"Took over a stale lock on {data} (PID {killed_pid}: that process is not " \
                   f"running)" in kit.output, kit.output
        stop, writes.first_ack = threading.Event(), threading.Event()
        clients = [threading.Thread(target=learner_writes, args=(kit.url, f"r{round_}c{n}", docs,
                                                                 writes, stop))
                   for n in range(CLIENTS)]
        for thread in clients:
            thread.start()
        assert writes.first_ack.wait(timeout=60), f"round {round_}: no write acknowledged"
        time.sleep(randomly.uniform(0, 0.25))   # a random moment among the writes
        kit.kill()
        killed_pid = kit.pid
        stop.set()
        for thread in clients:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in clients)
        assert writes.failures == [], f"round {round_}: a client failed:\n" + "\n".join(writes.failures)
        assert writes.unexpected == [], writes.unexpected
        assert (data / "kit.lock").is_file(), "SIGKILL leaves the lock behind"
        lost = lost_writes(data / "classroom", writes.acked)
        assert lost == [], f"round {round_}: acknowledged with a 303 but lost after SIGKILL: {lost}"
    # one more start: the lock of the last kill is taken over too
    last = kits(data, bundled_content)
    last.wait_started()
    assert f"(PID {killed_pid}: that process is not running)" in last.output
    learners = sum(1 for write in writes.acked if write[0] == "learner")
    print(f"\n{ROUNDS} SIGKILLs of `kit serve`: {len(writes.acked)} acknowledged writes "
          f"({learners} learners joined), none lost; {len(writes.cut_off)} requests cut off by a kill; "
          f"start to serving: first {start_times[0]:.2f} s (index built), then median "
          f"{statistics.median(start_times[1:]):.2f} s, max {max(start_times[1:]):.2f} s; "
          f"{time.monotonic() - began:.0f} s in all")
    assert writes.cut_off, "no kill landed in the middle of a write: the test did not test that"


def test_a_second_kit_on_the_same_data_folder_is_refused_naming_the_pid_and_the_folder(
        tmp_path, bundled_content, kits):
    data = tmp_path / "data"
    first = kits(data, bundled_content)
    first.wait_started()
    lock_before = (data / "kit.lock").read_bytes()
    second = subprocess.run(
        [str(KIT), "serve", "--port", str(free_port()), "--data", str(data), "--content",
         str(bundled_content)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        env=clean_env(), timeout=120)
    assert second.returncode != 0
    assert f"Another Lantern kit (PID {first.pid}" in second.stderr
    assert f"is already using the data folder {data}." in second.stderr
    assert "Traceback" not in second.stderr
    assert STARTED not in second.stdout
    assert (data / "kit.lock").read_bytes() == lock_before          # the first kit's lock is kept
    assert WebClient(first.url).get("/").status == 200               # and it still serves
