"""MANIFEST.sha256: the list of every file a stick build wrote, and checking a stick against it.

The format is `sha256sum -c` compatible (`<sha256>  <path>` lines), so an organiser on Linux or
macOS can check a stick without the kit; sizes ride along in `#size <bytes> <path>` comment
lines, which lets `kit stick verify` find missing and truncated files in seconds and hash only
a sample, keeping `--full` (every byte) for when a stick is suspected.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from kit.tutor.manifests import sha256_of

MANIFEST = "MANIFEST.sha256"
SMALL_FILE = 1024 ** 2                 # fast verify hashes every file up to this size
ALWAYS_HASHED = ("wheels/", "installers/")   # learners install these: every byte checked, always


def mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def manifest_text(entries) -> str:
    """The manifest for (path, sha256, size) entries."""
    entries = list(entries)
    return "\n".join([
        "# Lantern stick: sha256 and size of every file the build wrote. data/ holds",
        "# learners' work and is not listed. Check: `kit stick verify .` (or sha256sum -c).",
        *(f"{digest}  {path}" for path, digest, _ in entries),
        *(f"#size {size} {path}" for path, _, size in entries)]) + "\n"


def read_manifest(dest: Path) -> dict[str, tuple[str, int]]:
    """{path: (sha256, size)} from DEST/MANIFEST.sha256; {} when there is none. The file is
    `sha256sum -c` compatible: `<sha256>  <path>` lines, sizes in `#size <bytes> <path>` lines."""
    try:
        lines = (dest / MANIFEST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    hashes, sizes = {}, {}
    for line in lines:
        if line.startswith("#size "):
            _, size, path = line.split(" ", 2)
            sizes[path] = int(size)
        elif line and not line.startswith("#"):
            digest, path = line.split("  ", 1)
            hashes[path] = digest
    return {path: (digest, sizes.get(path, -1)) for path, digest in hashes.items()}


@dataclass
class VerifyReport:
    files: int = 0
    bytes: int = 0
    hashed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self, dest: Path, full: bool = False) -> str:
        if self.ok:
            return (f"OK: {self.files} files ({mb(self.bytes)}) match {MANIFEST}; sha256 checked "
                    f"for {'all' if full else self.hashed}{'' if full else ' (add --full for all)'}.")
        return "\n".join([*self.problems, f"{len(self.problems)} problem(s) on the stick in {dest}. "
                           f"Build it again with `kit stick build {dest}` (it copies only what is "
                           "missing or damaged), or copy the listed files from a good stick."])


def verify_stick(dest: Path, full: bool = False, sample: int = 3) -> VerifyReport:
    """Check DEST against its manifest: every file's size; the sha256 of every small file, of
    every wheel and installer (learners run those), and of `sample` other large ones chosen at
    random (or of everything with `full`)."""
    report = VerifyReport()
    entries = read_manifest(dest)
    if not entries:
        report.problems.append(f"{dest / MANIFEST} is missing or empty: the stick was never "
                               "finished (a build was interrupted?) or this is not a Lantern stick.")
        return report
    large = [path for path, (_, size) in entries.items()
             if size > SMALL_FILE and not path.startswith(ALWAYS_HASHED)]
    to_hash = set(entries) if full else (set(entries) - set(large)) | set(
        random.sample(large, min(sample, len(large))))
    for path, (digest, size) in sorted(entries.items()):
        report.files += 1
        target = dest / path
        if not target.is_file():
            report.problems.append(f"MISSING     {path}")
            continue
        actual = target.stat().st_size
        report.bytes += actual
        if actual != size:
            report.problems.append(f"WRONG SIZE  {path}: {actual} bytes, expected {size}")
        elif path in to_hash:
            report.hashed += 1
            if sha256_of(target) != digest:
                report.problems.append(f"DAMAGED     {path}: its sha256 does not match the manifest")
    return report
