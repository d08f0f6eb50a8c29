"""Reading an organiser's requirements file (`pip install -r` style, names and versions only).

The wheelhouse must hold what a learner's `pip install` will ask for, so only lines that name
a package from an index are taken: `Django~=5.2`, `click>=8; python_version>="3.10"`,
`-r other.txt`. Anything pip would fetch from elsewhere (URLs, paths, editable installs,
index options) is refused with the file, the line and what to write instead.
"""
from __future__ import annotations

from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement


class RequirementsError(ValueError):
    """A requirements file cannot be used; the message names the file and line."""


def read_requirements(path: Path, _seen: frozenset = frozenset()) -> list[Requirement]:
    path = Path(path)
    if path.resolve() in _seen:
        raise RequirementsError(f"{path}: it includes itself (-r) in a loop.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RequirementsError(f"{path}: cannot be read ({error}). Give a requirements file "
                                "with one package a line, e.g. Django~=5.2.")
    found: list[Requirement] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}, line {number}"
        if line.startswith(("-r ", "--requirement ")):
            found += read_requirements(path.parent / line.split(None, 1)[1].strip(),
                                       _seen | {path.resolve()})
            continue
        if line.startswith("-"):
            raise RequirementsError(f"{where}: {line!r} is a pip option; the stick's index takes "
                                    "package names only. Remove the line (use --index-url on "
                                    "`kit wheels add` to choose where wheels come from).")
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise RequirementsError(f"{where}: {line!r} is not a requirement ({error}). "
                                    "Write a name and optional version, e.g. Django~=5.2.")
        if requirement.url:
            raise RequirementsError(f"{where}: {line!r} names a URL; the stick's index can only "
                                    "carry packages from an index. Name the package and version.")
        found.append(requirement)
    return found
