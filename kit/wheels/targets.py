"""The machines a class brings: (operating system, CPU, CPython version) targets, and what
each one looks like to pip's tags and to environment markers.

`pip download --platform … --python-version …` picks wheels for another machine but evaluates
environment markers for the machine it runs on (pip#4304, #13262), so Django's
`tzdata; sys_platform == "win32"` is missed on Linux. resolve.py therefore evaluates markers
itself, with the environment of each target below.
"""
from __future__ import annotations

from dataclasses import dataclass

from packaging.markers import default_environment
from packaging.tags import mac_platforms

PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13")     # the default; `--python` changes it
GLIBC_MINORS = range(34, 16, -1)                       # manylinux_2_34 … manylinux_2_17
MACOS_RELEASE = (12, 0)                                # Monterey (2021) and later


def _manylinux(arch: str) -> list[str]:
    tags = [f"manylinux_2_{minor}_{arch}" for minor in GLIBC_MINORS]
    return tags + [f"manylinux2014_{arch}"] + ([f"manylinux2010_{arch}", f"manylinux1_{arch}"]
                                                if arch == "x86_64" else [])


@dataclass(frozen=True)
class Platform:
    """One operating system on one CPU, as pip's `--platform` tags and the marker values."""
    id: str
    title: str
    tags: tuple[str, ...]
    sys_platform: str
    platform_system: str
    os_name: str
    platform_machine: str


PLATFORMS = {p.id: p for p in (
    Platform("windows-x64", "Windows x64", ("win_amd64",), "win32", "Windows", "nt", "AMD64"),
    Platform("macos-x86_64", "macOS Intel", tuple(mac_platforms(MACOS_RELEASE, "x86_64")),
             "darwin", "Darwin", "posix", "x86_64"),
    Platform("macos-arm64", "macOS Apple silicon", tuple(mac_platforms(MACOS_RELEASE, "arm64")),
             "darwin", "Darwin", "posix", "arm64"),
    Platform("linux-x86_64", "Linux x86_64", tuple(_manylinux("x86_64")),
             "linux", "Linux", "posix", "x86_64"),
    Platform("linux-aarch64", "Linux aarch64", tuple(_manylinux("aarch64")),
             "linux", "Linux", "posix", "aarch64"),
)}


class TargetError(ValueError):
    """A platform or Python version the kit does not know; the message lists the known ones."""


@dataclass(frozen=True)
class Target:
    platform: Platform
    python: str                      # "3.11"

    @property
    def id(self) -> str:
        return f"{self.platform.id}-cp{self.python.replace('.', '')}"

    @property
    def title(self) -> str:
        return f"{self.platform.title}, Python {self.python}"

    def pip_arguments(self) -> list[str]:
        """What makes `pip download` choose this machine's wheels (and nothing it would build)."""
        arguments = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python]
        for tag in self.platform.tags:
            arguments += ["--platform", tag]
        return arguments

    def marker_environment(self, extra: str = "") -> dict[str, str]:
        """PEP 508 marker values as this target would report them."""
        environment = dict(default_environment())
        environment.update(
            python_version=self.python, python_full_version=f"{self.python}.0",
            implementation_name="cpython", implementation_version=f"{self.python}.0",
            platform_python_implementation="CPython", sys_platform=self.platform.sys_platform,
            platform_system=self.platform.platform_system, os_name=self.platform.os_name,
            platform_machine=self.platform.platform_machine, platform_release="",
            platform_version="", extra=extra)
        return environment


def parse_python_versions(values) -> tuple[str, ...]:
    """'3.10', '3.11,3.12' (repeatable) → ('3.10', '3.11', '3.12')."""
    versions = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            major, _, minor = part.partition(".")
            if not (major == "3" and minor.isdecimal() and 8 <= int(minor) <= 20):
                raise TargetError(f"--python {part!r}: give a CPython version such as 3.12 "
                                  f"(the default is {', '.join(PYTHON_VERSIONS)}).")
            if part not in versions:
                versions.append(part)
    return tuple(versions)


def make_targets(platform_ids=(), python_versions=()) -> list[Target]:
    """Every (platform, Python) pair; all platforms and PYTHON_VERSIONS when none are named."""
    unknown = [name for name in platform_ids if name not in PLATFORMS]
    if unknown:
        raise TargetError(f"--platform {', '.join(unknown)}: unknown; use one of {', '.join(PLATFORMS)}.")
    platforms = [PLATFORMS[name] for name in (platform_ids or PLATFORMS)]
    versions = parse_python_versions(python_versions) or PYTHON_VERSIONS
    return [Target(platform, version) for platform in platforms for version in versions]


def targets_from_ids(ids) -> list[Target]:
    """Targets as a wheelhouse record names them ("windows-x64-cp310"); unknown ones are dropped."""
    found = []
    for target_id in ids:
        platform, _, digits = str(target_id).rpartition("-cp")
        if platform in PLATFORMS and digits.isdecimal() and len(digits) >= 2:
            found.append(Target(PLATFORMS[platform], f"{digits[0]}.{digits[1:]}"))
    return found
