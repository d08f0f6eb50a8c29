"""Stopping and crashing leave nothing behind: `kit serve` (the real console script) stops
cleanly on SIGTERM as on Ctrl+C — also when a script started it in the background with
SIGINT ignored — with its model worker gone and its lock file removed; and damage found by a
kit killed during its start still reaches the teacher view of the next start."""
from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from kit.classroom.store import Store
from tests.test_kit_crash import KIT, Kit, clean_env, free_port
from tests.web_client import WebClient

PIN = "482913"


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def worker_of(kit: Kit, timeout: float = 60) -> int:
    """The model worker the kit starts in the background once it serves (Tutor.warm_up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in children(kit.pid):
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            if b"_engine-worker" in cmdline and b"serve" in cmdline:
                return child
        time.sleep(0.2)
    raise AssertionError(f"no model worker was started:\n{kit.output}")


def gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
        except (FileNotFoundError, IndexError):
            return True
        if state == "Z":          # ended; waiting for its parent to read its status
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def data(tmp_path) -> Path:
    return tmp_path / "data"


def test_sigterm_stops_the_kit_its_worker_and_removes_the_lock(data, bundled_content):
    kit = Kit(data, bundled_content)
    kit.wait_started()
    worker = worker_of(kit)
    assert (data / "kit.lock").is_file()
    kit.process.send_signal(signal.SIGTERM)
    assert kit.process.wait(timeout=30) == 0, kit.output
    assert "Stopped." in kit.output
    assert not (data / "kit.lock").exists()
    assert gone(worker), "the model worker outlived the kit"


def test_a_kit_started_in_the_background_with_sigint_ignored_still_stops_on_sigint(data, bundled_content):
    """A shell script's `kit serve &` starts it with SIGINT ignored; Python would keep ignoring it."""
    port = free_port()
    process = subprocess.Popen(
        [str(KIT), "serve", "--port", str(port), "--data", str(data), "--content", str(bundled_content)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=clean_env(), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        for line in process.stdout:
            if "Press Ctrl+C to stop." in line:
                break
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert not (data / "kit.lock").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_damage_found_by_a_start_that_was_then_killed_shows_in_the_next_teacher_view(data, bundled_content):
    classroom = data / "classroom"
    with Store(classroom) as store:
        store.set_teacher_pin(PIN)
        store.create_learner("Ana")
        store.create_learner("Ben")          # two writes: learners.json.bak holds Ana and Ben
    (classroom / "learners.json").write_text('{"learners": {"1": {"id": "x", "nick')   # torn
    kit = Kit(data, bundled_content)
    deadline = time.monotonic() + 60
    while not list(classroom.glob("learners.json.damaged-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    kit.kill()                                # found the damage, then died during its start
    aside, = classroom.glob("learners.json.damaged-*")

    again = Kit(data, bundled_content)
    try:
        again.wait_started()
        teacher = WebClient(again.url)
        assert teacher.post("/teacher/login", {"pin": PIN}).status == 303
        page = teacher.get("/teacher").text
        assert f"set aside as {aside.name}" in page
        assert teacher.post("/teacher/notices/seen", {"file": aside.name}).status == 303
        assert aside.name not in teacher.get("/teacher").text
        assert aside.is_file()                # hidden from the view, never deleted
    finally:
        again.stop()
    with Store(classroom) as store:
        assert {learner["nickname"] for learner in store.learners()} == {"Ana", "Ben"}
