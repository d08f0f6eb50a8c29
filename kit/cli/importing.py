"""`kit import PATH`: a Lantern pack, a folder of documents, or a published source (a HonKit
book, an MkDocs folder, a Sphinx build, a Kiwix ZIM file) copied into the data folder's packs/
and indexed.

For a published source the format is detected and said, and the pack's fields come from the
source (book.json, mkdocs.yml, the HTML <title>, the ZIM's metadata); a flag given on the
command line wins over what the source says. A book with LANGS.md becomes one pack per language.
A big source shows a progress line while it is indexed. A pack already in the library is
swapped for the new copy only once that copy is complete, so a failed import never loses what
was there.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import click

from kit.cli.common import _common, _content_dirs, _print_problems, _settings
from kit.library.documents import ImportProblem, slugify
from kit.library.formats import detect
from kit.library.formats.copying import copy_source
from kit.library.indexer import build_index
from kit.library.packs import load_pack
from kit.library.progress import Progress

# What a pack.toml says when neither the flags nor the source do.
DEFAULTS = {"description": "", "language": "en", "licence": "unknown", "authors": ["unknown"],
            "version": "1.0.0"}


@click.command(name="import")
@_common
@click.argument("path", type=click.Path(exists=True, path_type=Path,
                                        resolve_path=True))   # so `kit import .` has a name
@click.option("--title", help="The pack's title, when PATH has no pack.toml (a published source "
                              "brings its own; this replaces it).")
@click.option("--description", help="The pack's description (replaces the source's).")
@click.option("--licence", help="The licence of the material (default: the source's, else unknown).")
@click.option("--language", help="The language code (default: the source's, else en).")
@click.option("--author", "authors", multiple=True, help="An author (repeatable; replaces the source's).")
def import_pack(data, content, path, title, description, licence, language, authors):
    """Copy the pack, folder of documents or published source (a book, a doc set, a .zim file)
    at PATH into the library and index it."""
    settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    flags = {"title": title, "description": description, "licence": licence, "language": language,
             "authors": list(authors)}
    has_pack_toml = path.is_dir() and (path / "pack.toml").is_file()
    source_format = None if has_pack_toml else detect(path)
    if source_format is not None:
        imported, expected = _import_source(settings, path, source_format, flags)
        progress = Progress(expected, unit=source_format.unit)
    else:
        imported = [_import_pack_folder(settings, path, has_pack_toml, flags)]
        progress = Progress(None, unit="documents")
    pack_ids = {pack_id for pack_id, _ in imported}
    report = build_index(settings, on_document=lambda pack_id: pack_id in pack_ids and progress.advance())
    progress.finish()
    for pack_id, target in imported:
        click.echo(f"Imported '{pack_id}' into {target}.")
    click.echo(f"Index: {report.summary()}")
    _print_problems(report, only=pack_ids)


def _import_pack_folder(settings, path: Path, has_pack_toml: bool, flags: dict):
    """A pack in Lantern's own format, or a plain folder given a pack.toml from the flags."""
    if not path.is_dir():
        raise click.UsageError(f"{path} is a file Lantern cannot import as a pack. Import a pack "
                               "folder, a folder of documents, a HonKit book, an MkDocs folder, a "
                               "Sphinx build or a Kiwix .zim file.")
    if not has_pack_toml and not flags["title"]:
        raise click.UsageError(f"{path} has no pack.toml, and is not a HonKit book, an MkDocs folder "
                               "or a Sphinx build. Write a pack.toml (see docs/packs.md), or pass "
                               "--title (and --licence, --author) to create it.")
    if has_pack_toml:
        try:
            load_pack(path)
        except ImportProblem as problem:
            raise click.ClickException(f"{path / problem.path}: {problem.message} Nothing was imported.")
    pack_toml = None if has_pack_toml else pack_toml_text(_fields({}, flags))
    pack_id = slugify(path.name)
    return pack_id, _install(settings, path, pack_id, pack_toml, settings.max_file_bytes)[0]


def _import_source(settings, path: Path, source_format, flags: dict):
    """Each pack of the source (one, or one per language of a book), installed; returns them
    with how many documents to expect (None when the source does not say)."""
    click.echo(f"Detected format: {source_format.label or source_format.name} ({source_format.name}).")
    try:
        info = source_format.describe(path)
    except ImportProblem as problem:
        where = f"{path / problem.path}" + (f", line {problem.line}" if problem.line else "")
        raise click.ClickException(f"{where}: {problem.message} Nothing was imported.")
    parts = info.parts or [info]
    imported = []
    for part in parts:
        pack_id = slugify(part.id or path.stem)
        # A title names one pack: for a book of several languages each keeps its own.
        fields = _fields(vars(part), {**flags, "title": flags["title"] if len(parts) == 1 else None})
        count = f", {part.documents:,} {source_format.unit}" if part.documents else ""
        click.echo(f"Pack '{pack_id}': \"{fields['title']}\", language {fields['language']}, "
                   f"licence {fields['licence']}{count}.")
        target, skipped = _install(settings, part.root or path, pack_id,
                                   pack_toml_text(fields, source_format.name), settings.max_file_bytes,
                                   lambda copy, part=part: source_format.after_copy(part, copy))
        for problem in skipped:
            click.echo(f"  problem in pack '{pack_id}': {problem}", err=True)
        imported.append((pack_id, target))
    counts = [part.documents for part in parts]
    return imported, sum(counts) if all(counts) else None


def _fields(source: dict, flags: dict) -> dict:
    """The pack.toml fields: a flag wins, then what the source says, then DEFAULTS."""
    return {name: flags.get(name) or source.get(name) or DEFAULTS.get(name, "")
            for name in ("title", *DEFAULTS)}


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


def pack_toml_text(fields: dict, source_format: str = "") -> str:
    """A pack.toml from `fields` (_fields); `format` when the pack is a published source."""
    def quoted(text):    # one line, no control characters: a ZIM's description may hold them
        text = str(text).replace("\\", "\\\\").replace('"', '\\"')
        return '"' + re.sub(r"[\x00-\x08\x0a-\x1f\x7f]", " ", text) + '"'
    lines = [f"{name} = {quoted(fields[name])}" for name in
             ("title", "description", "language", "licence")]
    lines += [f"authors = [{', '.join(quoted(a) for a in fields['authors'])}]",
              f"version = {quoted(fields['version'])}"]
    if source_format:
        lines.append(f"format = {quoted(source_format)}   # read by kit/library/formats/")
    return "\n".join([*lines, ""])
