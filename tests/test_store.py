"""The classroom store (kit/classroom/store.py) on real TinyDB files in temp folders.

Each test states one behaviour the web layer and the teacher rely on: who can be a learner,
what the teacher can set, how the PIN is kept and locked, what the exchange log holds, and that
data acknowledged once is still there after threads, damage and restarts.
"""
from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest

from tinydb import TinyDB

from kit.classroom.atomic_storage import AtomicJSONStorage, FileAlreadyOpen
from kit.classroom.store import NicknameTaken, NotAllowed, NotFound, Store, StoreError, TeacherLocked

SESSION = "2026-11-23"


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "classroom"


@pytest.fixture
def store(folder):
    opened = Store(folder, session=SESSION)
    yield opened
    opened.close()


def reopen(store: Store, session: str = SESSION) -> Store:
    """Close the store and open a fresh one on the same folder, as a restarted kit would."""
    store.close()
    return Store(store.folder, session=session)


@pytest.fixture
def ana(store) -> str:
    return store.create_learner("Ana")["id"]


# -- learners ---------------------------------------------------------------------------------

def test_a_new_learner_has_a_random_id_their_nickname_and_when_they_joined(store):
    learner = store.create_learner("Ana")
    assert set(learner) == {"id", "nickname", "created"}
    assert len(learner["id"]) >= 22 and learner["nickname"] == "Ana"
    assert learner["created"].startswith(time.strftime("%Y-%m-%d"))


def test_learner_ids_differ_between_learners(store):
    assert store.create_learner("Ana")["id"] != store.create_learner("Ben")["id"]


def test_a_nickname_is_trimmed_and_inner_spaces_are_collapsed(store):
    assert store.create_learner("  Ana   Maria ")["nickname"] == "Ana Maria"


def test_a_learner_is_found_by_id_and_an_unknown_id_gives_none(store, ana):
    assert store.learner(ana)["nickname"] == "Ana"
    assert store.learner("no-such-id") is None


def test_learners_are_listed_in_the_order_they_joined(store):
    for name in ("Cleo", "Ana", "Ben"):
        store.create_learner(name)
    assert [learner["nickname"] for learner in store.learners()] == ["Cleo", "Ana", "Ben"]


@pytest.mark.parametrize("second", ["ana", "ANA", " Ana ", "ａｎａ"])
def test_a_nickname_is_unique_whatever_its_case_or_width(store, second):
    store.create_learner("Ana")
    with pytest.raises(NicknameTaken, match="already taken") as error:
        store.create_learner(second)
    assert error.value.field == "nickname"


@pytest.mark.parametrize("nickname", ["Zoë", "Łukasz", "さくら", "अमित", "Алёша", "José-Luis_2.0"])
def test_nicknames_in_any_script_are_accepted(store, nickname):
    assert store.create_learner(nickname)["nickname"] == nickname


def test_unicode_nicknames_are_unique_case_insensitively(store):
    store.create_learner("Алёша")
    with pytest.raises(NicknameTaken):
        store.create_learner("АЛЁША")


def test_the_same_accented_name_typed_two_ways_is_one_nickname(store):
    store.create_learner("Zo\u00eb")                # ë as one character
    with pytest.raises(NicknameTaken):
        store.create_learner("Zoe\u0308")           # e + combining diaeresis


@pytest.mark.parametrize("nickname", ["Al", "A" * 24])
def test_nicknames_of_2_and_24_characters_are_accepted(store, nickname):
    assert store.create_learner(nickname)["nickname"] == nickname


@pytest.mark.parametrize("nickname", ["A", "  A  ", "A" * 25, ""])
def test_too_short_or_too_long_nicknames_are_refused_with_the_limits(store, nickname):
    with pytest.raises(StoreError, match="2 to 24 characters") as error:
        store.create_learner(nickname)
    assert error.value.field == "nickname"


@pytest.mark.parametrize("nickname, shown", [
    ("<b>Ana</b>", "<"), ('Ana" onmouseover="x', '"'), ("Tom & Jerry", "&"),
    ("ana@school", "@"), ("Ana\tB", "U+0009"), ("Ana😀", "😀"), ("Ana/../..", "/")])
def test_markup_and_other_symbols_are_refused_naming_the_character(store, nickname, shown):
    with pytest.raises(StoreError, match="letters, digits, spaces") as error:
        store.create_learner(nickname)
    assert shown in str(error.value)


def test_a_nickname_needs_a_letter_or_digit(store):
    with pytest.raises(StoreError, match="at least one letter or digit"):
        store.create_learner("-._")


def test_a_missing_nickname_is_refused(store):
    with pytest.raises(StoreError, match="Nickname is missing"):
        store.create_learner(None)


def test_learners_survive_a_restart(store, ana):
    store = reopen(store)
    try:
        assert store.learner(ana)["nickname"] == "Ana"
    finally:
        store.close()


# -- class settings -----------------------------------------------------------------------

def test_class_settings_start_with_the_defaults(store):
    assert store.class_settings() == {
        "modes": ["explain", "hint", "debug"], "think_first": True, "think_first_min": 20,
        "think_first_minutes": 0, "pinned": [], "tutor_enabled": True, "announcement": "", "questions_per_minute": 3}


def test_changed_class_settings_are_returned_and_kept_across_a_restart(store):
    changed = store.update_class_settings(tutor_enabled=False, announcement="Quiz at 11")
    assert changed["tutor_enabled"] is False and changed["announcement"] == "Quiz at 11"
    store = reopen(store)
    try:
        assert store.class_settings() == changed
    finally:
        store.close()


def test_the_settings_text_pages_depend_on_is_kept_until_a_change_and_callers_get_copies(store):
    before = store.class_settings_json()
    assert store.class_settings_json() is before            # kept: asked on every page
    store.class_settings()["modes"].append("guess")            # a caller's copy, not the store's
    assert store.class_settings_json() == before
    store.update_class_settings(announcement="Quiz at 11")
    assert json.loads(store.class_settings_json())["announcement"] == "Quiz at 11"


def test_values_as_an_html_form_sends_them_are_accepted(store):
    changed = store.update_class_settings(think_first="off", think_first_min="30",
                                          questions_per_minute=" 5 ", modes="hint")
    assert (changed["think_first"], changed["think_first_min"]) == (False, 30)
    assert (changed["questions_per_minute"], changed["modes"]) == (5, ["hint"])


def test_modes_are_deduplicated_and_kept_in_the_usual_order(store):
    assert store.update_class_settings(modes=["debug", "Explain", "debug"])["modes"] == [
        "explain", "debug"]


@pytest.mark.parametrize("field, value", [
    ("modes", []), ("modes", ["guess"]), ("modes", 3), ("think_first", "maybe"),
    ("think_first", 2), ("think_first_min", -1), ("think_first_min", "twenty"),
    ("think_first_min", True), ("tutor_enabled", None), ("announcement", "x" * 501),
    ("announcement", 5), ("questions_per_minute", 0), ("questions_per_minute", 61)])
def test_a_bad_class_setting_is_refused_naming_the_field(store, field, value):
    with pytest.raises(StoreError) as error:
        store.update_class_settings(**{field: value})
    assert error.value.field == field


def test_an_unknown_class_setting_is_refused_listing_the_real_ones(store):
    with pytest.raises(StoreError, match="not a class setting.*questions_per_minute"):
        store.update_class_settings(colour="blue")


def test_one_bad_setting_means_none_of_the_changes_are_saved(store):
    with pytest.raises(StoreError):
        store.update_class_settings(announcement="Hello", questions_per_minute=0)
    assert store.class_settings()["announcement"] == ""


# -- teacher PIN ----------------------------------------------------------------------------

def test_there_is_no_teacher_pin_until_one_is_set(store):
    assert not store.has_teacher_pin()
    store.set_teacher_pin("2468")
    assert store.has_teacher_pin()


def test_the_right_pin_is_accepted_and_a_wrong_one_is_not(store):
    store.set_teacher_pin("2468")
    assert store.check_teacher_pin("2468") is True
    assert store.check_teacher_pin("2469") is False


def test_no_pin_matches_before_one_is_set(store):
    assert store.check_teacher_pin("0000") is False


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "", "١٢٣٤", None])
def test_a_pin_must_be_4_to_12_digits(store, pin):
    with pytest.raises(StoreError, match="4 to 12 digits") as error:
        store.set_teacher_pin(pin)
    assert error.value.field == "pin"


def test_the_pin_itself_is_never_written_to_disk(store, folder):
    store.set_teacher_pin("73519046")
    store.check_teacher_pin("73519046")
    for path in folder.iterdir():
        assert b"73519046" not in path.read_bytes(), path.name
    assert "scrypt" in (folder / "class.json").read_text()


def test_the_same_pin_set_twice_gets_a_new_salt_and_hash(store, folder):
    store.set_teacher_pin("2468")
    first = json.loads((folder / "class.json").read_text())["teacher"]["1"]["pin"]
    store.set_teacher_pin("2468")
    second = json.loads((folder / "class.json").read_text())["teacher"]["1"]["pin"]
    assert first["salt"] != second["salt"] and first["hash"] != second["hash"]


def test_five_wrong_pins_in_a_row_lock_the_login_for_five_minutes(store):
    store.set_teacher_pin("2468")
    for _ in range(5):
        assert store.check_teacher_pin("0000", now=1000.0) is False
    with pytest.raises(TeacherLocked) as error:
        store.check_teacher_pin("2468", now=1010.0)      # even the right PIN waits
    assert error.value.seconds_left == 290
    assert "4 min 50 s" in str(error.value)


def test_the_lock_ends_after_five_minutes(store):
    store.set_teacher_pin("2468")
    for _ in range(5):
        store.check_teacher_pin("0000", now=1000.0)
    assert store.check_teacher_pin("2468", now=1300.0) is True


def test_a_right_pin_resets_the_count_of_wrong_ones(store):
    store.set_teacher_pin("2468")
    for _ in range(4):
        store.check_teacher_pin("0000", now=1000.0)
    assert store.check_teacher_pin("2468", now=1000.0)
    for _ in range(4):
        store.check_teacher_pin("0000", now=1000.0)
    assert store.check_teacher_pin("2468", now=1000.0) is True


def test_the_lock_survives_a_restart(store):
    store.set_teacher_pin("2468")
    for _ in range(5):
        store.check_teacher_pin("0000", now=1000.0)
    store = reopen(store)
    try:
        with pytest.raises(TeacherLocked):
            store.check_teacher_pin("2468", now=1060.0)
    finally:
        store.close()


def test_setting_a_new_pin_lifts_the_lock(store):
    store.set_teacher_pin("2468")
    for _ in range(5):
        store.check_teacher_pin("0000", now=1000.0)
    store.set_teacher_pin("1357")
    assert store.check_teacher_pin("1357", now=1001.0) is True


# -- cookie secret --------------------------------------------------------------------------

def test_the_secret_key_is_made_once_and_kept_across_restarts(store):
    key = store.secret_key()
    assert len(key) >= 40 and store.secret_key() == key
    store = reopen(store)
    try:
        assert store.secret_key() == key
    finally:
        store.close()


# -- the tutor's exchange log ------------------------------------------------------------------

def test_a_recorded_exchange_keeps_its_fields_and_gets_an_id_a_time_and_the_learner(store, ana):
    exchange_id = store.record_exchange({"question": "What is a loop?", "mode": "explain"}, ana)
    [exchange] = store.exchanges()
    assert exchange["id"] == exchange_id and exchange["learner"] == ana
    assert exchange["question"] == "What is a loop?" and exchange["mode"] == "explain"
    assert exchange["at"].startswith(time.strftime("%Y-%m-%d")) and exchange["feedback"] is None


def test_exchanges_come_newest_first(store, ana):
    for n in range(3):
        store.record_exchange({"question": f"q{n}"}, ana)
    assert [e["question"] for e in store.exchanges()] == ["q2", "q1", "q0"]


def test_a_learner_sees_only_their_own_exchanges(store, ana):
    ben = store.create_learner("Ben")["id"]
    store.record_exchange({"question": "Ana's"}, ana)
    store.record_exchange({"question": "Ben's"}, ben)
    assert [e["question"] for e in store.exchanges(learner_id=ben)] == ["Ben's"]


def test_limit_keeps_the_newest_exchanges(store, ana):
    for n in range(5):
        store.record_exchange({"question": f"q{n}"}, ana)
    assert [e["question"] for e in store.exchanges(limit=2)] == ["q4", "q3"]


def test_an_exchange_without_a_learner_is_recorded(store):
    store.record_exchange({"question": "from the teacher"}, None)
    assert store.exchanges()[0]["learner"] is None


def test_an_exchange_for_an_unknown_learner_is_refused(store):
    with pytest.raises(NotFound, match="not in the class"):
        store.record_exchange({"question": "?"}, "no-such-learner")


def test_values_json_cannot_hold_are_recorded_as_text(store, ana):
    store.record_exchange({"question": "q", "source": Path("/packs/python")}, ana)
    assert store.exchanges()[0]["source"] == str(Path("/packs/python"))


def test_each_class_session_has_its_own_log_file(store, ana, folder):
    store.record_exchange({"question": "monday"}, ana)
    store = reopen(store, session="2026-11-24")
    try:
        assert store.exchanges() == []
        store.record_exchange({"question": "tuesday"}, ana)
    finally:
        store.close()
    store = Store(folder, session=SESSION)
    try:
        assert [e["question"] for e in store.exchanges()] == ["monday"]
    finally:
        store.close()
    assert {p.name for p in folder.glob("questions-*.json")} == {
        "questions-2026-11-23.json", "questions-2026-11-24.json"}


def test_earlier_sessions_questions_follow_todays_newest_first_each_with_its_session(store, ana, folder):
    ben = store.create_learner("Ben")["id"]
    store.record_exchange({"question": "monday 1"}, ana)
    store.record_exchange({"question": "monday ben"}, ben)
    store.record_exchange({"question": "monday 2"}, ana)
    store = reopen(store, session="2026-11-24")
    store.record_exchange({"question": "tuesday"}, ana)
    store = reopen(store, session="2026-11-25")
    try:
        store.record_exchange({"question": "wednesday"}, ana)
        mine = store.exchanges(learner_id=ana, earlier=True)
        assert [(e["question"], e["session"]) for e in mine] == [
            ("wednesday", "2026-11-25"), ("tuesday", "2026-11-24"),
            ("monday 2", "2026-11-23"), ("monday 1", "2026-11-23")]
        assert [e["question"] for e in store.exchanges(learner_id=ana)] == ["wednesday"]
        assert len(store.exchanges(earlier=True)) == 5
        assert [e["question"] for e in store.exchanges(learner_id=ana, earlier=True, limit=2)] == [
            "wednesday", "tuesday"]
        assert store.warnings == []
    finally:
        store.close()
    assert json.loads((folder / "questions-2026-11-23.json").read_text())   # left as it was


def test_a_damaged_earlier_log_is_read_from_its_spare_copy_or_skipped_with_a_warning(store, ana, folder):
    store.record_exchange({"question": "monday"}, ana)
    store.record_exchange({"question": "monday again"}, ana)
    store = reopen(store, session="2026-11-24")
    try:
        monday = folder / "questions-2026-11-23.json"
        monday.write_bytes(monday.read_bytes()[:25])                  # cut short
        assert [e["question"] for e in store.exchanges(earlier=True)] == ["monday again", "monday"]
        (folder / "questions-2026-11-23.json.bak").write_text("garbled {")
        monday.write_bytes(monday.read_bytes()[:20])                  # changed: read again
        assert store.exchanges(earlier=True) == []
        assert any("questions-2026-11-23.json could not be read" in w for w in store.warnings)
        assert monday.exists()                                        # nothing moved or lost
    finally:
        store.close()


def test_the_session_defaults_to_todays_date(folder):
    with Store(folder) as store:
        store.record_exchange({"question": "q"}, None)
    assert (folder / f"questions-{time.strftime('%Y-%m-%d')}.json").exists()


@pytest.mark.parametrize("session", ["../escape", "a/b", "", ".hidden", "x" * 65])
def test_a_session_name_that_is_not_a_safe_file_name_is_refused(folder, session):
    with pytest.raises(StoreError, match="session"):
        Store(folder, session=session)


# -- feedback ---------------------------------------------------------------------------------

def test_the_learner_who_asked_can_rate_the_answer(store, ana):
    exchange_id = store.record_exchange({"question": "q"}, ana)
    store.set_feedback(exchange_id, ana, helpful=False, comment="  too vague ")
    feedback = store.exchanges()[0]["feedback"]
    assert (feedback["helpful"], feedback["comment"]) == (False, "too vague")


def test_another_learner_cannot_rate_the_answer(store, ana):
    ben = store.create_learner("Ben")["id"]
    exchange_id = store.record_exchange({"question": "q"}, ana)
    with pytest.raises(NotAllowed, match="Only the learner who asked"):
        store.set_feedback(exchange_id, ben, helpful=False)
    assert store.exchanges()[0]["feedback"] is None


def test_an_answer_nobody_asked_for_cannot_be_rated(store, ana):
    exchange_id = store.record_exchange({"question": "q"}, None)
    with pytest.raises(NotAllowed):
        store.set_feedback(exchange_id, ana, helpful=True)


def test_a_comment_longer_than_500_characters_is_refused(store, ana):
    exchange_id = store.record_exchange({"question": "q"}, ana)
    with pytest.raises(StoreError, match="500") as error:
        store.set_feedback(exchange_id, ana, helpful=True, comment="x" * 501)
    assert error.value.field == "comment"


def test_rating_an_unknown_exchange_is_refused(store, ana):
    with pytest.raises(NotFound):
        store.set_feedback("no-such-exchange", ana, helpful=True)


def test_helpful_must_be_true_or_false(store, ana):
    exchange_id = store.record_exchange({"question": "q"}, ana)
    with pytest.raises(StoreError, match="helpful"):
        store.set_feedback(exchange_id, ana, helpful="yes")


# -- progress and notes -----------------------------------------------------------------------

def test_chapters_done_and_exercises_tried_are_kept_across_a_restart(store, ana):
    store.set_chapter_done(ana, "python", "loops", True)
    store.record_exercise_attempt(ana, "python", "loops", "ex-1")
    store = reopen(store)
    try:
        assert store.progress(ana) == {"chapters_done": [["python", "loops"]],
                                       "exercises": [["python", "loops", "ex-1"]]}
    finally:
        store.close()


def test_a_chapter_marked_not_done_leaves_the_list(store, ana):
    store.set_chapter_done(ana, "python", "loops", True)
    store.set_chapter_done(ana, "python", "loops", False)
    assert store.progress(ana)["chapters_done"] == []


def test_marking_a_chapter_done_twice_lists_it_once(store, ana):
    store.set_chapter_done(ana, "python", "loops", True)
    store.set_chapter_done(ana, "python", "loops", True)
    assert store.progress(ana)["chapters_done"] == [["python", "loops"]]


def test_an_exercise_tried_twice_is_listed_once(store, ana):
    for _ in range(2):
        store.record_exercise_attempt(ana, "python", "loops", "ex-1")
    assert store.progress(ana)["exercises"] == [["python", "loops", "ex-1"]]


def test_all_progress_lists_every_learner_including_those_without_any(store, ana):
    ben = store.create_learner("Ben")["id"]
    store.set_chapter_done(ana, "python", "loops", True)
    assert store.all_progress() == {
        ana: {"chapters_done": [["python", "loops"]], "exercises": []},
        ben: {"chapters_done": [], "exercises": []}}


def test_progress_for_an_unknown_learner_is_refused(store):
    with pytest.raises(NotFound):
        store.set_chapter_done("no-such-learner", "python", "loops", True)


@pytest.mark.parametrize("pack, doc", [("", "loops"), ("python", "   "), ("python", "x" * 301)])
def test_an_empty_or_huge_pack_or_chapter_name_is_refused(store, ana, pack, doc):
    with pytest.raises(StoreError):
        store.set_chapter_done(ana, pack, doc, True)


def test_a_note_is_kept_across_a_restart(store, ana):
    store.save_note(ana, "python", "loops", "for i in range(3): remember the colon")
    store = reopen(store)
    try:
        assert store.note(ana, "python", "loops") == "for i in range(3): remember the colon"
    finally:
        store.close()


def test_a_chapter_without_a_note_gives_empty_text(store, ana):
    assert store.note(ana, "python", "loops") == ""


def test_saving_a_note_again_replaces_it(store, ana):
    store.save_note(ana, "python", "loops", "first")
    store.save_note(ana, "python", "loops", "second")
    assert store.note(ana, "python", "loops") == "second"


def test_a_blank_note_deletes_it(store, ana, folder):
    store.save_note(ana, "python", "loops", "first")
    store.save_note(ana, "python", "loops", "  \n")
    assert store.note(ana, "python", "loops") == ""
    assert "first" not in (folder / "progress.json").read_text()


def test_notes_are_private_to_their_learner(store, ana):
    ben = store.create_learner("Ben")["id"]
    store.save_note(ana, "python", "loops", "Ana's note")
    assert store.note(ben, "python", "loops") == ""


def test_a_note_of_5000_characters_is_kept_and_a_longer_one_refused(store, ana):
    store.save_note(ana, "python", "loops", "x" * 5000)
    with pytest.raises(StoreError, match="5000") as error:
        store.save_note(ana, "python", "loops", "y" * 5001)
    assert error.value.field == "note" and store.note(ana, "python", "loops") == "x" * 5000


def test_what_learners_type_is_stored_exactly_as_typed_not_escaped(store, ana, folder):
    """Escaping is the pages' job: the store keeps the text, so CSV export and JSON stay true."""
    payload = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    store.save_note(ana, "python", "loops", payload)
    exchange_id = store.record_exchange({"question": payload}, ana)
    store.set_feedback(exchange_id, ana, helpful=False, comment=payload)
    assert store.note(ana, "python", "loops") == payload
    assert store.exchanges()[0]["question"] == payload
    assert store.exchanges()[0]["feedback"]["comment"] == payload


# -- one instance per file ----------------------------------------------------------------------

def test_a_second_store_on_an_open_folder_is_refused(store, folder):
    with pytest.raises(FileAlreadyOpen, match="already open"):
        Store(folder, session=SESSION)


def test_a_closed_folder_can_be_opened_again(store, folder, ana):
    store.save_note(ana, "python", "loops", "kept across the reopening")
    store.close()
    again = Store(folder, session=SESSION)
    try:
        assert [learner["id"] for learner in again.learners()] == [ana]
        assert again.note(ana, "python", "loops") == "kept across the reopening"
        assert again.warnings == []
        with pytest.raises(FileAlreadyOpen, match="already open"):   # and it holds the folder now
            Store(folder, session=SESSION)
    finally:
        again.close()


# -- many threads at once -----------------------------------------------------------------------

def test_16_threads_writing_50_times_each_lose_nothing(store, folder):
    learners = [store.create_learner(f"learner {n}")["id"] for n in range(16)]
    errors = []

    def write(n: int) -> None:
        try:
            for i in range(50):
                kind = i % 4
                if kind == 0:
                    store.record_exchange({"question": f"{n}-{i}"}, learners[n])
                elif kind == 1:
                    store.save_note(learners[n], "pack", f"doc-{i}", f"{n}-{i}")
                elif kind == 2:
                    store.set_chapter_done(learners[n], "pack", f"doc-{i}", True)
                else:
                    store.record_exercise_attempt(learners[n], "pack", "doc", f"ex-{i}")
                store.learners()            # reads interleave with the writes, as on a real page
        except Exception as error:          # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = reopen(store)
    try:
        questions = {e["question"] for e in store.exchanges()}
        assert questions == {f"{n}-{i}" for n in range(16) for i in range(0, 50, 4)}
        for n, learner in enumerate(learners):
            assert all(store.note(learner, "pack", f"doc-{i}") == f"{n}-{i}"
                       for i in range(1, 50, 4))
            progress = store.progress(learner)
            assert len(progress["chapters_done"]) == len(range(2, 50, 4))
            assert len(progress["exercises"]) == len(range(3, 50, 4))
        assert store.warnings == []
    finally:
        store.close()
    for path in folder.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


# -- durability ---------------------------------------------------------------------------------

def test_every_write_is_in_its_file_and_the_spare_copy_when_the_call_returns(store, folder):
    """What the web layer acknowledges after a call must already be on disk, not in memory."""
    def on_disk(name: str) -> tuple[str, str]:
        return ((folder / name).read_text(encoding="utf-8"),
                (folder / f"{name}.bak").read_text(encoding="utf-8"))

    ana = store.create_learner("Ana")["id"]
    assert all(ana in copy for copy in on_disk("learners.json"))
    store.save_note(ana, "python", "loops", "note on disk")
    assert all("note on disk" in copy for copy in on_disk("progress.json"))
    store.record_exchange({"question": "asked on disk"}, ana)
    assert all("asked on disk" in copy for copy in on_disk(f"questions-{SESSION}.json"))
    store.update_class_settings(announcement="said on disk")
    assert all("said on disk" in copy for copy in on_disk("class.json"))


def test_the_storage_used_on_its_own_writes_durably_on_every_tinydb_write(tmp_path):
    """Outside the Store (no group commit), the storage must not leave writes in memory."""
    db = TinyDB(tmp_path / "plain.json", storage=AtomicJSONStorage)
    try:
        db.insert({"kept": "on disk"})
        assert "on disk" in (tmp_path / "plain.json").read_text()
        assert "on disk" in (tmp_path / "plain.json.bak").read_text()
    finally:
        db.close()


# -- damaged files ------------------------------------------------------------------------------

def _cut_in_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _garble(data: bytes) -> bytes:
    return random.Random(4).randbytes(max(len(data), 64))


def _empty(data: bytes) -> bytes:
    return b""


def _fill(store: Store) -> dict:
    """Write something into every file; return what a reader should find again."""
    ana = store.create_learner("Ana")["id"]
    store.create_learner("Ben")
    store.update_class_settings(announcement="Quiz at 11")
    store.save_note(ana, "python", "loops", "remember the colon")
    store.record_exchange({"question": "What is a loop?"}, ana)
    return {"ana": ana}


def _everything_is_there(store: Store, ana: str) -> None:
    assert [learner["nickname"] for learner in store.learners()] == ["Ana", "Ben"]
    assert store.class_settings()["announcement"] == "Quiz at 11"
    assert store.note(ana, "python", "loops") == "remember the colon"
    assert [e["question"] for e in store.exchanges()] == ["What is a loop?"]


FILES = ["learners.json", "class.json", "progress.json", f"questions-{SESSION}.json"]


@pytest.mark.parametrize("damage", [_cut_in_half, _garble, _empty])
@pytest.mark.parametrize("name", FILES)
def test_a_damaged_file_is_moved_aside_and_its_last_good_copy_loaded(store, folder, name, damage):
    ana = _fill(store)["ana"]
    store.close()
    target = folder / name
    damaged = damage(target.read_bytes())
    target.write_bytes(damaged)

    store = Store(folder, session=SESSION)
    try:
        _everything_is_there(store, ana)                 # nothing acknowledged was lost
        [aside] = folder.glob(name + ".damaged-*")
        assert aside.read_bytes() == damaged             # moved aside, never deleted
        [warning] = store.warnings
        assert f"{name} was damaged" in warning and aside.name in warning
        assert "last good copy (saved" in warning
    finally:
        store.close()


def test_the_recovered_file_is_written_back_whole(store, folder):
    _fill(store)
    store.close()
    (folder / "learners.json").write_bytes(b'{"learners": {"1": {"id"')
    Store(folder, session=SESSION).close()
    assert len(json.loads((folder / "learners.json").read_text())["learners"]) == 2


def test_when_the_file_and_its_spare_are_both_damaged_it_starts_empty_and_says_so(store, folder):
    _fill(store)
    store.close()
    (folder / "learners.json").write_bytes(b"\x00\x01garbage")
    (folder / "learners.json.bak").write_bytes(b"")
    store = Store(folder, session=SESSION)
    try:
        assert store.learners() == []
        [warning] = store.warnings
        assert "spare copy was damaged too" in warning and "starts empty" in warning
        assert len(list(folder.glob("learners.json.damaged-*"))) == 1
        assert len(list(folder.glob("learners.json.bak.damaged-*"))) == 1
    finally:
        store.close()


def test_a_damaged_spare_copy_is_moved_aside_and_the_good_file_used(store, folder):
    ana = _fill(store)["ana"]
    store.close()
    (folder / "progress.json.bak").write_bytes(b"{not json")
    store = Store(folder, session=SESSION)
    try:
        _everything_is_there(store, ana)
        assert "spare copy of progress.json was damaged" in store.warnings[0]
        assert (folder / "progress.json.bak").exists() is False
        assert len(list(folder.glob("progress.json.bak.damaged-*"))) == 1
    finally:
        store.close()


def test_a_missing_file_is_restored_from_its_spare_copy(store, folder):
    ana = _fill(store)["ana"]
    store.close()
    (folder / "class.json").unlink()
    store = Store(folder, session=SESSION)
    try:
        _everything_is_there(store, ana)
        assert "class.json was missing and the last good copy" in store.warnings[0]
    finally:
        store.close()


def test_a_clean_restart_has_no_warnings(store):
    _fill(store)
    store = reopen(store)
    try:
        assert store.warnings == []
    finally:
        store.close()


def test_temp_files_left_by_a_crash_are_removed_and_the_data_kept(store, folder):
    ana = _fill(store)["ana"]
    store.close()
    leftover = folder / "learners.json.x1y2z3.tmp"
    leftover.write_bytes(b'{"learners": {}}')       # a write the crash interrupted
    store = Store(folder, session=SESSION)
    try:
        assert not leftover.exists()
        _everything_is_there(store, ana)
    finally:
        store.close()


def test_no_temp_files_remain_after_writes(store, folder):
    _fill(store)
    assert list(folder.glob("*.tmp")) == []


def test_returned_records_are_copies_that_cannot_change_the_store(store, ana):
    store.record_exchange({"question": "q", "passages": [{"url": "/a"}]}, ana)
    store.exchanges()[0]["passages"].append({"url": "/evil"})
    store.learners()[0]["nickname"] = "Changed"
    assert store.exchanges()[0]["passages"] == [{"url": "/a"}]
    assert store.learner(ana)["nickname"] == "Ana"
