"""Finding every wheel a class needs, for every target machine, while the organiser is online.

pip picks the best wheel for one requirement on one target (`pip download --no-deps` with the
target's tags: resolve.py never guesses compatibility), and this module walks the dependencies
itself, evaluating each `Requires-Dist` marker with the *target's* environment. That is what
`pip download --platform` cannot do (it evaluates markers for the machine it runs on: pip#4304,
#13262), and why Windows learners get Django's `tzdata` and click's `colorama` here.

No backtracking: the specifiers met for a name are merged and the newest wheel that fits them
all is taken; a name no wheel fits is reported as missing for that target, with pip's reason.
"""
from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from kit.wheels.targets import Target

MAX_ROUNDS = 40        # dependency depth; real trees are < 10 deep


class ResolveError(RuntimeError):
    """Resolution cannot go on at all (pip missing, a broken wheel); the message says what to do."""


@dataclass(frozen=True)
class WheelMetadata:
    name: str
    version: str
    requires_dist: tuple[str, ...]
    requires_python: str


def wheel_metadata(path: Path) -> WheelMetadata:
    """Name, version, dependencies and Requires-Python from the wheel's own METADATA."""
    try:
        name, version, _, _ = parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as archive:
            wanted = [n for n in archive.namelist()
                      if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(wanted) != 1:
                raise ResolveError(f"{path.name}: a wheel needs exactly one *.dist-info/METADATA.")
            message = email.parser.BytesParser().parsebytes(archive.read(wanted[0]), headersonly=True)
    except (InvalidWheelFilename, zipfile.BadZipFile, OSError) as error:
        raise ResolveError(f"{path}: not a readable wheel ({error}). Delete it and run again.")
    return WheelMetadata(str(name), str(version), tuple(message.get_all("Requires-Dist") or ()),
                         message.get("Requires-Python") or "")


@dataclass(frozen=True)
class Missing:
    """A requirement no wheel fits on one target: reported to the organiser, never skipped."""
    target: str
    requirement: str
    needed_by: str
    why: str


@dataclass
class Resolution:
    chosen: dict[str, dict[str, Path]] = field(default_factory=dict)   # target id -> name -> wheel
    missing: list[Missing] = field(default_factory=list)


class PipDownloader:
    """`pip download --no-deps` for one target into a fresh folder, then moved into `dest`.
    pip's own HTTP cache makes the 2nd–20th download of a pure-Python wheel a disk read."""

    def __init__(self, dest: Path, index_args=(), python: str = sys.executable, say=print):
        self.dest, self.index_args, self.python, self.say = Path(dest), list(index_args), python, say

    def _run(self, requirements: list[str], target: Target, folder: Path) -> tuple[int, str]:
        command = [self.python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                   "--progress-bar", "off", "--dest", str(folder), *target.pip_arguments(),
                   *self.index_args, *requirements]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        except FileNotFoundError:
            raise ResolveError(f"{self.python} cannot be run to download wheels: run the kit "
                               "from its Python environment (`make run` makes one).")
        errors = [line[6:].strip() for line in done.stderr.splitlines() if line.startswith("ERROR:")]
        return done.returncode, (errors[-1] if errors else done.stderr.strip()[-300:])

    def __call__(self, requirements: list[str], target: Target) -> tuple[dict[str, Path], dict[str, str]]:
        """({name: wheel in dest}, {requirement: why it failed})."""
        self.dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.dest, prefix=".download-") as temp:
            folder = Path(temp)
            code, why = self._run(requirements, target, folder)
            failed = {}
            if code != 0:      # one at a time, to learn which ones have no wheel
                failed = {}
                for requirement in requirements:
                    code, why = self._run([requirement], target, folder)
                    if code != 0:
                        failed[requirement] = why
            got = {}
            for path in folder.glob("*.whl"):
                name = canonicalize_name(parse_wheel_filename(path.name)[0])
                os.replace(path, self.dest / path.name)
                got[name] = self.dest / path.name
            strays = [p.name for p in folder.iterdir() if p.suffix != ".whl"]
            if strays:
                shutil.rmtree(folder, ignore_errors=True)
                raise ResolveError(f"pip downloaded {', '.join(strays)}, which are not wheels.")
        return got, failed


def resolve_target(requirements: list[Requirement], target: Target, fetch) -> tuple[dict[str, Path], list[Missing]]:
    """{name: wheel} of everything `requirements` need on `target`, and what could not be found.
    `fetch(requirement strings, target)` is a PipDownloader (tests may pass their own)."""
    specifiers: dict[str, SpecifierSet] = {}
    extras: dict[str, set[str]] = {}
    needed_by: dict[str, str] = {}
    chosen: dict[str, tuple[WheelMetadata, Path]] = {}
    missing: list[Missing] = []
    pending = [(req, "your requirements", {""}) for req in requirements]
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        wanted: dict[str, str] = {}
        follow_up = []
        for requirement, parent, parent_extras in pending:
            if requirement.marker is not None and not any(
                    requirement.marker.evaluate(target.marker_environment(extra)) for extra in parent_extras):
                continue       # not on this target: e.g. colorama off Windows
            name = canonicalize_name(requirement.name)
            specifiers[name] = specifiers.get(name, SpecifierSet()) & requirement.specifier
            new_extras = set(requirement.extras) - extras.setdefault(name, set())
            extras[name] |= set(requirement.extras)
            needed_by.setdefault(name, parent)
            if name in chosen and specifiers[name].contains(chosen[name][0].version, prereleases=True):
                if new_extras:
                    follow_up += _dependencies(chosen[name][0], extras[name])
                continue
            wanted[name] = f"{name}{specifiers[name]}"
        got, failed = fetch(list(wanted.values()), target) if wanted else ({}, {})
        for name, text in wanted.items():
            if name not in got:
                missing.append(Missing(target.id, text, needed_by[name],
                                       failed.get(text, "pip found no wheel for it")))
                continue
            metadata = wheel_metadata(got[name])
            chosen[name] = (metadata, got[name])
            follow_up += _dependencies(metadata, extras[name])
        pending = follow_up
    else:
        raise ResolveError(f"{target.title}: dependencies go deeper than {MAX_ROUNDS} levels; "
                           "this looks like a loop of conflicting versions. Pin versions and retry.")
    return {name: path for name, (_, path) in chosen.items()}, missing


def _dependencies(metadata: WheelMetadata, extras: set[str]) -> list:
    found = []
    for line in metadata.requires_dist:
        try:
            found.append((Requirement(line), metadata.name, extras | {""}))
        except InvalidRequirement:
            raise ResolveError(f"{metadata.name} {metadata.version}: its dependency {line!r} cannot "
                               "be read; pin another version of it.")
    return found


def resolve(requirements: list[Requirement], targets: list[Target], fetch, say=print,
            jobs: int = 4) -> Resolution:
    """Every target, `jobs` at a time (pip spends most of its time waiting on the network):
    Django~=5.2 for the 20 default targets: 2 min 38 s one at a time, 1 min 16 s with 4. One
    line per target, in order."""
    resolution = Resolution()
    say(f"Resolving for {len(targets)} target(s), {jobs} at a time …")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(resolve_target, requirements, target, fetch) for target in targets]
        for target, future in zip(targets, futures, strict=True):
            chosen, missing = future.result()
            resolution.chosen[target.id] = chosen
            resolution.missing += missing
            say(f"  {target.title}: {len(chosen)} package(s)"
                + (f"; NO WHEEL for {', '.join(m.requirement for m in missing)}" if missing else ""))
    return resolution
