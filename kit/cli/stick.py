"""`kit stick build` and `kit stick verify`: a ready-to-teach USB stick (kit/stick/plan.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kit.cli.common import _common, _content_dirs, _settings
from kit.cli.wheels import fill_from_options, wheel_options
from kit.tutor.manifests import TIERS


@click.group()
def stick():
    """Build a ready-to-teach USB stick, or check one (see README.md, "The USB stick")."""


@stick.command(name="build")
@_common
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--executables", type=click.Path(file_okay=False, path_type=Path),
              help="Built programs, as DIR/<os>/… (default build/dist, from build/build.py).")
@click.option("--tier", type=click.Choice(TIERS),
              help="Every model for machines with this much RAM (or less).")
@click.option("--model", "model_ids", multiple=True, help="A model id from model_manifests/ (repeatable).")
@click.option("--ollama-store", type=click.Path(path_type=Path),
              help="Ollama's models folder to copy tags from (default ~/.ollama/models).")
@click.option("--ollama-bin", type=click.Path(file_okay=False, path_type=Path),
              help="Ollama programs, as DIR/<os>/… (Ollama's release archives, unpacked).")
@click.option("--max-speed", type=click.FloatRange(min=0.01), help="Copy at most this many MB/s.")
@click.option("--chunk-kb", type=click.IntRange(1, 65536), default=1024, show_default=True,
              help="Copy in pieces of this size.")
@click.option("--requirements", "requirement_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A requirements.txt whose wheels (and dependencies) learners install from the kit; "
                   "downloaded now, for every --platform and --python (repeatable).")
@wheel_options
def stick_build(data, content, dest, executables, tier, model_ids, ollama_store, ollama_bin,
                max_speed, chunk_kb, requirement_files, platforms, pythons, index_url, find_links, no_index):
    """Assemble a Lantern stick in DEST: programs, content with its search index, models,
    the Python packages of --requirements, launchers, README.txt and MANIFEST.sha256. Run
    again to update only what changed."""
    from kit.paths import source_root
    from kit.stick.plan import PlanError, plan_stick
    from kit.stick.write import StickError, index_stick, write_stick

    settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    if requirement_files:    # the wheelhouse of the data folder, then copied to the stick
        fill_from_options(settings.wheelhouse_folder, requirement_files, platforms, pythons,
                          index_url, find_links, no_index)
    try:
        plan = plan_stick(executables or source_root() / "build" / "dist", settings.pack_dirs,
                          settings.models_folder,
                          ollama_store or Path.home() / ".ollama" / "models", tier=tier,
                          model_ids=model_ids, ollama_bin=ollama_bin,
                          wheelhouse=settings.wheelhouse_folder)
    except PlanError as error:
        raise click.ClickException(str(error))
    click.echo(plan.describe())
    try:
        report = write_stick(plan, dest, chunk_bytes=chunk_kb * 1024,
                             rate_limit=max_speed * 1e6 if max_speed else None,
                             build_index=index_stick)
    except (StickError, OSError) as error:
        raise click.ClickException(f"{error}")
    click.echo(report.describe(dest))


@stick.command(name="verify")
@click.argument("dest", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--full", is_flag=True, help="Hash every file (slow on big models); default: "
                                          "sizes of all, sha256 of small files and a sample.")
def stick_verify(dest, full):
    """Check the stick in DEST against its MANIFEST.sha256; exit 1 if anything is wrong."""
    from kit.stick.manifest import verify_stick
    report = verify_stick(dest, full=full)
    click.echo(report.describe(dest, full), err=not report.ok)
    if not report.ok:
        sys.exit(1)


# -- the teacher ---------------------------------------------------------------------------------
