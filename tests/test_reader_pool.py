"""Read-only index connections kept between requests (kit/library/index_db.py): reused, yet
always reading the index as it is on disk, bounded, and safe from many threads at once."""
from __future__ import annotations

import os
import shutil
import sqlite3
import threading

import pytest

from kit.library.indexer import build_index
from kit.library.index_db import ReaderPool
from kit.library.search import search_passages
from tests.conftest import write_pack
from tests.threads import run_at_once


@pytest.fixture
def library(library_dirs, make_settings):
    content, _ = library_dirs
    root = write_pack(content, "animals", {"zebras.txt": "Amina 00:01\nZebras sleep standing up.\n",
                                           "lions.txt": "Ben 00:01\nLions sleep most of the day.\n"})
    settings = make_settings()
    build_index(settings)
    return root, settings


def texts(conn, query: str) -> list[str]:
    return sorted(hit.text for hit in search_passages(conn, query).hits)


def test_a_connection_given_back_is_used_again(library):
    _, settings = library
    pool = ReaderPool(settings.index_path)
    first = pool.take()
    pool.give(first)
    assert pool.take() is first


def test_a_kept_connection_reads_what_a_later_import_wrote(library):
    root, settings = library
    pool = ReaderPool(settings.index_path)
    conn = pool.take()
    assert texts(conn, "zebras") == ["Zebras sleep standing up."]
    pool.give(conn)
    (root / "zebras.txt").write_text("Amina 00:01\nZebras graze at dawn.\n", encoding="utf-8")
    build_index(settings)
    again = pool.take()
    assert again is conn
    assert texts(again, "zebras") == ["Zebras graze at dawn."]
    assert texts(again, "standing") == []


def test_an_index_file_replaced_by_another_is_read_from_the_new_file(library, tmp_path):
    root, settings = library
    pool = ReaderPool(settings.index_path)
    pool.give(pool.take())
    copy = tmp_path / "other.sqlite"
    shutil.copy(settings.index_path, copy)
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE documents SET title = 'Replaced'")
    conn.commit()
    conn.close()
    os.replace(copy, settings.index_path)
    conn = pool.take()
    assert {row[0] for row in conn.execute("SELECT title FROM documents")} == {"Replaced"}


def test_no_more_than_max_idle_connections_stay_open(library):
    _, settings = library
    pool = ReaderPool(settings.index_path, max_idle=3)
    taken = [pool.take() for _ in range(6)]
    assert len({id(conn) for conn in taken}) == 6
    for conn in taken:
        pool.give(conn)
    assert pool.idle() == 3
    with pytest.raises(sqlite3.ProgrammingError):      # the three beyond were closed
        taken[-1].execute("SELECT 1")
    pool.close()
    assert pool.idle() == 0
    with pytest.raises(sqlite3.ProgrammingError):
        taken[0].execute("SELECT 1")


def test_many_threads_share_the_pool_and_each_gets_its_own_answers(library):
    _, settings = library
    pool = ReaderPool(settings.index_path, max_idle=4)
    wrong, in_use, lock = [], set(), threading.Lock()

    def learner(query: str, expected: list[str]) -> None:
        for _ in range(60):
            conn = pool.take()
            with lock:
                if id(conn) in in_use:
                    wrong.append("one connection handed to two threads")
                in_use.add(id(conn))
            found = texts(conn, query)
            with lock:
                in_use.discard(id(conn))
            pool.give(conn)
            if found != expected:
                wrong.append(found)

    run_at_once([(learner, *pair) for pair in
                 [("zebras", ["Zebras sleep standing up."]), ("lions", ["Lions sleep most of the day."])] * 6])
    assert wrong == [] and pool.idle() <= 4


def test_a_kept_connection_reads_a_full_rebuild(library, monkeypatch):
    """A new index version drops and remakes every table while the pool holds a connection."""
    _, settings = library
    pool = ReaderPool(settings.index_path)
    conn = pool.take()
    assert texts(conn, "lions") == ["Lions sleep most of the day."]
    pool.give(conn)
    monkeypatch.setattr("kit.library.index_db.INDEX_VERSION", "rebuilt-by-a-test")
    assert build_index(settings).added == 2
    again = pool.take()
    assert texts(again, "lions") == ["Lions sleep most of the day."]
    assert again.execute("SELECT value FROM meta WHERE key='index_version'").fetchone()[0] \
        == "rebuilt-by-a-test"


def test_the_tutor_reads_through_the_pool_and_gives_its_connection_back(library):
    """An answer takes a connection from the same pool the pages use, not one of its own."""
    from kit.tutor.answering import Question, Tutor
    _, settings = library
    pool = ReaderPool(settings.index_path)
    events = list(Tutor(pool, engine_provider=None).answer(Question("What do quasars emit?")))
    assert events[-1][0] == "done" and not events[-1][1]["grounded"]    # answered without a model
    assert pool.idle() == 1         # the connection the answer read through, back for the next
