"""What every `kit` command shares: settings from flags, the --data/--content options, the
data-folder lock, and printing import problems. The commands are in kit/cli/__init__.py
(library, tutor, classroom), kit/cli/importing.py, kit/cli/stick.py and kit/cli/wheels.py."""
from __future__ import annotations

from pathlib import Path

import click

from kit.settings import Settings, SettingsError, load_settings, model_hosts


def _settings(**overrides):
    try:
        return load_settings(**overrides)
    except SettingsError as error:
        raise click.UsageError(str(error))


def _model_hosts(values) -> tuple[str, ...] | None:
    """`--model-host` values checked like LANTERN_MODEL_HOSTS; None when none was given."""
    if not values:
        return None
    try:
        return model_hosts("--model-host", " ".join(values))
    except SettingsError as error:
        raise click.BadParameter(str(error).split(": ", 1)[1], param_hint="--model-host")


def _content_dirs(values):
    dirs = tuple(Path(v) for v in values) or None
    for folder in dirs or ():
        if not folder.is_dir():
            raise click.UsageError(f"--content {folder}: not a folder.")
    return dirs


def _common(function):
    function = click.option("--data", type=click.Path(file_okay=False, path_type=Path),
                            help="Data folder (index, imported packs). Env: LANTERN_DATA.")(function)
    function = click.option("--content", multiple=True, type=click.Path(file_okay=False),
                            help="Folder of packs; repeat for several. Env: LANTERN_CONTENT.")(function)
    return function


def _listening(function):
    """--port and --lan, for the commands that serve (serve, start)."""
    function = click.option("--lan", is_flag=True,
                            help="Serve the whole classroom: listen on every network interface.")(function)
    function = click.option("--port", type=click.IntRange(1, 65535),
                            help=f"Port (default {Settings.port}). Env: LANTERN_PORT.")(function)
    return function


def _hold_data_folder(settings):
    """The data folder's lock for this kit (kit/cli/instance_lock.py): a second kit on the same
    folder would overwrite the first one's classroom files, so it is refused."""
    from kit.cli.instance_lock import AlreadyRunning, DataFolderLock
    lock = DataFolderLock(settings.data_dir)
    try:
        lock.acquire()
    except AlreadyRunning as error:
        raise click.ClickException(str(error))
    for note in lock.notes:
        click.echo(f"Note: {note}", err=True)
    return lock


def _print_problems(report, only: set[str] | None = None) -> None:
    """Each import problem, once: `only` the packs this command imported (a second language
    imported later does not list the first's problems again)."""
    for pack_id, problem in report.problems:
        if only is not None and pack_id not in only:
            continue
        click.echo(f"  problem in pack '{pack_id}': {problem}", err=True)
