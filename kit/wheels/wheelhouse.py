"""The wheelhouse: a folder of wheels and `wheelhouse.json`, the one record of what it holds.

    <folder>/<file>.whl        the wheels, flat (pip's --find-links reads such a folder)
    <folder>/wheelhouse.json   per file: project, version, sha256, size, Requires-Python and the
                               targets it serves; the requirements asked for; what is missing

It lives in `<data>/wheels/` on a laptop (`kit wheels add`) and in `<stick>/wheels/` on a stick.
The kit serves only files named in the record whose sha256 still matches it: a wheel damaged
on the stick is left out of the index and its URL is a 404, so pip never installs it.
Checking is lazy (first time a file is listed or fetched) and remembered per (size, mtime),
so a big wheelhouse on a slow stick does not delay the kit's start.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from kit.durable import replace_durably, sha256_of

RECORD = "wheelhouse.json"
INSTALLERS = "installers"     # beside the wheelhouse: Python, an editor, for learners to download
FORMAT = 1


class WheelhouseError(ValueError):
    """The wheelhouse record cannot be read; the message names the file and what to do."""


@dataclass(frozen=True)
class WheelFile:
    filename: str
    project: str              # normalised (PEP 503): "django", "typing-extensions"
    version: str
    sha256: str
    size: int
    requires_python: str
    targets: tuple[str, ...]


def write_record(folder: Path, requirements: list[str], targets: list[str], resolution) -> dict:
    """wheelhouse.json for a Resolution (kit/wheels/resolve.py): every chosen wheel with its
    sha256, the targets each serves, and every requirement that has no wheel on a target."""
    from kit.wheels.resolve import wheel_metadata
    files: dict[str, dict] = {}
    for target, chosen in resolution.chosen.items():
        for path in chosen.values():
            if path.name not in files:
                metadata = wheel_metadata(path)
                files[path.name] = {"project": str(canonicalize_name(metadata.name)),
                                    "version": metadata.version, "sha256": sha256_of(path),
                                    "size": path.stat().st_size,
                                    "requires_python": metadata.requires_python, "targets": []}
            files[path.name]["targets"].append(target)
    record = {"format": FORMAT, "requirements": requirements, "targets": targets,
              "files": dict(sorted(files.items())),
              "missing": [m.__dict__ for m in resolution.missing]}
    folder.mkdir(parents=True, exist_ok=True)
    replace_durably(folder / RECORD, (json.dumps(record, indent=1) + "\n").encode("utf-8"))
    return record


def empty_record() -> dict:
    return {"format": FORMAT, "requirements": [], "targets": [], "files": {}, "missing": []}


def read_record(folder: Path) -> dict:
    """The record, or an empty one when the folder has none (no wheels carried)."""
    path = Path(folder) / RECORD
    if not path.is_file():
        return empty_record()
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        assert record["format"] == FORMAT and isinstance(record["files"], dict)
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as error:
        raise WheelhouseError(f"{path} cannot be read ({error!r}). Run `kit wheels add` (or "
                              "`kit stick build … --requirements`) again to write it anew.")
    return record


def _is_plain_filename(name: str) -> bool:
    """Only a bare `*.whl` name ever becomes a path: no folders, no `..`, no hidden files."""
    return (name.endswith(".whl") and "/" not in name and "\\" not in name
            and not name.startswith(".") and name == name.strip() and "\x00" not in name)


class Wheelhouse:
    """What the kit serves: the recorded wheels whose bytes still match their sha256."""

    def __init__(self, folder: Path, record: dict | None = None):
        """Raises WheelhouseError when the record cannot be read (pass `empty_record()` to
        serve nothing instead)."""
        self.folder = Path(folder)
        record = read_record(self.folder) if record is None else record
        self.requirements: list[str] = list(record.get("requirements", []))
        self.targets: list[str] = list(record.get("targets", []))
        self.missing: list[dict] = list(record.get("missing", []))
        self.files: dict[str, WheelFile] = {}
        for name, entry in record["files"].items():
            try:
                wheel = WheelFile(name, str(entry["project"]), str(entry["version"]), str(entry["sha256"]),
                                  int(entry["size"]), str(entry.get("requires_python", "")),
                                  tuple(entry.get("targets", ())))
            except (KeyError, TypeError, ValueError) as error:
                raise WheelhouseError(f"{self.folder / RECORD}: the entry for {name!r} is incomplete "
                                      f"({error!r}). Run `kit wheels add` again to write it anew.")
            if _is_plain_filename(name):
                self.files[name] = wheel
        self._checked: dict[str, tuple[int, int, bool]] = {}
        self._lock = threading.Lock()

    def _intact(self, wheel: WheelFile) -> bool:
        """Size and sha256 as recorded; re-hashed only when the file's size or mtime changed."""
        try:
            stat = (self.folder / wheel.filename).stat()
        except OSError:
            return False
        if stat.st_size != wheel.size:
            return False
        with self._lock:
            known = self._checked.get(wheel.filename)
        if known and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        ok = sha256_of(self.folder / wheel.filename) == wheel.sha256
        with self._lock:
            self._checked[wheel.filename] = (stat.st_size, stat.st_mtime_ns, ok)
        return ok

    def projects(self) -> list[str]:
        return sorted({wheel.project for wheel in self.files.values()})

    def project_files(self, project: str) -> list[WheelFile]:
        """The intact wheels of one project (normalised name), oldest version first."""
        return sorted((w for w in self.files.values() if w.project == project and self._intact(w)),
                      key=lambda w: (_version_key(w.version), w.filename))

    def wheel_path(self, filename: str) -> Path | None:
        """The file to send for `filename`, or None: unknown, not a plain name, or damaged."""
        wheel = self.files.get(filename)
        if wheel is None or not _is_plain_filename(filename) or not self._intact(wheel):
            return None
        return self.folder / filename

    def project_of(self, filename: str) -> str | None:
        wheel = self.files.get(filename)
        return wheel.project if wheel else None

    def carried(self) -> list[dict]:
        """For the setup page: each project with its versions (as recorded; not hashed here)."""
        versions: dict[str, set[str]] = {}
        for wheel in self.files.values():
            versions.setdefault(wheel.project, set()).add(wheel.version)
        return [{"project": project, "versions": sorted(found, key=_version_key)}
                for project, found in sorted(versions.items())]


def _version_key(text: str):
    try:
        return (0, Version(text))
    except InvalidVersion:
        return (1, text)
