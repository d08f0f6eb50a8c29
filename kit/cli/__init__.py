"""The `kit` command: the library (serve, index, import, packs), the tutor (ask, models,
doctor), the classroom (teacher) and the stick (start here; build/verify in cli/stick.py)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from kit.cli.common import (_common, _content_dirs, _hold_data_folder, _listening, _model_hosts, _print_problems,
                             _settings)
from kit.cli.check_class import check_class
from kit.cli.importing import import_pack
from kit.cli.running_kit import RunningKitError, announce, ask_running_kit, serving_kit, withdraw
from kit.cli.stick import stick
from kit.cli.wheels import wheels
from kit.library.index_db import connect
from kit.library.indexer import build_index
from kit.settings import ENGINE_CHOICES, THREADS_RANGE, Settings
from kit.tutor.question_checks import MODES


@click.group()
def main():
    """Lantern: an offline learning kit. Run `kit serve` and open the address it prints."""
    from kit.cli.launcher import redirect_missing_streams
    redirect_missing_streams()   # a windowed build has no stdout/stderr: log to a file


main.add_command(stick)
main.add_command(wheels)
main.add_command(import_pack)
main.add_command(check_class)


@main.command()
@_common
@_listening
@click.option("--threads", type=click.IntRange(*THREADS_RANGE),
              help=f"Worker threads, {THREADS_RANGE[0]} to {THREADS_RANGE[1]} (default {Settings.threads}). "
                   "Env: LANTERN_THREADS.")
@click.option("--model-host", "model_host", multiple=True, metavar="URL",
              help="Another computer answering questions too: a model server speaking Ollama's API "
                   "or the OpenAI-compatible one (llama-server, python -m llama_cpp.server), e.g. "
                   "http://192.168.1.30:8000. Repeatable. Env: LANTERN_MODEL_HOSTS.")
def serve(data, content, port, lan, threads, model_host):
    """Serve the library in the browser (127.0.0.1 unless --lan)."""
    from kit.app import create_app
    from kit.web.server import lan_addresses, make_server
    from kit.web.services import open_services

    settings = _settings(data_dir=data, content_dirs=_content_dirs(content), port=port,
                         threads=threads, host="0.0.0.0" if lan else None,
                         model_hosts=_model_hosts(model_host))
    lock = _hold_data_folder(settings)
    stop_on_signals()                   # from here on, every way of stopping cleans up below
    opened = server = local_token = None
    try:
        click.echo("Bringing the library index up to date…")
        opened = open_services(settings)     # the data folder's start-up step (web/services.py)
        click.echo(f"Index: {opened.index_report.summary()}")
        _print_problems(opened.index_report)
        _ensure_teacher_pin(opened.store)
        app = create_app(settings, opened)
        server = make_server(app, settings.host, settings.port, settings.threads, settings.max_request_kb)
        port = server.effective_port
        # `kit ask` on this computer asks through this kit meanwhile (cli/running_kit.py)
        opened.local_token = local_token = announce(settings.data_dir, settings.host, port)
        click.echo(f"Lantern is running. Open http://127.0.0.1:{port}/ in a browser on this machine.")
        if lan:
            for address in lan_addresses():
                click.echo(f"  Learners on the same network open: http://{address}:{port}/")
        click.echo(f"Teacher view: http://127.0.0.1:{port}/teacher · join poster: "
                   f"http://127.0.0.1:{port}/join-poster")
        click.echo("Press Ctrl+C to stop.")
        opened.tutor.warm_up()
        server.run()     # returns on Ctrl+C, SIGTERM or SIGHUP (see stop_on_signals)
    except KeyboardInterrupt:
        pass             # a stop signal during the start: clean up as after serving
    finally:
        from kit.tutor.engines.embedded import stop_workers
        if local_token is not None:
            withdraw(settings.data_dir, local_token)
        if opened is not None:
            opened.activity.close()     # live teacher pages' streams end now
        if server is not None:
            server.close()              # waits for requests in flight, their writes included
        stop_workers()
        if opened is not None:
            opened.close()
        lock.release()
    click.echo("Stopped.")


def stop_on_signals() -> None:
    """Stop the same way on SIGTERM (service managers, launchers), SIGHUP (a closed terminal)
    and SIGINT — even when a script started the kit in the background, where SIGINT arrives
    ignored and Python would keep ignoring it. waitress's loop returns on KeyboardInterrupt."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


@main.command()
@_common
def index(data, content):
    """Bring the search index up to date with the packs (only changed files are read)."""
    settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    report = build_index(settings)
    click.echo(report.summary())
    _print_problems(report)


@main.command()
@_common
def packs(data, content):
    """List the packs in the library, with their documents and any import problems."""
    settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    report = build_index(settings)
    conn = connect(settings.index_path, readonly=True)
    try:
        from kit.library.catalog import pack_summaries
        rows = pack_summaries(conn)
    finally:
        conn.close()
    if not rows:
        click.echo("No packs. Add one with `kit import PATH`.")
    for row in rows:
        click.echo(f"{row['id']:<24} {row['docs']:>5} documents  v{row['version']:<8} "
                   f"{row['licence']:<12} {row['title']}  ({row['root']})")
    _print_problems(report)


@main.command()
@_common
@click.argument("question")
@click.option("--mode", type=click.Choice(MODES), default=MODES[0],
              show_default=True, help="Explain, give a hint (never the solution), or debug an error.")
@click.option("--tried", default="", help="What you tried or expect (needed for hint and debug).")
@click.option("--engine", type=click.Choice(ENGINE_CHOICES),
              help="Which engine answers (env LANTERN_ENGINE; default auto).")
def ask(data, content, question, mode, tried, engine):
    """Ask the tutor QUESTION from the terminal; the answer streams, then its sources. While a
    kit serves the same data folder, the question goes to it (its queue, its model)."""
    from kit.classroom.store import Store
    from kit.library.index_db import ReaderPool
    from kit.tutor.answering import Tutor, engine_chooser
    from kit.tutor.question_checks import QuestionError, parse_question

    settings = _settings(data_dir=data, content_dirs=_content_dirs(content), engine=engine)
    payload = {"question": question, "mode": mode, "tried": tried}
    try:
        parsed = parse_question(payload, settings.think_first_min)
    except QuestionError as error:
        raise click.UsageError(str(error))
    running = serving_kit(settings.data_dir)
    if running is not None:
        click.echo(f"(The kit serving this data folder answers: {running['url']})", err=True)
        try:
            failed = _print_answer(ask_running_kit(running, payload))
        except RunningKitError as error:
            raise click.ClickException(str(error))
        sys.exit(1 if failed else 0)
    lock = _hold_data_folder(settings)     # the exchange goes into the class's store
    build_index(settings)
    store, readers = Store(settings.data_dir / "classroom"), ReaderPool(settings.index_path)
    try:
        failed = _print_answer(Tutor(readers, engine_chooser(settings), store.record_exchange).answer(parsed))
    finally:
        readers.close()
        store.close()
        lock.release()
    if failed:
        sys.exit(1)


def _print_answer(events) -> bool:
    """Stream the answer's events to the terminal, then the sources; True when the tutor
    failed. The same events come from the tutor here or from a running kit's API."""
    sources, failed, waiting = [], False, None
    for name, event in events:
        if name == "queue" and event["ahead"] != waiting:
            waiting = event["ahead"]
            click.echo(f"(waiting for the tutor: {waiting} question(s) ahead)", err=True)
        elif name == "moved":
            click.echo(f"\n({event['message']})")
        elif name == "sources":
            sources = event
        elif name == "quote":
            click.echo("".join(f"> {line}\n" for line in event["text"].splitlines())
                       + f"  — {event['title']} ({event['url']})\n")
        elif name == "token":
            text = event["text"]
            click.echo(f"[{text} ⚠ not in the material]" if event.get("unsupported") else text, nl=False)
        elif name == "error":
            failed = True
            click.echo(f"The tutor could not answer: {event['message']}", err=True)
        elif name == "done":
            click.echo()
            if event.get("dropped"):
                click.echo(f"({event['dropped']} sentence(s) of the tutor held back as not supported by "
                           "the material; the teacher view lists them)")
            if event.get("tutorial_step"):
                click.echo(f"Tutorial step: {event['tutorial_step']['title']} "
                           f"({event['tutorial_step']['url']})")
            click.echo("Sources:" if event["grounded"] else "Closest passages in the library:")
            for hit in sources:
                where = hit["heading"] or hit["speaker"]
                click.echo(f"  - {hit['title']}{' › ' + where if where else ''}  {hit['url']}")
            if event["grounded"]:
                click.echo(f"({event['engine']} · {event['model']} · {event['tokens']} tokens · "
                           f"first word after {event['ttft_ms']} ms · {event['tokens_per_s']} tokens/s)")
    return failed


@main.group(invoke_without_command=True)
@_common
@click.pass_context
def models(ctx, data, content):
    """List the models in model_manifests/: tier, whether they fit this machine's RAM, and
    whether they are present (a GGUF file, or in Ollama's store)."""
    ctx.obj = _settings(data_dir=data, content_dirs=_content_dirs(content))
    if ctx.invoked_subcommand is None:
        from kit.tutor.doctor import format_models_table
        from kit.tutor.manifests import load_manifests, model_statuses
        manifests, errors = load_manifests(models_folder=ctx.obj.models_folder)
        click.echo(format_models_table(model_statuses(ctx.obj, manifests=manifests)))
        for error in errors:
            click.echo(f"  problem: {error}", err=True)


@models.command("add")
@click.argument("gguf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--licence", default="", help="The model's licence, as its page states it.")
@click.option("--languages", default="", metavar="CODES",
              help="The languages the model writes well, e.g. en,fr,pt (its page says which). "
                   "Learners in other languages get the material's lines without the model's words.")
@_common
@click.pass_obj
def add_model_file(settings, gguf, licence, languages, data, content):
    """Add a GGUF chat model: checked (GGUF header, chat template), copied into the models
    folder with its sha256 and RAM tier in a manifest; the tutor uses the best model that fits."""
    from kit.tutor.model_files import ModelFileError, add_model
    if data or content:
        settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    codes = tuple(dict.fromkeys(code.strip().lower() for code in languages.split(",") if code.strip()))
    wrong = [code for code in codes if not re.fullmatch(r"[a-z]{2,3}", code)]
    if wrong:
        click.echo(f"kit models add: --languages {', '.join(wrong)}: give language codes like "
                   "en,fr,pt (two or three letters, separated by commas).", err=True)
        sys.exit(2)
    try:
        manifest = add_model(gguf, settings.models_folder, licence, codes)
    except ModelFileError as error:
        click.echo(f"kit models add: {error}", err=True)
        sys.exit(2)
    click.echo(f"Added {gguf.name}: manifest {manifest}. `kit models` lists it; `kit stick build` "
               "carries it.")


@models.command()
@_common
@click.pass_obj
def verify(settings, data, content):
    """Check the sha256 of every present GGUF file against its manifest."""
    from kit.tutor.manifests import verify as verify_models
    if data or content:
        settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    results = verify_models(settings)
    if not results:
        click.echo("No GGUF model files are present to verify.")
    for result in results:
        click.echo(result.describe())
    if any(not result.ok for result in results):
        sys.exit(1)


@main.command()
@_common
@click.option("--model-host", "model_host", multiple=True, metavar="URL",
              help="A model host to check, as for kit serve (env LANTERN_MODEL_HOSTS).")
def doctor(data, content, model_host):
    """Say which engine and model the tutor would use and why, the RAM, the model hosts, and
    what is missing."""
    from kit.tutor.doctor import doctor_report
    settings = _settings(data_dir=data, content_dirs=_content_dirs(content),
                         model_hosts=_model_hosts(model_host))
    click.echo(doctor_report(settings))


@main.command()
@_listening
@click.pass_context
def start(ctx, port, lan):
    """Serve the library and open it in the browser (what the stick's launchers run). When a
    Lantern already answers on the port, say after a second double-click, just open it."""
    import webbrowser
    from kit.cli.launcher import lantern_answers, open_browser_when_ready
    from kit.paths import data_dir_notice
    settings = _settings(port=port)
    url = f"http://127.0.0.1:{settings.port}/"
    if lantern_answers(url):
        click.echo(f"Lantern is already running: opening {url}")
        webbrowser.open(url)
        return
    notice = data_dir_notice(settings.data_dir)
    if notice:
        click.echo(f"Note: {notice}", err=True)
    open_browser_when_ready(url)
    ctx.invoke(serve, data=None, content=(), port=port, lan=lan, threads=None, model_host=())


def _prompt_pin() -> str:
    return click.prompt("Teacher PIN (4 to 12 digits)", hide_input=True,
                        confirmation_prompt="Type the same PIN again")


def _ensure_teacher_pin(store) -> None:
    """The teacher view needs a PIN from the first `kit serve` on. Someone at the keyboard is
    asked for one; otherwise (a service, a script) a random 6-digit PIN is made and printed once."""
    from kit.classroom.store import StoreError
    if store.has_teacher_pin():
        return
    if sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty():
        click.echo("No teacher PIN is set yet: choose one for the teacher view (/teacher).")
        while True:
            try:
                store.set_teacher_pin(_prompt_pin())
                return
            except StoreError as error:
                click.echo(str(error))
    import secrets
    pin = f"{secrets.randbelow(10 ** 6):06d}"
    store.set_teacher_pin(pin)
    click.echo("*" * 64)
    click.echo(f"  Teacher PIN: {pin}")
    click.echo("  Write it down: it is shown only this once. Log in at /teacher/login;")
    click.echo("  change it with `kit teacher set-pin` (while the kit is stopped).")
    click.echo("*" * 64)


@main.group()
def teacher():
    """The teacher's PIN for the class view (/teacher)."""


@teacher.command("set-pin")
@_common
@click.option("--pin", help="The new PIN (4 to 12 digits), for scripts. Without it you are "
                            "asked twice, and what you type is not shown.")
def set_pin(data, content, pin):
    """Set or change the teacher PIN (stored hashed, never as typed). Stop `kit serve` first:
    a running kit keeps its own copy of the class file and would write over the change."""
    from kit.classroom.store import Store, StoreError
    settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    lock = _hold_data_folder(settings)    # refused while `kit serve` runs on this folder
    store = Store(settings.data_dir / "classroom")
    try:
        store.set_teacher_pin(_prompt_pin() if pin is None else pin)
    except StoreError as error:
        raise click.UsageError(str(error))
    finally:
        store.close()
        lock.release()
    click.echo("The teacher PIN is set. Log in at /teacher/login.")


if __name__ == "__main__":
    sys.exit(main())
