"""Writing files so a crash, a power cut or a pulled stick leaves the old or the new content,
never a mix: temp file + fsync + rename + folder fsync, and renaming a damaged file aside.
Used by the classroom store (classroom/atomic_storage.py), the engine's remembered CPU
variant (tutor/engines/cpu_variants.py) and the teacher's seen notices."""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable. POSIX needs the folder itself fsynced;
    Windows cannot open a folder this way (NTFS journals the rename), so it is skipped there."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:        # some file systems (and FUSE mounts) refuse fsync on folders
        pass
    finally:
        os.close(fd)


def _fsync_file(handle) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    if sys.platform == "darwin":       # macOS's fsync stops at the drive's cache; this does not
        import fcntl
        with suppress(OSError, AttributeError):
            fcntl.fcntl(handle.fileno(), fcntl.F_FULLFSYNC)


def replace_durably(target: Path, data: bytes) -> None:
    """Put `data` at `target` so that either the old or the new content is there after a crash,
    never a mix, and the new content is on disk when this returns."""
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            _fsync_file(handle)
        _replace(temp_name, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp_name)
        raise
    fsync_folder(target.parent)


def _replace(source: str, target: Path) -> None:
    """os.replace, retried briefly on Windows, where an antivirus or indexer scanning the target
    makes the rename fail for a moment with PermissionError."""
    for attempt in range(20):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == 19:
                raise
            time.sleep(0.05)


def move_aside(path: Path) -> Path:
    """Rename a damaged file to `<name>.damaged-<when>` (a fresh name, never overwriting)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    counter = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{counter}")
        counter += 1
    os.replace(path, aside)
    fsync_folder(path.parent)
    return aside


def sha256_of(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Streamed in 1 MiB chunks: models are hundreds of MB and the kit may run in 2 GB.
    Used for models (tutor/manifests.py), the stick's manifest and the wheelhouse."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()
