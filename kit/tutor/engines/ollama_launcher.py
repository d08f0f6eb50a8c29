"""Starting `ollama serve` from the stick when no Ollama server is running.

A classroom laptop rarely has Ollama installed, but the kit's stick can carry the `ollama`
program (in an `ollama/` folder beside the kit) and its models. The kit then runs its own
server: on a loopback port of its own (never Ollama's 11434, so it cannot clash with an
installed Ollama; never a LAN address), with its models folder, its own HOME (Ollama writes
`~/.ollama/id_ed25519` there), no pruning (pruning renames and deletes files in the models
folder and fails on read-only media) and no cloud look-ups. See shared/FIELD_NOTES.md.
"""
from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from kit.tutor.engines.base import EngineError
from kit.settings import project_root

EXE_NAME = "ollama.exe" if os.name == "nt" else "ollama"


def server_version(url: str, timeout: float = 1.0) -> str | None:
    """Ollama's version if a server answers `GET /api/version` at `url` in time, else None.
    Proxy variables are ignored: a classroom proxy must never see the kit's local traffic."""
    try:
        response = httpx.get(f"{url}/api/version", timeout=timeout, trust_env=False)
        response.raise_for_status()
        version = response.json().get("version")
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return version if isinstance(version, str) else None


def find_ollama_executable(settings) -> Path | None:
    """The `ollama` program to start: the setting, then an `ollama/` folder beside the kit
    (or beside the frozen app, or one level up on a stick), then PATH."""
    if settings.ollama_bin:
        path = Path(settings.ollama_bin).expanduser()
        return path if path.is_file() else None
    roots = [project_root(), project_root().parent]
    if getattr(sys, "frozen", False):
        roots.insert(0, Path(sys.executable).resolve().parent)
    for root in roots:
        for candidate in (root / "ollama" / EXE_NAME, root / "ollama" / "bin" / EXE_NAME):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    found = shutil.which("ollama")
    return Path(found) if found else None


def child_environment(base: dict[str, str], host: str, port: int, models_dir: Path,
                      home_dir: Path, frozen: bool = False) -> dict[str, str]:
    """The environment for `ollama serve`. A PyInstaller app sets LD_LIBRARY_PATH to its own
    unpack folder and keeps the user's in LD_LIBRARY_PATH_ORIG: give the child the original,
    or Ollama loads the app's copies of system libraries."""
    env = dict(base)
    env.update({
        "OLLAMA_HOST": f"{host}:{port}",
        "OLLAMA_MODELS": str(models_dir),
        "OLLAMA_NOPRUNE": "1",
        "OLLAMA_NO_CLOUD": "1",
        "HOME": str(home_dir),
        "USERPROFILE": str(home_dir),
    })
    if frozen:
        original = env.pop("LD_LIBRARY_PATH_ORIG", None)
        if original is not None:
            env["LD_LIBRARY_PATH"] = original
        else:
            env.pop("LD_LIBRARY_PATH", None)
    return env


class OllamaServer:
    """One `ollama serve` child process: start() waits until it answers; stop() ends it."""

    def __init__(self, executable: Path, models_dir: Path, home_dir: Path, port: int = 11435,
                 host: str = "127.0.0.1", log_path: Path | None = None):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the kit's own Ollama binds loopback only, not {host}")
        self.executable, self.models_dir, self.home_dir = Path(executable), models_dir, home_dir
        self.host, self.port = host, port
        self.log_path = log_path or home_dir / "ollama-serve.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, deadline_s: float = 30.0) -> OllamaServer:
        """Start the child and return once `GET /api/version` answers. Raises EngineError
        (with the end of Ollama's log) when it exits early or does not answer in time."""
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self.home_dir.mkdir(parents=True, exist_ok=True)
        frozen = bool(getattr(sys, "frozen", False))
        if frozen and os.name == "nt":
            import ctypes  # PyInstaller's DLL folder must not leak into the child's search path
            ctypes.windll.kernel32.SetDllDirectoryW(None)
        env = child_environment(os.environ, self.host, self.port, self.models_dir,
                                self.home_dir, frozen)
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        with open(self.log_path, "ab") as log:
            try:
                self.process = subprocess.Popen([str(self.executable), "serve"], env=env,
                                                stdin=subprocess.DEVNULL, stdout=log,
                                                stderr=subprocess.STDOUT, creationflags=flags)
            except OSError as error:
                raise EngineError(f"Could not start {self.executable}: {error}. On a FAT32 stick "
                                  "Linux cannot run programs: use exFAT, or copy Ollama to the "
                                  "computer.") from None
        atexit.register(self.stop)
        self._wait_until_ready(deadline_s)
        return self

    def _wait_until_ready(self, deadline_s: float) -> None:
        give_up_at = time.monotonic() + deadline_s
        while time.monotonic() < give_up_at:
            code = self.process.poll()
            if code is not None:
                raise EngineError(f"Ollama ({self.executable}) stopped right after starting "
                                  f"(exit code {code}). Its last words:\n{self._log_tail()}")
            if server_version(self.url, timeout=1.0) is not None:
                return
            time.sleep(0.1)
        self.stop()
        raise EngineError(f"Ollama ({self.executable}) did not answer at {self.url} within "
                          f"{deadline_s:g} s. Its last words:\n{self._log_tail()}")

    def _log_tail(self, lines: int = 8) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.strip().splitlines()[-lines:]) or "(nothing)"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace_s: float = 5.0) -> None:
        """Ask the child to stop (SIGTERM lets Ollama unload models), then kill it."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace_s)


_started: dict[int, OllamaServer] = {}
_start_lock = threading.Lock()


def ensure_kit_ollama(settings, start: bool = True) -> tuple[str | None, str]:
    """(URL of the kit's own Ollama or None, why). Reuses a server already answering on the
    kit's port (started by this or an earlier run); else starts one when a program is found
    and `start` is true. One server per port per process, stopped when Python exits."""
    url = f"http://127.0.0.1:{settings.ollama_port}"
    with _start_lock:
        if server_version(url) is not None:
            return url, f"the kit's Ollama is running at {url}"
        executable = find_ollama_executable(settings)
        if executable is None:
            return None, ("no `ollama` program was found (looked in an ollama/ folder beside "
                          "the kit and on PATH)")
        if not start:
            return None, f"would start {executable} on {url}"
        server = OllamaServer(executable, settings.models_folder / "ollama",
                              settings.ollama_home_dir, port=settings.ollama_port,
                              log_path=settings.data_dir / "ollama-serve.log")
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        server.start()
        _started[settings.ollama_port] = server
        return url, f"started {executable} on {url}"


def stop_kit_ollama() -> None:
    """Stop every `ollama serve` this process started (the app calls it on shutdown)."""
    with _start_lock:
        for port in list(_started):
            _started.pop(port).stop()
