"""The Ollama engine, driven through the official `ollama` client against `FakeOllama`, a
loopback server following Ollama's documented API (ollama/ollama docs/api.md; see
tests/fake_ollama.py for the exact sections). What a teacher sees when Ollama misbehaves is
part of the contract: every failure is one EngineError that says what to do.
"""
from __future__ import annotations

import socket
import os
import time

import pytest

from kit.tutor.engines import EngineError, OllamaEngine, choose_engine
from tests.fake_ollama import FakeOllama

QUESTION = [{"role": "user", "content": "How do plants make food?"}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_streams_text_chunks_then_stats_from_the_final_chunk():
    with FakeOllama(reply="Plants use light to make sugar.") as fake:
        engine = OllamaEngine("smollm2:135m", fake.url, read_timeout=5)
        stream = engine.chat(QUESTION)
        chunks = list(stream)
    assert chunks == ["Plants ", "use ", "light ", "to ", "make ", "sugar."]
    assert stream.stats["tokens"] == 6                      # eval_count
    assert stream.stats["tokens_per_s"] == 50.0             # eval_count / eval_duration (20 ms each)
    assert stream.stats["done_reason"] == "stop"
    assert stream.stats["ttft_ms"] > 0 and stream.stats["total_ms"] >= stream.stats["ttft_ms"]
    assert stream.stats["prompt_tokens"] == 26


def test_sends_model_messages_options_keep_alive_and_think():
    with FakeOllama(models=["qwen3:0.6b"]) as fake:
        engine = OllamaEngine("qwen3:0.6b", fake.url, read_timeout=5,
                              default_options={"num_ctx": 4096, "think": False})
        engine.chat(QUESTION, {"temperature": 0.1, "seed": 7, "num_predict": 3,
                               "stop": ["\n\n"], "keep_alive": "30m"}).text()
        (sent,) = fake.chat_requests()
    assert sent["model"] == "qwen3:0.6b"
    assert sent["messages"] == QUESTION
    assert sent["stream"] is True
    assert sent["options"] == {"num_ctx": 4096, "temperature": 0.1, "seed": 7, "num_predict": 3,
                               "stop": ["\n\n"]}
    assert sent["keep_alive"] == "30m"
    assert sent["think"] is False


def test_num_predict_limit_reports_length():
    with FakeOllama() as fake:
        stream = OllamaEngine("smollm2:135m", fake.url, read_timeout=5).chat(QUESTION, {"num_predict": 2})
        assert len(list(stream)) == 2
    assert stream.stats["done_reason"] == "length"


def test_missing_model_is_an_error_naming_the_model_and_the_pull_command():
    with FakeOllama(models=["smollm2:135m"]) as fake:
        engine = OllamaEngine("qwen2.5:0.5b", fake.url, read_timeout=5)
        with pytest.raises(EngineError, match=r"'qwen2.5:0.5b' is not installed.*ollama pull qwen2.5:0.5b"):
            engine.chat(QUESTION)
        assert engine.available() == (False, f"Ollama 0.12.6 at {fake.url} does not have "
                                             "'qwen2.5:0.5b' (run `ollama pull qwen2.5:0.5b`)")


def test_error_in_the_middle_of_the_stream_becomes_an_engine_error():
    with FakeOllama(fail_after=2, error_message="model runner has unexpectedly stopped") as fake:
        stream = OllamaEngine("smollm2:135m", fake.url, read_timeout=5).chat(QUESTION)
        received = [next(stream), next(stream)]
        with pytest.raises(EngineError, match="in the middle of the answer: model runner has "
                                              "unexpectedly stopped"):
            next(stream)
    assert received == ["Plants ", "make "]


def test_server_down_raises_before_any_chunk_is_handed_back():
    engine = OllamaEngine("smollm2:135m", f"127.0.0.1:{free_port()}", read_timeout=5)
    with pytest.raises(EngineError, match="Ollama is not running at http://127.0.0.1:"):
        engine.chat(QUESTION)
    assert engine.available()[0] is False
    with pytest.raises(EngineError, match="not running"):
        engine.models()


def test_first_token_slower_than_the_read_timeout():
    with FakeOllama(first_token_delay=8.0) as fake:
        engine = OllamaEngine("smollm2:135m", fake.url, read_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(EngineError, match=r"did not start answering within 0.5 s"):
            engine.chat(QUESTION)
        waited = time.monotonic() - started       # the first token would have come after 8 s
        assert waited < 6, f"gave up after {waited:.1f} s (load average {os.getloadavg()})"


def test_closing_the_stream_early_closes_the_http_response():
    reply = " ".join(f"word{i}" for i in range(200))
    with FakeOllama(reply=reply, chunk_delay=0.02) as fake:
        stream = OllamaEngine("smollm2:135m", fake.url, read_timeout=5).chat(QUESTION)
        assert next(stream) == "word0 "
        stream.close()
        assert fake.client_gone.wait(timeout=3), "the server kept streaming to nobody"
        assert fake.chunks_sent < 200
    assert stream.stats["done_reason"] == "cancelled"
    assert list(stream) == []


def test_leaving_a_with_block_stops_the_stream_too():
    reply = " ".join(f"word{i}" for i in range(200))
    with FakeOllama(reply=reply, chunk_delay=0.02) as fake:
        with OllamaEngine("smollm2:135m", fake.url, read_timeout=5).chat(QUESTION) as stream:
            next(stream)
        assert fake.client_gone.wait(timeout=3)


def test_models_lists_the_server_tags():
    with FakeOllama(models=["smollm2:135m", "qwen2.5"]) as fake:
        engine = OllamaEngine("qwen2.5", fake.url, read_timeout=5)
        assert engine.models() == ["smollm2:135m", "qwen2.5:latest"]
        assert engine.available()[0] is True


def test_unknown_option_is_refused_before_sending():
    with FakeOllama() as fake:
        with pytest.raises(EngineError, match="unknown generation option"):
            OllamaEngine("smollm2:135m", fake.url).chat(QUESTION, {"temprature": 0})
        assert fake.chat_requests() == []


def test_auto_picks_ollama_when_it_answers_and_has_the_model(make_settings):
    with FakeOllama(models=["qwen2.5:0.5b"]) as fake:
        settings = make_settings(ollama_host=fake.url, model="qwen2.5-0.5b")
        engine, reason = choose_engine(settings, start_ollama=False)
        assert isinstance(engine, OllamaEngine) and engine.model == "qwen2.5:0.5b"
        assert reason.startswith("using ollama")
        assert engine.chat(QUESTION).text().startswith("Plants")
        assert fake.chat_requests()[0]["options"] == {"num_ctx": 4096, "temperature": 0.2}


def test_auto_falls_back_to_embedded_when_ollama_lacks_the_model(make_settings):
    with FakeOllama(models=["smollm2:360m"]) as fake:
        settings = make_settings(ollama_host=fake.url, model="qwen2.5-0.5b",
                                 ollama_port=free_port(), ollama_bin="/nonexistent/ollama")
        engine, reason = choose_engine(settings, start_ollama=False)
    assert engine.name == "embedded" and engine.available()[0]
    assert "does not have 'qwen2.5:0.5b'" in reason
    assert "has no GGUF for the built-in engine" in reason
