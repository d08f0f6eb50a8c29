"""The tutor's commands — `kit ask`, `kit models`, `kit models verify`, `kit doctor` — run as real
programs on the bundled content, with the real embedded SmolLM2 model."""
from __future__ import annotations

import shutil

from kit.tutor.manifests import bundled_gguf
from tests.test_cli import clean_env, kit

SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_ask_streams_an_answer_then_its_sources(tmp_path):
    result = kit("ask", "--data", tmp_path, "--engine", "embedded",
                 "How do I install Flask from the wheels folder without internet?")
    assert result.returncode == 0, result.stderr
    answer, _, after = result.stdout.partition("Sources:")
    assert answer.strip(), result.stdout
    assert "/p/first-web-app/flask-workshop/01-setting-up#" in after
    assert "embedded · SmolLM2-135M-Instruct.Q4_1.gguf" in after


def test_ask_outside_the_material_says_so_and_lists_the_closest_passages(tmp_path):
    result = kit("ask", "--data", tmp_path, "What is the capital of Peru?")
    assert result.returncode == 0, result.stderr
    assert "does not cover this question" in result.stdout
    assert "Sources:" not in result.stdout
    assert "SmolLM2" not in result.stdout          # the model was not asked


def test_ask_in_hint_mode_wants_what_you_tried_first(tmp_path):
    result = kit("ask", "--data", tmp_path, "--mode", "hint", "help me with the books exercise")
    assert result.returncode == 2
    assert "Think first" in result.stderr


def test_models_lists_every_manifest_and_finds_the_shipped_gguf(tmp_path):
    result = kit("models", "--data", tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    for model in ("smollm2-135m-instruct", "smollm2-360m", "qwen2.5-0.5b", "qwen2.5-1.5b",
                  "gemma3-1b", "llama3.2-1b", "qwen3-0.6b"):
        assert model in rows, result.stdout
    assert "GGUF" in rows["smollm2-135m-instruct"]
    assert "GGUF" not in rows["qwen2.5-1.5b"]


def test_models_verify_passes_then_fails_on_a_damaged_copy(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    copy = models / SMOLLM2
    shutil.copyfile(bundled_gguf(SMOLLM2), copy)
    env = clean_env(LANTERN_MODELS=str(models))
    good = kit("models", "verify", "--data", tmp_path, env=env)
    assert good.returncode == 0 and "OK" in good.stdout, good.stdout + good.stderr
    with open(copy, "r+b") as model:
        model.seek(4096)
        byte = model.read(1)
        model.seek(4096)
        model.write(bytes([byte[0] ^ 0xFF]))
    bad = kit("models", "verify", "--data", tmp_path, env=env)
    assert bad.returncode == 1
    assert "DAMAGED" in bad.stdout and str(copy) in bad.stdout


def test_doctor_names_the_engine_and_why(tmp_path):
    result = kit("doctor", "--data", tmp_path,
                 env=clean_env(LANTERN_OLLAMA_HOST="127.0.0.1:9", LANTERN_OLLAMA_BIN=str(tmp_path / "none")))
    assert result.returncode == 0, result.stderr
    assert "embedded engine" in result.stdout
    assert "Ollama is not answering" in result.stdout
    assert "RAM:" in result.stdout
