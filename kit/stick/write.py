"""Writing a planned stick to DEST.

An organiser's stick gets pulled out, fills up, or is FAT32; a teacher's stick gets damaged.
So: space and FAT32's 4 GiB file limit are checked before anything changes; the old manifest
is removed first and the new one is written last (atomically), so a stick whose build was
interrupted never looks complete; each file is copied to `DEST/.lantern-partial/` and renamed
into place only once complete and synced; a re-run copies only files whose size or sha256
differ. `verify_stick` tells a teacher exactly which files are missing or damaged.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from kit.library.progress import Progress
from kit.durable import sha256_of
from kit.stick.plan import StickPlan
from kit.stick.manifest import MANIFEST, manifest_text, mb, read_manifest

PARTIAL = ".lantern-partial"
FAT32_LIMIT = 4 * 1024 ** 3 - 1
FAT_TYPES = {"vfat", "msdos", "fat"}
SPACE_MARGIN = 32 * 1024 ** 2          # the search index, the manifest, the file system's own


class StickError(RuntimeError):
    """The stick cannot be written; nothing was changed. The message says what to do."""


def filesystem_type(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The file system DEST is on, from the longest matching mount point (Linux); None where
    the system does not say."""
    path, best = Path(path).resolve(), (-1, None)
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(fields[1].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\"))
        if (point == path or point in path.parents) and len(str(point)) > best[0]:
            best = (len(str(point)), fields[2])
    return best[1]


def preflight(plan: StickPlan, dest: Path, free_bytes: int | None = None,
              fs_type: str | None = None) -> tuple[int, list[str]]:
    """(bytes still to copy, warnings); raises StickError when the stick cannot take it.
    `free_bytes` replaces what the OS reports (for media that misreport, and for tests);
    `fs_type` likewise replaces the type read from /proc/mounts."""
    fs_type = fs_type or filesystem_type(dest)
    warnings = []
    if fs_type in FAT_TYPES:
        too_big = [f"{item.target} ({mb(item.size)})" for item in plan.items if item.size > FAT32_LIMIT]
        if too_big:
            raise StickError(f"{dest} is FAT32, which cannot hold files over 4 GiB: "
                             f"{', '.join(too_big)}. Format the stick as exFAT and build again.")
        warnings.append(f"{dest} is FAT32: Linux cannot run programs from it (the launcher then "
                        "copies Lantern to the computer first). Format the stick as exFAT to avoid that.")
    needed = 0
    for item in plan.items:
        target = dest / item.target
        if not (target.is_file() and target.stat().st_size == item.size):
            needed += item.size
    free = shutil.disk_usage(dest).free if free_bytes is None else free_bytes
    if needed + SPACE_MARGIN > free:
        raise StickError(f"Not enough space on {dest}: the stick needs {mb(plan.total_bytes)} in all, "
                         f"{mb(needed + SPACE_MARGIN)} more than is there now, and only {mb(free)} "
                         "is free. Use a bigger stick, delete files from it, or choose fewer "
                         "models (--tier 2gb, or --model ID). Nothing was copied.")
    return needed, warnings


@dataclass
class BuildReport:
    copied: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    bytes_copied: int = 0
    total_bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    index_summary: str = ""
    seconds: float = 0.0

    def describe(self, dest: Path) -> str:
        return "\n".join([
            *(f"  warning: {warning}" for warning in self.warnings),
            f"Copied {len(self.copied)} files ({mb(self.bytes_copied)}), {self.unchanged} unchanged, "
            f"{len(self.removed)} removed, in {self.seconds:.1f} s. Search index: {self.index_summary}.",
            f"The stick in {dest} is ready: {mb(self.total_bytes)}. Check it any time with "
            f"`kit stick verify {dest}`."])


def index_stick(dest: Path) -> str:
    """Build the search index of the stick's own content into its data/ folder, so the
    kit's first start there has nothing to read (file sizes and times match the stick's)."""
    from kit.library.indexer import build_index
    from kit.settings import load_settings
    settings = load_settings(environ={}, content_dirs=(dest / "content",), data_dir=dest / "data")
    return build_index(settings).summary()


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


def _copy_file(source: Path, partial: Path, progress: Progress, name: str, chunk: int,
               rate_limit: float | None) -> str:
    """Copy while hashing, then fsync: the data is on the stick before the rename."""
    digest, started, copied = hashlib.sha256(), time.monotonic(), 0
    with open(source, "rb") as reader, open(partial, "wb") as writer:
        while block := reader.read(chunk):
            writer.write(block)
            digest.update(block)
            copied += len(block)
            progress.advance(len(block), name)
            if rate_limit:     # bytes per second; sleep until we are back under it
                time.sleep(max(0.0, copied / rate_limit - (time.monotonic() - started)))
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def write_stick(plan: StickPlan, dest: Path, *, free_bytes: int | None = None,
                fs_type: str | None = None, chunk_bytes: int = 1 << 20,
                rate_limit: float | None = None, progress_stream=None,
                build_index=None) -> BuildReport:
    """Copy the plan to DEST. `rate_limit` (bytes/s) and `chunk_bytes` slow or shape the copy
    (cheap sticks that overheat; tests that interrupt a build). `build_index(dest)` is called
    once the content is in place and returns a summary line. Raises StickError."""
    started = time.perf_counter()
    dest.mkdir(parents=True, exist_ok=True)
    staging = dest / PARTIAL
    shutil.rmtree(staging, ignore_errors=True)   # pieces of an interrupted build
    _, warnings = preflight(plan, dest, free_bytes, fs_type)
    report = BuildReport(total_bytes=plan.total_bytes, warnings=warnings)
    old = read_manifest(dest)
    (dest / MANIFEST).unlink(missing_ok=True)    # from here on the stick is not complete
    progress = Progress(plan.total_bytes, unit="", stream=progress_stream, delay=0, count_text=mb)
    digests: dict[str, str] = {}
    for item in plan.items:
        target, partial = dest / item.target, staging / item.target
        want = item.sha256 or (hashlib.sha256(item.data).hexdigest() if item.data is not None
                               else None)
        if target.is_file() and target.stat().st_size == item.size:
            have = sha256_of(target)
            if have == (want or sha256_of(item.source)):
                digests[item.target] = have
                report.unchanged += 1
                progress.advance(item.size, item.target)
                continue
        partial.parent.mkdir(parents=True, exist_ok=True)
        if item.data is not None:
            _write_durably(partial, item.data)
            digest = want
            progress.advance(item.size, item.target)
        else:
            digest = _copy_file(item.source, partial, progress, item.target, chunk_bytes, rate_limit)
            if item.sha256 and digest != item.sha256:
                partial.unlink()
                raise StickError(f"{item.source} is damaged: its sha256 is {digest}, expected "
                                 f"{item.sha256}. Download or pull that model again, then build "
                                 "again (files already copied are kept).")
        try:
            os.chmod(partial, 0o755 if item.executable else 0o644)
        except OSError:
            pass   # FAT and exFAT have no permission bits
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, target)
        digests[item.target] = digest
        report.copied.append(item.target)
        report.bytes_copied += item.size
    progress.finish()
    for stale in sorted(set(old) - set(digests)):   # only files an earlier build put there
        (dest / stale).unlink(missing_ok=True)
        report.removed.append(stale)
    if build_index is not None:
        report.index_summary = build_index(dest)
    staging.mkdir(exist_ok=True)
    _write_durably(staging / MANIFEST, manifest_text(
        [(item.target, digests[item.target], item.size) for item in plan.items]).encode("utf-8"))
    os.replace(staging / MANIFEST, dest / MANIFEST)   # last: now the stick is complete
    shutil.rmtree(staging, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report
