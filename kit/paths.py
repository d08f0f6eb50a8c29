"""Where the kit's folders are, run from a checkout or as the frozen program on a USB stick.

Three kinds of place, kept apart on purpose:
- *resources* ship inside the program (templates, bundled content, model manifests): the
  checkout, or PyInstaller's unpack folder `sys._MEIPASS` — read-only and, for a onefile
  build, deleted at exit, so nothing is ever written there;
- the *kit root* is where the stick's own folders live: the checkout from source; for the
  frozen program, the parent of the `Lantern/` folder that holds it (the stick's top level),
  or the program's own folder when it is not inside one. `content/`, `models/`, `ollama/`
  there win over what the program carries;
- the *data folder* is where learners' work goes: `data/` in the kit root when the medium is
  writable, else a per-user folder — and then a notice says why, for the teacher view.
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

STICK_FOLDER = "Lantern"     # the folder on a stick holding the program(s), one per OS
OS_NAMES = {"linux": "linux", "darwin": "macos", "win32": "windows"}


def os_name(platform: str | None = None) -> str:
    """'linux', 'macos' or 'windows': the name of this OS's folders on the stick."""
    platform = platform or sys.platform
    return next((name for prefix, name in OS_NAMES.items() if platform.startswith(prefix)),
                platform)


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def source_root() -> Path:
    """The checkout: the folder holding `kit/`."""
    return Path(__file__).resolve().parent.parent


def resources_root() -> Path:
    """Read-only files the program carries: PyInstaller's unpack folder when frozen."""
    unpacked = getattr(sys, "_MEIPASS", None)
    return Path(unpacked) if unpacked else source_root()


def kit_root(frozen: bool | None = None, executable: str | Path | None = None) -> Path:
    """Where the stick's folders (`content/`, `models/`, `data/`, `ollama/`) are looked for.

    Frozen, the program sits in `<stick>/Lantern/<os>/` (or deeper, inside a macOS bundle):
    the stick is the parent of the nearest `Lantern` folder above it, at most four levels up.
    A frozen program elsewhere (say `build/dist/linux/`) uses its own folder. From source it
    is always the checkout, whatever the checkout's folder is called."""
    frozen = is_frozen() if frozen is None else frozen
    if not frozen:
        return source_root()
    folder = Path(executable or sys.executable).resolve().parent
    for ancestor in [folder, *folder.parents][:5]:
        if ancestor.name.lower() == STICK_FOLDER.lower() and ancestor.parent != ancestor:
            return ancestor.parent
    return folder


def content_dir(root: Path | None = None) -> Path:
    """The stick's `content/` when there is one, else the content the program carries."""
    on_stick = (root or kit_root()) / "content"
    return on_stick if on_stick.is_dir() else resources_root() / "content"


def models_dir(root: Path | None = None) -> Path | None:
    """The stick's `models/` (GGUF files, Ollama store in `ollama/`), or None when absent."""
    on_stick = (root or kit_root()) / "models"
    return on_stick if on_stick.is_dir() else None


def wheels_dir(root: Path | None = None) -> Path | None:
    """The stick's `wheels/` (the Python package index learners install from), or None."""
    on_stick = (root or kit_root()) / "wheels"
    return on_stick if on_stick.is_dir() else None


def ollama_program(root: Path | None = None, os_folder: str | None = None) -> Path | None:
    """The `ollama` program the stick carries for this OS (`ollama/<os>/`, as the release
    archives unpack: `ollama[.exe]` or `bin/ollama`), or None."""
    folder = (root or kit_root()) / "ollama" / (os_folder or os_name())
    name = "ollama.exe" if (os_folder or os_name()) == "windows" else "ollama"
    return next((p for p in (folder / name, folder / "bin" / name) if p.is_file()), None)


def user_data_dir(platform: str | None = None, environ=None, home: Path | None = None) -> Path:
    """The per-user folder each OS expects applications to keep their data in."""
    platform, environ = platform or sys.platform, os.environ if environ is None else environ
    home = home or Path.home()
    if platform.startswith("win"):
        base = environ.get("LOCALAPPDATA")
        return Path(base) / "Lantern" if base else home / "AppData" / "Local" / "Lantern"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Lantern"
    base = environ.get("XDG_DATA_HOME")
    return (Path(base) if base else home / ".local" / "share") / "lantern"


def writable_problem(folder: Path) -> str | None:
    """None when a file can be created in `folder` (or, if it does not exist yet, in its
    parent), else the reason. It really creates and deletes a file: os.access says yes for
    read-only mounts, for FAT sticks the OS mounted read-only after an error, and to root."""
    probe_in = folder if folder.is_dir() else folder.parent
    probe = probe_in / f".lantern-write-test-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        return f"{error.strerror or error} ({probe_in})"
    return None


def choose_data_dir(root: Path | None = None, user_dir: Path | None = None) -> tuple[Path, object | None]:
    """(data folder, notice). `data/` in the kit root when writable; else the per-user
    folder, with a notice for the teacher saying where learners' work goes and why (a LazyText:
    in the teacher's language on their page, English from the CLI)."""
    wanted = (root or kit_root()) / "data"
    problem = writable_problem(wanted)
    if problem is None:
        return wanted, None
    fallback = user_dir or user_data_dir()
    from kit.translations import lazy_text    # here: Babel is not loaded for the common case
    return fallback, lazy_text("The kit's folder %(wanted)s cannot be written (%(problem)s), so learners' "
                               "work is saved on this computer in %(fallback)s instead. It stays on this "
                               "computer: to keep it on the stick, unlock the stick (some have a "
                               "switch) or copy the kit to a writable stick.",
                               wanted=str(wanted), problem=problem, fallback=str(fallback))


def default_data_dir() -> Path:
    return choose_data_dir()[0]


def data_dir_notice(data_dir: Path | None = None, root: Path | None = None,
                    user_dir: Path | None = None):
    """The notice for the teacher view when learners' data is not on the stick. Given the
    data folder in use, it is None when that folder was chosen by the teacher (--data)."""
    chosen, notice = choose_data_dir(root, user_dir)
    if notice is None or (data_dir is not None and Path(data_dir) != chosen):
        return None
    return notice
