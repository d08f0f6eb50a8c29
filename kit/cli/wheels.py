"""`kit wheels add`: fill the wheelhouse learners' pip installs from (kit/wheels/), on a laptop
without a stick; `kit stick build --requirements` uses the same options."""
from __future__ import annotations

import click

from kit.cli.common import _settings
from kit.wheels.targets import PLATFORMS, PYTHON_VERSIONS


def wheel_options(function):
    """--platform, --python and where the wheels come from, for `wheels add` and `stick build`."""
    for option in reversed([
        click.option("--platform", "platforms", multiple=True, type=click.Choice(list(PLATFORMS)),
                     help="A machine the class will bring (repeatable; default: all of them)."),
        click.option("--python", "pythons", multiple=True,
                     help=f"CPython versions, e.g. 3.12 or 3.11,3.12 (default {','.join(PYTHON_VERSIONS)})."),
        click.option("--index-url", help="Download from this index instead of pip's configured one."),
        click.option("--find-links", multiple=True, help="Also take wheels from this folder or page."),
        click.option("--no-index", is_flag=True, help="Only --find-links, no index at all."),
    ]):
        function = option(function)
    return function


def fill_from_options(folder, requirement_files, platforms, pythons, index_url, find_links, no_index):
    """Download into `folder` and print what the wheelhouse now holds and lacks."""
    from kit.wheels.fill import describe, fill_wheelhouse
    from kit.wheels.requirements import RequirementsError
    from kit.wheels.resolve import ResolveError
    from kit.wheels.targets import TargetError
    index_args = (["--index-url", index_url] if index_url else []) + (["--no-index"] if no_index else [])
    for place in find_links:
        index_args += ["--find-links", str(place)]
    try:
        record = fill_wheelhouse(folder, requirement_files, platforms, pythons, index_args,
                                 say=lambda line: click.echo(line, err=True))
    except (RequirementsError, ResolveError, TargetError) as error:
        raise click.ClickException(str(error))
    click.echo(describe(record, folder))
    return record


@click.group()
def wheels():
    """The Python packages learners install from the kit (see README.md, "Python packages")."""


@wheels.command(name="add")
@click.option("--data", type=click.Path(file_okay=False), help="Data folder. Env: LANTERN_DATA.")
@click.option("--wheels", "wheels_dir", type=click.Path(file_okay=False),
              help="The wheelhouse folder (default <data>/wheels, or the stick's wheels/). Env: LANTERN_WHEELS.")
@click.argument("requirement_files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@wheel_options
def wheels_add(data, wheels_dir, requirement_files, platforms, pythons, index_url, find_links, no_index):
    """Download the wheels for REQUIREMENT_FILES (pip's requirements.txt format) and all their
    dependencies, for every target machine, into the wheelhouse the kit serves at /simple/.
    Needs the internet (or --find-links); the kit never downloads while it runs."""
    from pathlib import Path
    settings = _settings(data_dir=Path(data) if data else None, wheels_dir=Path(wheels_dir) if wheels_dir else None)
    fill_from_options(settings.wheelhouse_folder, requirement_files, platforms, pythons, index_url,
                      find_links, no_index)
