"""Filling a wheelhouse from requirements files: `kit wheels add` and `kit stick build
--requirements` both come here. The only place the kit downloads Python packages, and only
when an organiser asks: it says so before it starts.

Every run resolves *all* requirements the wheelhouse was ever given (the old ones from
wheelhouse.json plus the new files) for every target (those given, else the ones recorded,
else all), so the record always describes one consistent whole; wheels already there are
not downloaded again (pip's cache).
"""
from __future__ import annotations

from pathlib import Path

from packaging.requirements import Requirement

from kit.wheels.requirements import read_requirements
from kit.wheels.resolve import PipDownloader, resolve
from kit.wheels.targets import make_targets, targets_from_ids
from kit.wheels.wheelhouse import read_record, write_record


def fill_wheelhouse(folder: Path, requirement_files, platform_ids=(), python_versions=(),
                    index_args=(), fetch=None, say=print) -> dict:
    """Resolve and download into `folder`; returns the new record. Raises RequirementsError,
    TargetError or ResolveError with a message for the organiser."""
    previous = read_record(folder)
    lines = list(previous["requirements"])
    for path in requirement_files:
        lines += [str(r) for r in read_requirements(path) if str(r) not in lines]
    requirements = [Requirement(line) for line in dict.fromkeys(lines)]
    # no --platform/--python: the targets this wheelhouse was filled for before, else all
    targets = ((not platform_ids and not python_versions and targets_from_ids(previous["targets"]))
               or make_targets(platform_ids, python_versions))
    where = " ".join(index_args) or "pip's configured index (PyPI unless your pip.conf says otherwise)"
    say(f"Downloading wheels for {len(requirements)} requirement(s) and their dependencies, for "
        f"{len(targets)} target(s), from {where}. This needs the internet now; the kit itself "
        "never downloads anything while it runs.")
    resolution = resolve(requirements, targets, fetch or PipDownloader(folder, index_args, say=say), say=say)
    return write_record(folder, [str(r) for r in requirements], [t.id for t in targets], resolution)


def describe(record: dict, folder: Path) -> str:
    """What the organiser reads at the end: packages carried, and every missing wheel."""
    projects: dict[str, set[str]] = {}
    total = 0
    for entry in record["files"].values():
        projects.setdefault(entry["project"], set()).add(entry["version"])
        total += entry["size"]
    lines = [f"Wheelhouse {folder}: {len(record['files'])} wheel(s), {total / 1e6:,.1f} MB, for "
             f"{len(record['targets'])} target(s): " + ", ".join(
                 f"{p} {'/'.join(sorted(v))}" for p, v in sorted(projects.items()))]
    grouped: dict[tuple[str, str], list[dict]] = {}
    for missing in record["missing"]:
        grouped.setdefault((missing["requirement"], missing["needed_by"]), []).append(missing)
    for (requirement, needed_by), found in grouped.items():
        lines.append(f"  NO WHEEL: {requirement} (needed by {needed_by}) for "
                     f"{', '.join(m['target'] for m in found)}: {found[0]['why']}")
    if record["missing"]:
        lines.append(f"  {len(grouped)} requirement(s) cannot be installed from the stick on "
                     "the targets above: learners on those machines need another version (pin one "
                     "that has wheels) or the internet. The setup page lists them too.")
    return "\n".join(lines)
