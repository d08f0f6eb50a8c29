"""One kit per data folder: a second `kit serve` on the same folder is refused.

Two kits on one folder would each keep their own copy of the classroom files and overwrite each
other's writes. The lock is a file, `kit.lock`, holding the owner's PID and process start time.
It is created with O_CREAT|O_EXCL, which the OS does atomically: of two kits starting at once,
exactly one creates it.

A lock whose owner is gone is stale and is taken over (with a note): the PID is not running, or
it runs but started at another time than recorded (the PID was reused by another program, e.g.
after a reboot or in a container where every kit is PID 1), or the lock was written on another
computer (a stick moved from a laptop that crashed). Taking over is itself guarded by a second
O_EXCL file, so two kits finding the same stale lock cannot both win.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

LOCK_NAME = "kit.lock"
_EMPTY_GRACE_S = 2.0      # a just-created lock may be empty for a moment while its owner writes
_GUARD_STALE_S = 10.0     # the takeover guard is held for milliseconds; older means its owner died
_HELD: set[str] = set()   # lock files this process holds
_HELD_LOCK = threading.Lock()


class AlreadyRunning(RuntimeError):
    """Another running kit holds the data folder."""

    def __init__(self, pid: int, folder: Path, since: str = ""):
        started = f", running since {since}" if since else ""
        super().__init__(
            f"Another Lantern kit (PID {pid}{started}) is already using the data folder {folder}. "
            f"Use that kit, or stop it first (close its window or press Ctrl+C where it runs). "
            f"To run a second kit, give it another data folder. If you are sure no kit is "
            f"running, delete {folder / LOCK_NAME}.")
        self.pid, self.folder = pid, folder


def process_start_time(pid: int) -> str | None:
    """When the process started, as an opaque string that differs between processes which had the
    same PID; None where it cannot be read (then only the PID is compared)."""
    if sys.platform == "win32":
        return _windows_start_time(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    return f"{boot_id}:{stat.rsplit(')', 1)[1].split()[19]}"   # field 22: start time in ticks


def process_running(pid: int) -> bool:
    if sys.platform == "win32":
        return _windows_start_time(pid) is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:        # running, as another user
        return True
    except OverflowError:
        return False
    with suppress(OSError, IndexError):   # a zombie has exited; only its parent has not noticed
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _windows_start_time(pid: int) -> str | None:
    """The creation time of a running process, or None when there is no such running process."""
    import ctypes
    from ctypes import wintypes
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    handle = kernel32.OpenProcess(0x1000, False, pid)   # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        # access denied means it exists (another user's process); start time unknown
        return "" if ctypes.get_last_error() == 5 else None
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) or code.value != 259:
            return None                                   # 259 = STILL_ACTIVE
        times = [wintypes.FILETIME() for _ in range(4)]
        if not kernel32.GetProcessTimes(handle, *[ctypes.byref(t) for t in times]):
            return ""
        return str((times[0].dwHighDateTime << 32) | times[0].dwLowDateTime)
    finally:
        kernel32.CloseHandle(handle)


def _owner_record() -> dict:
    return {"pid": os.getpid(), "start": process_start_time(os.getpid()),
            "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}


class DataFolderLock:
    """`with DataFolderLock(folder):` -- or acquire()/release(). `notes` says if a stale lock
    was taken over."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.notes: list[str] = []
        self._record: dict | None = None

    def __enter__(self) -> DataFolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the folder, or raise AlreadyRunning naming the kit that has it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(self.path)
        while True:
            record = _owner_record()
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._refuse_or_clear_stale(key)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
                handle.flush()
                os.fsync(handle.fileno())
            with _HELD_LOCK:
                _HELD.add(key)
            self._record = record
            return

    def release(self) -> None:
        """Remove the lock file if it is still ours; calling it twice is harmless."""
        if self._record is None:
            return
        with suppress(OSError, ValueError):
            if json.loads(self.path.read_text(encoding="utf-8")) == self._record:
                self.path.unlink()
        with _HELD_LOCK:
            _HELD.discard(os.path.realpath(self.path))
        self._record = None

    def _refuse_or_clear_stale(self, key: str) -> None:
        """Raise AlreadyRunning if the lock's owner runs; otherwise remove the stale lock."""
        owner, raw = self._read_owner()
        if owner is None:
            if raw is None:
                return                                   # gone meanwhile: try again
            age = time.time() - _mtime(self.path)
            if age < _EMPTY_GRACE_S:                     # its owner is still writing it
                time.sleep(0.05)
                return
            why = "the lock file was empty or unreadable"
        else:
            with _HELD_LOCK:
                held_here = key in _HELD
            why = self._why_stale(owner, held_here)
            if why is None:
                raise AlreadyRunning(owner["pid"], self.folder, owner.get("since", ""))
        if self._remove_if_unchanged(raw):
            pid = owner["pid"] if owner else "unknown"
            self.notes.append(f"Took over a stale lock on {self.folder} (PID {pid}: {why}); "
                              f"the kit that left it did not stop cleanly.")

    def _read_owner(self) -> tuple[dict | None, bytes | None]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        try:
            owner = json.loads(raw)
            int(owner["pid"])
            return owner, raw
        except (ValueError, TypeError, KeyError):
            return None, raw

    @staticmethod
    def _why_stale(owner: dict, held_here: bool) -> str | None:
        pid = int(owner["pid"])
        if owner.get("host") not in (None, socket.gethostname()):
            return f"it was written on another computer, {owner['host']}"
        if pid == os.getpid():
            return None if held_here else "that PID is now this kit's own"
        if not process_running(pid):
            return "that process is not running"
        recorded, actual = owner.get("start"), process_start_time(pid)
        if recorded and actual and recorded != actual:
            return "that PID now belongs to another program"
        return None

    def _remove_if_unchanged(self, seen: bytes) -> bool:
        """Delete the stale lock file only if it still holds what we judged stale, under a guard
        file, so a kit that took it over meanwhile does not lose its fresh lock."""
        guard = self.path.with_name(LOCK_NAME + ".takeover")
        try:
            os.close(os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            if time.time() - _mtime(guard) > _GUARD_STALE_S:
                with suppress(OSError):
                    guard.unlink()
            time.sleep(0.01)
            return False
        try:
            if self.path.read_bytes() != seen:
                return False
            self.path.unlink()
            return True
        except FileNotFoundError:
            return False
        finally:
            guard.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()
