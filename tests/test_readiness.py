"""The readiness self-test: `kit check-class [PACK]` and the teacher view's button. Questions made
from each chapter's headings, code and exercises are asked on the chapter's page (retrieval and
quotes, no model), and each chapter is reported: answered with a quote of its own code, from its
text, from another page, or refused. Real index, real CLI, the real app on waitress.
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.cli import main as kit_main
from kit.library.index_db import connect
from kit.library.indexer import build_index
from kit.settings import load_settings
from kit.tutor.fair_queue import ModelQueue
from kit.tutor.readiness import check_question, run_check
from kit.web.readiness_job import ReadinessJob
from kit.classroom.activity import ClassActivity
from tests.conftest import write_pack
from tests.engine_state import SHARED_ENGINE_DIR
from tests.web_client import WebClient

KITES = {
    "w/workshop.toml": 'title = "Kites"\n',
    "w/01-frame.md": "---\ntitle: The frame\norder: 1\n---\n## Build the frame\nTie the spars with a "
                     "lashing knot, then check the frame with the frame gauge:\n\n```python\n"
                     "from kitegauge import check_frame\n\ncheck_frame(spars=2, lash='tight')\n```\n\n"
                     "The gauge prints the frame's balance.\n",
    "w/02-sail.md": "---\ntitle: The sail\norder: 2\n---\n## Cut the sail\nCut the sail cloth along the "
                    "chalk line with sharp scissors and hem the edges twice.\n",
}
# More pages (another pack), so that a word found on one page of many weighs something (BM25's IDF).
NOTES = {
    **{f"notes/{topic}.md": f"# {topic.title()}\n\nNotes about {topic}: {words}.\n" for topic, words in {
        "weather": "wind speed, gusts, rain and clouds over the field",
        "safety": "power lines, roads and trees to keep away from",
        "history": "kites flown in China two thousand years ago",
        "colours": "paint, dye and ribbons for the tail",
        "storage": "rolling the sail and keeping the spars dry"}.items()},
}


def bundled_chapter_titles(bundled_content: Path) -> list[str]:
    """The titles the workshop's files give their chapters (read here, not through the kit)."""
    files = sorted((bundled_content / "first-web-app" / "flask-workshop").glob("*.md"))
    return [re.search(r"^title: (.+)$", path.read_text(encoding="utf-8"), re.M).group(1) for path in files]


def test_kit_check_class_reports_every_chapter_of_the_bundled_workshop(bundled_content, tmp_path):
    data = tmp_path / "data"
    result = CliRunner().invoke(kit_main, ["check-class", "first-web-app", "--data", str(data),
                                           "--content", str(bundled_content)])
    assert result.exit_code == 0, result.output
    titles = bundled_chapter_titles(bundled_content)
    assert len(titles) == 7
    for title in titles:
        assert re.search(rf"^(ready|CHECK) +first-web-app/\S+ +{re.escape(title)}: \d+ own code, \d+ own text, "
                         rf"\d+ elsewhere, \d+ refused$", result.output, re.M), (title, result.output)
    kept = json.loads((data / "readiness.json").read_text(encoding="utf-8"))
    assert [chapter["title"] for chapter in kept["chapters"]] == titles
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", kept["checked_at"])
    assert all(len(chapter["questions"]) >= 3 for chapter in kept["chapters"])


def test_a_pack_without_chapters_gets_a_clear_message(bundled_content, tmp_path):
    result = CliRunner().invoke(kit_main, ["check-class", "talks", "--data", str(tmp_path / "data"),
                                           "--content", str(bundled_content)])
    assert result.exit_code == 1
    assert "Pack “talks” has no workshop chapters to check" in result.output
    assert not (tmp_path / "data" / "readiness.json").exists()


def test_an_empty_pack_and_an_unknown_pack_get_clear_messages(tmp_path):
    content = tmp_path / "content"
    write_pack(content, "empty", {})
    args = ["--data", str(tmp_path / "data"), "--content", str(content)]
    empty = CliRunner().invoke(kit_main, ["check-class", "empty", *args])
    assert empty.exit_code == 1 and "Pack “empty” has no workshop chapters to check" in empty.output
    unknown = CliRunner().invoke(kit_main, ["check-class", "kitez", *args])
    assert unknown.exit_code == 1 and "There is no pack “kitez” in the library. Packs: empty." in unknown.output


@pytest.fixture
def kites(tmp_path):
    write_pack(tmp_path / "content", "kites", KITES, title="Kites")
    write_pack(tmp_path / "content", "kite-notes", NOTES, title="Kite notes")
    settings = load_settings(environ={}, content_dirs=(tmp_path / "content",), data_dir=tmp_path / "data")
    build_index(settings)
    conn = connect(settings.index_path, readonly=True)
    yield conn
    conn.close()


def test_each_outcome_is_told_apart(kites):
    own = check_question(kites, "kites", "w/01-frame", "What does from kitegauge import check_frame do?")
    assert own["outcome"] == "own_code" and own["from"].startswith("/p/kites/w/01-frame#")
    text = check_question(kites, "kites", "w/02-sail", "How do I cut the sail cloth?")
    assert text["outcome"] == "own_text"
    elsewhere = check_question(kites, "kites", "w/02-sail", "How do I tie the spars with a lashing knot?")
    assert elsewhere["outcome"] == "other_page" and elsewhere["from"].startswith("/p/kites/w/01-frame#")
    refused = check_question(kites, "kites", "w/02-sail", "What is the capital of Peru?")
    assert refused == {"question": "What is the capital of Peru?", "outcome": "refused", "from": None}


def test_the_questions_come_from_headings_code_and_exercises(kites):
    report = run_check(kites)
    asked = {chapter["slug"]: [q["question"] for q in chapter["questions"]] for chapter in report["chapters"]}
    assert asked["w/01-frame"] == ["How do I build the frame?", "What does from kitegauge import check_frame do?"]
    assert asked["w/02-sail"] == ["How do I cut the sail?"]


def test_the_self_test_waits_while_learners_wait_for_the_model(kites, tmp_path):
    queue, activity = ModelQueue(slots=1), ClassActivity()
    ticket = queue.join("ana")                 # a learner's question holds the model
    job = ReadinessJob(tmp_path / "data" / "index.sqlite", tmp_path / "data", queue, activity)
    seen = activity.version
    assert job.start()
    while not job.state()["paused"]:
        seen = activity.wait_for_change(seen, timeout=10)
    assert job.state()["done"] == 0 and job.state()["running"]
    ticket.done()                               # the answer is over: the self-test goes on
    while job.state()["running"]:
        seen = activity.wait_for_change(seen, timeout=10)
    assert job.state()["done"] == job.state()["total"] >= 3 and job.state()["problem"] is None
    assert (tmp_path / "data" / "readiness.json").exists()


def test_the_teacher_runs_the_self_test_and_sees_every_chapter(serve, bundled_content, tmp_path):
    site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR, content_dirs=(bundled_content,),
                               data_dir=tmp_path / "data"))
    site.services.store.set_teacher_pin("5555")
    teacher = WebClient(site.url)
    assert teacher.post("/teacher/login", {"pin": "5555"}).status == 303
    assert "No self-test yet." in teacher.get("/teacher").text
    assert teacher.post("/teacher/check-class", {}).status == 303
    job, finished = site.services.readiness, threading.Event()
    activity, seen = site.services.activity, 0
    for _ in range(200):
        if not job.state()["running"]:
            finished.set()
            break
        seen = activity.wait_for_change(seen, timeout=1)
    assert finished.is_set() and job.state()["problem"] is None
    page = teacher.get("/teacher").text
    table = page.split('class="readiness-table"')[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row"><a href="/p/first-web-app/[^"]+">(.*?)</a></th>', table)
    assert rows == bundled_chapter_titles(bundled_content)
    assert "Last self-test:" in page


def test_a_learner_cannot_start_the_self_test(serve, bundled_content, tmp_path):
    site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR, content_dirs=(bundled_content,),
                               data_dir=tmp_path / "data"))
    learner = WebClient(site.url)
    assert learner.post("/join", {"nickname": "Ana", "next": "/"}).status == 303
    assert learner.post("/teacher/check-class", {}).status == 403
    assert not site.services.readiness.state()["running"]


def test_kit_check_class_with_the_model_reports_what_it_wrote(kites, tmp_path):
    """The optional half: the real embedded SmolLM2 answers each question; the report says how
    many tokens it wrote, how many words were not in the material, how many sentences were held."""
    result = CliRunner(env={"LANTERN_ENGINE": "embedded", "LANTERN_ENGINE_DIR": str(SHARED_ENGINE_DIR)}).invoke(
        kit_main, ["check-class", "kites", "--model", "--data", str(tmp_path / "data"),
                   "--content", str(tmp_path / "content")])
    assert result.exit_code == 0, result.output
    kept = json.loads((tmp_path / "data" / "readiness.json").read_text(encoding="utf-8"))
    assert kept["model"] is True
    answered = [q for chapter in kept["chapters"] for q in chapter["questions"] if q["outcome"] != "refused"]
    assert answered and all(q["model"]["error"] is None and q["model"]["tokens"] > 0 for q in answered)
    assert re.search(r"— model: \d+ tokens, \d+ not in the material, \d+ sentences held back", result.output)
