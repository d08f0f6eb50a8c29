"""Where the published material lives and its import into a cached data folder.

The material is read from where it is installed (Debian packages, a checkout of the FastAPI
repository), never committed. It is imported the way an organiser would, with `kit import`,
once: the data folders under CACHE are re-used while the same sources are asked for and the
kit's library code is unchanged. Two
folders, because the targets are measured apart: "tutorials" (Flask's docs with its tutorial,
FastAPI's docs in English and French) and "library" (Django's whole reference build).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

CACHE = Path.home() / ".cache" / "lantern" / "eval-data"
DEFAULTS = {
    "flask": Path("/usr/share/doc/python-flask-doc/html"),
    "fastapi": Path("/work/material/fastapi/docs/en"),
    "fastapi_fr": Path("/work/material/fastapi/docs/fr"),
    "django": Path("/usr/share/doc/python-django-doc/html"),
}
HOW_TO_GET = {
    "flask": "install Debian's python-flask-doc (sudo apt-get install python-flask-doc) or pass --flask DIR "
             "(a Sphinx HTML build of Flask's docs)",
    "fastapi": "clone the FastAPI repository (github.com/fastapi/fastapi; this eval was written on commit "
               "6d9dc39) and pass --fastapi REPO/docs/en (the folder with mkdocs.yml)",
    "fastapi_fr": "pass --fastapi-fr REPO/docs/fr, or --fastapi-fr '' to leave the French pages out",
    "django": "install Debian's python-django-doc (sudo apt-get install python-django-doc) or pass "
              "--django DIR (a Sphinx HTML build of Django's docs)",
}
# Each library's questions are in this language: a quote in another is a language mix.
LIBRARY_LANGUAGE = {"flask": "en", "fastapi": "en", "fastapi-fr": "fr", "django": "en"}
# Which data folder a library's questions are asked of.
DATA_SET = {"flask": "tutorials", "fastapi": "tutorials", "fastapi-fr": "tutorials", "django": "library"}
# A library whose pages come from an optional source: its questions cannot run without it.
OPTIONAL_SOURCE = {"fastapi-fr": "fastapi_fr"}


class MaterialMissing(SystemExit):
    """A source is not on this machine: the message says what to install or pass."""


@dataclass(frozen=True)
class Source:
    name: str                 # flask | fastapi | fastapi_fr | django
    path: Path
    extra_args: tuple[str, ...] = ()

    def check(self) -> None:
        if not self.path.is_dir():
            raise MaterialMissing(f"{self.name}: {self.path} is not on this machine. To run this eval, "
                                  f"{HOW_TO_GET[self.name]}.")


def sources_for(paths: dict[str, Path | None]) -> dict[str, list[Source]]:
    """The sources of each data folder; a None (or empty) optional path leaves it out.
    FastAPI's French mkdocs.yml INHERITs the English one; the kit reads its language from the
    folder (pack `fastapi-fr`, language fr), as an organiser would import it: no flags."""
    fastapi_fr = paths.get("fastapi_fr")
    tutorials = [Source("flask", paths["flask"]), Source("fastapi", paths["fastapi"])]
    if fastapi_fr and str(fastapi_fr):
        tutorials.append(Source("fastapi_fr", fastapi_fr))
    return {"tutorials": tutorials, "library": [Source("django", paths["django"])]}


def _importer_fingerprint() -> str:
    """A hash of the kit's library code (importers, formats, indexer): an import made by other
    code is made again, or a changed importer would be measured on an old index (seen: an index
    built by one version of the code and searched by another found nothing for most questions)."""
    import kit.library
    digest = hashlib.sha256()
    for path in sorted(Path(kit.library.__file__).parent.rglob("*.py")):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _stamp(sources: list[Source]) -> dict:
    return {"sources": [[s.name, str(s.path.resolve()), list(s.extra_args)] for s in sources],
            "kit_library": _importer_fingerprint()}


def imported_data(set_name: str, sources: list[Source], cache: Path = CACHE, fresh: bool = False,
                  say=print) -> Path:
    """The data folder holding `sources` imported with `kit import`, made when missing, when
    other sources are asked for, when the kit's library code changed, or when `fresh`."""
    for source in sources:
        source.check()
    data = cache / set_name
    stamp_path = data / "eval-sources.json"
    if not fresh and stamp_path.is_file() and json.loads(stamp_path.read_text()) == _stamp(sources):
        return data
    if data.exists():
        shutil.rmtree(data)
    empty = no_content_dir(cache)
    data.mkdir(parents=True)
    for source in sources:
        say(f"importing {source.path} into {data} …")
        done = subprocess.run([sys.executable, "-m", "kit", "import", "--data", str(data), "--content",
                               str(empty), *source.extra_args, str(source.path)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"kit import {source.path} failed:\n{done.stdout}{done.stderr}")
        say("  " + " ".join(line for line in done.stdout.splitlines() if line.startswith(("Imported", "Index"))))
    stamp_path.write_text(json.dumps(_stamp(sources)))
    return data


def no_content_dir(cache: Path = CACHE) -> Path:
    """An empty content folder: without it the kit would add its bundled workshop to the data."""
    empty = cache / "no-content"
    empty.mkdir(parents=True, exist_ok=True)
    return empty


def pack_languages(data: Path) -> dict[str, str]:
    """Each imported pack's language, from the pack.toml `kit import` wrote."""
    languages = {}
    for pack_toml in sorted((data / "packs").glob("*/pack.toml")):
        meta = tomllib.loads(pack_toml.read_text(encoding="utf-8"))
        languages[pack_toml.parent.name] = str(meta.get("language") or "")
    return languages
