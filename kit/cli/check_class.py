"""`kit check-class [PACK]`: the readiness self-test from the terminal (kit/tutor/readiness.py).
It reads the index as a learner's question would — retrieval and quotes, no model — prints one
line per chapter and keeps the dated report the teacher view shows."""
from __future__ import annotations

import click

from kit.cli.common import _common, _content_dirs, _hold_data_folder, _settings
from kit.cli.running_kit import serving_kit

OUTCOME_WORDS = {"own_code": "own code", "own_text": "own text", "other_page": "elsewhere", "refused": "refused"}


@click.command("check-class")
@_common
@click.argument("pack", required=False)
@click.option("--model", "with_model", is_flag=True,
              help="Also let the model answer each question (minutes, not seconds); reports the words "
                   "it wrote that are not in the material and the sentences held back.")
def check_class(data, content, pack, with_model):
    """Before class: ask the tutor what learners would ask of each chapter (of PACK, or every
    workshop) and report, per chapter, how many answers quote the chapter's own code, come from it
    without code, come from elsewhere, or are refused. No model is used unless --model."""
    from kit.library.index_db import ReaderPool, connect
    from kit.library.indexer import build_index
    from kit.tutor.answering import Tutor, engine_chooser
    from kit.tutor.readiness import ReadinessError, run_check, save_report

    settings = _settings(data_dir=data, content_dirs=_content_dirs(content))
    if serving_kit(settings.data_dir) is None:       # a running kit keeps its index up to date
        lock = _hold_data_folder(settings)
        try:
            build_index(settings)
        finally:
            lock.release()
    conn = connect(settings.index_path, readonly=True)
    readers = ReaderPool(settings.index_path) if with_model else None
    try:
        report = run_check(conn, pack, tutor=Tutor(readers, engine_chooser(settings)) if with_model else None)
    except ReadinessError as error:
        raise click.ClickException(str(error))
    finally:
        conn.close()
        if readers is not None:
            readers.close()
    save_report(settings.data_dir, report)
    for chapter in report["chapters"]:
        counts = ", ".join(f"{chapter['counts'][key]} {word}" for key, word in OUTCOME_WORDS.items())
        mark = "ready" if chapter["verdict"] == "ready" else "CHECK"
        click.echo(f"{mark:<6} {chapter['pack']}/{chapter['slug']}  {chapter['title']}: {counts}")
        for question in chapter["questions"]:
            if "model" in question:
                said = question["model"]
                click.echo(f"         {question['question']} — model: " + (
                    f"error: {said['error']}" if said["error"] else
                    f"{said['tokens']} tokens, {said['unsupported']} not in the material, "
                    f"{said['dropped']} sentences held back"))
    needs = sum(chapter["verdict"] != "ready" for chapter in report["chapters"])
    click.echo(f"{len(report['chapters'])} chapters checked in {report['seconds']} s; {needs} need a "
               f"teacher's eye. Report kept in {settings.data_dir / 'readiness.json'} (shown on /teacher).")
