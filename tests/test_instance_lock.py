"""One kit per data folder (kit/cli/instance_lock.py), with real processes and real lock files."""
from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit.cli.instance_lock import AlreadyRunning, DataFolderLock, process_start_time

HOLDER = """
import sys, time
from pathlib import Path
from kit.cli.instance_lock import DataFolderLock
lock = DataFolderLock(Path(sys.argv[1]))
lock.acquire()
print("holding", flush=True)
sys.stdin.readline()          # hold the lock until the test closes our stdin
lock.release()
"""


@pytest.fixture
def data(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def other_kit(data):
    """Another process holding the lock on `data`, as a second `kit serve` would find it."""
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(data)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "holding"
    yield child
    child.stdin.close()
    child.wait(timeout=10)


def a_pid_that_is_not_running() -> int:
    """The PID of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def write_lock(data: Path, **record) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    path = data / "kit.lock"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def test_the_lock_file_names_this_process(data):
    with DataFolderLock(data):
        record = json.loads((data / "kit.lock").read_text())
        assert record["pid"] == os.getpid()
        assert record["start"] == process_start_time(os.getpid())


def test_a_second_kit_on_the_same_folder_is_refused_naming_the_pid_folder_and_what_to_do(
        data, other_kit):
    with pytest.raises(AlreadyRunning) as refused:
        DataFolderLock(data).acquire()
    message = str(refused.value)
    assert f"PID {other_kit.pid}" in message and str(data) in message
    assert "stop it first" in message and "another data folder" in message
    assert refused.value.pid == other_kit.pid


def test_a_refused_kit_leaves_the_running_kits_lock_alone(data, other_kit):
    before = (data / "kit.lock").read_bytes()
    with pytest.raises(AlreadyRunning):
        DataFolderLock(data).acquire()
    assert (data / "kit.lock").read_bytes() == before


def test_a_second_lock_in_the_same_process_is_refused(data):
    with DataFolderLock(data):
        with pytest.raises(AlreadyRunning):
            DataFolderLock(data).acquire()


def test_a_lock_left_by_a_process_that_is_gone_is_taken_over_with_a_note(data):
    dead = a_pid_that_is_not_running()
    write_lock(data, pid=dead, start=None, host=None, since="2026-11-22 09:00:00")
    lock = DataFolderLock(data)
    lock.acquire()
    try:
        assert json.loads((data / "kit.lock").read_text())["pid"] == os.getpid()
        [note] = lock.notes
        assert f"PID {dead}" in note and "not running" in note
    finally:
        lock.release()


@pytest.mark.skipif(process_start_time(os.getpid()) is None,
                    reason="process start times are not readable on this system")
def test_a_lock_whose_pid_now_belongs_to_another_program_is_taken_over(data, other_kit):
    other_kit_lock = json.loads((data / "kit.lock").read_text())
    write_lock(data, **{**other_kit_lock, "start": other_kit_lock["start"] + "0"})
    with DataFolderLock(data) as lock:
        assert "another program" in lock.notes[0]


def test_a_lock_written_on_another_computer_is_taken_over(data):
    write_lock(data, pid=os.getppid(), start=None, host="the-laptop-that-crashed")
    with DataFolderLock(data) as lock:
        assert "the-laptop-that-crashed" in lock.notes[0]


def test_a_lock_with_this_processes_own_pid_that_it_does_not_hold_is_stale(data):
    """In a container every kit is PID 1: the lock of the last run names our own PID."""
    write_lock(data, pid=os.getpid(), start=None, host=None)
    with DataFolderLock(data) as lock:
        assert "this kit's own" in lock.notes[0]


def test_an_old_empty_lock_file_is_taken_over(data):
    path = write_lock(data)
    path.write_bytes(b"")
    os.utime(path, (time.time() - 60, time.time() - 60))
    with DataFolderLock(data) as lock:
        assert "empty or unreadable" in lock.notes[0]


def test_release_removes_the_lock_file_and_a_second_release_is_harmless(data):
    lock = DataFolderLock(data)
    lock.acquire()
    lock.release()
    assert not (data / "kit.lock").exists()
    lock.release()


def test_leaving_the_with_block_releases_the_folder_for_the_next_kit(data):
    with DataFolderLock(data):
        pass
    with DataFolderLock(data) as again:
        assert again.notes == []


def test_release_does_not_remove_a_lock_that_another_kit_has_taken_over(data):
    lock = DataFolderLock(data)
    lock.acquire()
    write_lock(data, pid=12345, start=None, host=None)      # e.g. after someone deleted ours
    lock.release()
    assert json.loads((data / "kit.lock").read_text())["pid"] == 12345


def test_a_lock_taken_over_by_another_kit_while_we_judged_it_stale_is_left_alone(data, other_kit):
    """The interleaving two kits finding one stale lock can produce, made certain: between our
    check and our takeover, the other kit replaces the stale lock with its live one."""
    live = (data / "kit.lock").read_bytes()
    write_lock(data, pid=a_pid_that_is_not_running(), start=None, host=None)

    class KitThatIsOvertaken(DataFolderLock):
        def _why_stale(self, owner, held_here):
            why = DataFolderLock._why_stale(owner, held_here)
            (data / "kit.lock").write_bytes(live)          # the other kit got there first
            return why

    with pytest.raises(AlreadyRunning):
        KitThatIsOvertaken(data).acquire()
    assert (data / "kit.lock").read_bytes() == live


# -- races between real processes -------------------------------------------------------------

def _race(folder: str, everyone_ready, results, finished) -> None:
    everyone_ready.wait()
    lock = DataFolderLock(Path(folder))
    try:
        lock.acquire()
    except AlreadyRunning:
        results.put("refused")
        return
    results.put("won")
    finished.wait(30)        # hold it until every contender has tried
    lock.release()


def _run_race(folder: Path, contenders: int = 8) -> list[str]:
    context = multiprocessing.get_context("spawn")
    everyone_ready, results = context.Barrier(contenders), context.Queue()
    finished = context.Event()
    processes = [context.Process(target=_race,
                                 args=(str(folder), everyone_ready, results, finished))
                 for _ in range(contenders)]
    for process in processes:
        process.start()
    try:
        return [results.get(timeout=60) for _ in processes]
    finally:
        finished.set()
        for process in processes:
            process.join(timeout=30)


def test_of_kits_starting_at_the_same_moment_exactly_one_wins(data):
    data.mkdir()
    outcomes = _run_race(data)
    assert outcomes.count("won") == 1 and outcomes.count("refused") == 7


def test_of_kits_racing_for_a_stale_lock_exactly_one_wins(data):
    write_lock(data, pid=a_pid_that_is_not_running(), start=None, host=None)
    outcomes = _run_race(data)
    assert outcomes.count("won") == 1 and outcomes.count("refused") == 7
