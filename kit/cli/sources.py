"""`kit import FILE` for a whole source in a known format (a Kiwix ZIM…): say what was
detected, take the pack's id and fields from the source itself, put the file in its own pack
folder (a USB stick carries the pack folder, so the file must be inside it) and index it with
a progress line."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from kit.cli.common import _print_problems
from kit.library.documents import ImportProblem, slugify
from kit.library.formats import SourceFormat
from kit.library.indexer import build_index
from kit.library.progress import Progress


def import_source(settings, path: Path, source_format: SourceFormat, overrides: dict) -> None:
    """Import `path` as one pack; a source that cannot be read leaves the library as it was."""
    click.echo(f"Detected {source_format.label or source_format.name}: {path.name}")
    try:
        info = source_format.describe(path)
    except ImportProblem as problem:
        raise click.ClickException(f"{problem} Nothing was imported; the library is unchanged.")
    fields = {"title": info.title, "description": info.description, "language": info.language,
              "licence": info.licence, "authors": info.authors, "version": info.version}
    fields.update({name: value for name, value in overrides.items() if value})
    pack_id = slugify(info.id)
    count = f", {info.documents:,} {source_format.unit}" if info.documents else ""
    click.echo(f"Pack '{pack_id}': {fields['title']} (language {fields['language']}, "
               f"licence {fields['licence']}{count})")
    target = settings.imported_packs_dir / pack_id
    staging = settings.imported_packs_dir / f".{pack_id}.importing"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    _link_or_copy(path, staging / path.name)
    (staging / "pack.toml").write_text(_pack_toml(fields, source_format.name), encoding="utf-8")
    _swap_in(staging, target)
    progress = Progress(info.documents, unit=source_format.unit)
    report = build_index(settings, on_document=lambda pack: pack == pack_id and progress.advance())
    progress.finish()
    click.echo(f"Imported '{pack_id}' into {target}. Index: {report.summary()}")
    _print_problems(report)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the data folder is on the same disk (a 90 GB ZIM is not copied; ZIM
    files are never edited in place), a copy otherwise (another disk, a USB stick)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _swap_in(staging: Path, target: Path) -> None:
    """The complete new pack folder replaces the old one only now: an import that fails before
    this point leaves the old pack as it was."""
    if target.exists():
        retired = target.with_name(f".{target.name}.old")
        shutil.rmtree(retired, ignore_errors=True)
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(target)


def _pack_toml(fields: dict, format_name: str) -> str:
    def quoted(text):
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
    lines = [f"{name} = {quoted(fields[name])}" for name in
             ("title", "description", "language", "licence", "version")]
    lines += [f"authors = [{', '.join(quoted(a) for a in fields['authors'])}]",
              f"format = {quoted(format_name)}", ""]
    return "\n".join(lines)
