"""`kit import PATH`: a Lantern pack, a folder of documents, or a published source (a HonKit
book, an MkDocs folder, a Sphinx build) copied into the data folder's packs/ and indexed.

For a published source the format is detected and said, and the pack's id, title and language
come from the source (book.json, mkdocs.yml, the HTML <title>); a book with LANGS.md becomes one
pack per language. A pack already in the library is swapped for the new copy only once that
copy is complete, so a failed import never loses what was there.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import click

from kit.cli.common import _common, _content_dirs, _print_problems, _settings
from kit.library.documents import ImportProblem, slugify
from kit.library.formats import detect
from kit.library.formats.copying import copy_source
from kit.library.indexer import build_index
from kit.library.packs import load_pack


@click.command(name="import")
@_common
@click.argument("path", type=click.Path(exists=True, path_type=Path,
                                        resolve_path=True))   # so `kit import .` has a name
@click.option("--title", help="The pack's title, when PATH has no pack.toml (a published source "
                              "brings its own; this replaces it).")
@click.option("--description", default="", help="With --title: the pack's description.")
@click.option("--licence", default="unknown", help="With --title: the licence of the material.")
@click.option("--language", help="The language code (default: the source's, else en).")
@click.option("--author", "authors", multiple=True, help="With --title: an author (repeatable).")
def import_pack(data, content, path, title, description, licence, language, authors):
    """Copy the pack, folder of documents or published source at PATH into the library and
    index it."""
    settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    has_pack_toml = path.is_dir() and (path / "pack.toml").is_file()
    source_format = None if has_pack_toml else detect(path)
    if source_format is not None:
        imported = _import_source(settings, path, source_format, title, description, licence,
                                  language, authors)
    else:
        imported = [_import_pack_folder(settings, path, has_pack_toml, title, description,
                                        licence, language, authors)]
    report = build_index(settings)
    for pack_id, target in imported:
        click.echo(f"Imported '{pack_id}' into {target}.")
    click.echo(f"Index: {report.summary()}")
    _print_problems(report)


def _import_pack_folder(settings, path, has_pack_toml, title, description, licence, language, authors):
    """A pack in Lantern's own format, or a plain folder given a pack.toml from the options."""
    if not path.is_dir():
        raise click.UsageError(f"{path} is not a folder, nor a source Lantern can import.")
    if not has_pack_toml and not title:
        raise click.UsageError(f"{path} has no pack.toml, and is not a HonKit book, an MkDocs folder "
                               "or a Sphinx build. Write a pack.toml (see docs/packs.md), or pass "
                               "--title (and --licence, --author) to create it.")
    if has_pack_toml:
        try:
            load_pack(path)
        except ImportProblem as problem:
            raise click.ClickException(f"{path / problem.path}: {problem.message} Nothing was imported.")
    pack_toml = None if has_pack_toml else pack_toml_text(
        title, description, language or "en", licence, authors or ["unknown"])
    pack_id = slugify(path.name)
    return pack_id, _install(settings, path, pack_id, pack_toml, settings.max_file_bytes)[0]


def _import_source(settings, path, source_format, title, description, licence, language, authors):
    label = getattr(source_format, "label", "") or source_format.name
    click.echo(f"Detected format: {label} ({source_format.name}).")
    try:
        info = source_format.describe(path)
    except ImportProblem as problem:
        where = f"{path / problem.path}" + (f", line {problem.line}" if problem.line else "")
        raise click.ClickException(f"{where}: {problem.message} Nothing was imported.")
    parts = info.parts or [info]
    imported = []
    for part in parts:
        pack_id = slugify(part.id or path.stem)
        pack_title = title if title and len(parts) == 1 else part.title
        pack_language = language or part.language or "en"
        click.echo(f"Pack '{pack_id}': \"{pack_title}\", language {pack_language}.")
        toml = pack_toml_text(pack_title, description or part.description, pack_language, licence,
                              list(authors) or part.authors or ["unknown"], source_format.name,
                              part.version or "1.0.0")
        target, skipped = _install(settings, part.root or path, pack_id, toml, settings.max_file_bytes,
                                   lambda copy: source_format.after_copy(part, copy))
        for problem in skipped:
            click.echo(f"  problem in pack '{pack_id}': {problem}", err=True)
        imported.append((pack_id, target))
    return imported


def _install(settings, source: Path, pack_id: str, pack_toml: str | None, max_bytes: int,
             after_copy=None):
    """Copy `source` to packs/<pack_id>, swapped in only once the copy is complete."""
    target = settings.imported_packs_dir / pack_id
    staging = settings.imported_packs_dir / f".{pack_id}.importing"
    shutil.rmtree(staging, ignore_errors=True)
    skipped = copy_source(source, staging, max_bytes)
    if after_copy is not None:
        after_copy(staging)
    if pack_toml is not None:
        (staging / "pack.toml").write_text(pack_toml, encoding="utf-8")
    if target.exists():
        retired = settings.imported_packs_dir / f".{pack_id}.old"
        shutil.rmtree(retired, ignore_errors=True)
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(target)
    return target, skipped


def pack_toml_text(title, description, language, licence, authors, source_format: str = "",
                   version: str = "1.0.0") -> str:
    def quoted(text):
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [f"title = {quoted(title)}", f"description = {quoted(description)}",
             f"language = {quoted(language)}", f"licence = {quoted(licence)}",
             f"authors = [{', '.join(quoted(a) for a in authors)}]", f"version = {quoted(version)}"]
    if source_format:
        lines.append(f"format = {quoted(source_format)}   # read by kit/library/formats/")
    return "\n".join([*lines, ""])
