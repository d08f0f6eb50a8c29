"""Model manifests: they load, a broken one is named without hiding the others, checksums
catch a damaged GGUF, and presence/RAM fit are read from the machine itself."""
from __future__ import annotations

import shutil

import pytest

from kit.tutor.doctor import doctor_report, format_models_table
from kit.tutor.engines.embedded import DEFAULT_GGUF
from kit.tutor.manifests import (ManifestError, bundled_gguf, find_manifest, load_manifests, manifests_dir,
                        memory_info, model_statuses, ollama_store_has, parse_manifest, ram_fit,
                        verify, verify_file)

REQUIRED = {"smollm2-135m-instruct": "", "smollm2-360m": "smollm2:360m",
            "qwen2.5-0.5b": "qwen2.5:0.5b", "qwen2.5-1.5b": "qwen2.5:1.5b",
            "gemma3-1b": "gemma3:1b", "llama3.2-1b": "llama3.2:1b", "qwen3-0.6b": "qwen3:0.6b"}


@pytest.fixture(scope="module")
def manifests():
    loaded, errors = load_manifests()
    assert errors == []
    return loaded


def test_every_required_model_has_a_manifest(manifests):
    by_id = {m.id: m for m in manifests}
    assert set(REQUIRED) <= set(by_id)
    for model_id, tag in REQUIRED.items():
        if tag:
            assert by_id[model_id].ollama_tag == tag
    assert by_id["qwen3-0.6b"].options["think"] is False
    default = by_id["smollm2-135m-instruct"]
    assert default.engines[0] == "embedded" and default.gguf_file == DEFAULT_GGUF
    assert len(default.sha256) == 64 and default.size_bytes == bundled_gguf(DEFAULT_GGUF).stat().st_size


def test_every_licence_file_ships_with_the_manifests(manifests):
    for manifest in manifests:
        text = (manifests_dir() / manifest.licence_file).read_text(encoding="utf-8")
        assert manifest.licence.split()[0] in text or "Apache License" in text


def test_ollama_only_models_have_no_checksum_of_their_own(manifests):
    for manifest in manifests:
        if manifest.engines == ("ollama",):
            assert manifest.sha256 == "" and manifest.gguf_file == ""


def test_a_model_can_be_named_by_id_tag_or_file(manifests):
    assert find_manifest("qwen2.5:0.5b", manifests).id == "qwen2.5-0.5b"
    assert find_manifest(DEFAULT_GGUF, manifests).id == "smollm2-135m-instruct"
    assert find_manifest("phi3:mini", manifests) is None


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace('tier = "2gb"\n', ""), "broken.toml: field 'tier' is missing"),
    (lambda t: t.replace("context_length = 8192", 'context_length = "8k"'),
     "broken.toml: field 'context_length' must be a whole number"),
    (lambda t: t.replace('id = "', 'id = ["'), "broken.toml: not valid TOML"),
    (lambda t: t.replace('tier = "2gb"', 'tier = "16gb"'), "broken.toml: field 'tier' is '16gb'"),
    (lambda t: t.replace("temperature = 0.2", 'temperature = "warm"'),
     "broken.toml: field 'options.temperature'"),
], ids=["missing field", "wrong type", "bad TOML", "unknown tier", "bad option"])
def test_a_malformed_manifest_is_named_and_the_others_still_load(tmp_path, change, message):
    shutil.copytree(manifests_dir(), tmp_path / "manifests")
    good = (tmp_path / "manifests" / "smollm2-360m.toml").read_text()
    (tmp_path / "manifests" / "broken.toml").write_text(change(good))
    loaded, errors = load_manifests(tmp_path / "manifests")
    assert [str(e) for e in errors if message in str(e)], [str(e) for e in errors]
    assert len(errors) == 1 and isinstance(errors[0], ManifestError)
    assert set(REQUIRED) <= {m.id for m in loaded}


def test_verify_passes_on_the_real_gguf(make_settings):
    (result,) = verify(make_settings())
    assert result.ok and result.model_id == "smollm2-135m-instruct"
    assert result.describe().startswith("OK")


def test_verify_catches_one_flipped_byte(tmp_path, manifests, make_settings):
    models = tmp_path / "models"
    models.mkdir()
    copy = models / DEFAULT_GGUF
    shutil.copyfile(bundled_gguf(DEFAULT_GGUF), copy)
    with open(copy, "r+b") as stream:
        stream.seek(50_000_000)
        byte = stream.read(1)
        stream.seek(50_000_000)
        stream.write(bytes([byte[0] ^ 0x01]))
    (result,) = verify(make_settings(models_dir=models))     # the models folder wins
    assert result.path == copy and not result.ok
    assert "DAMAGED" in result.describe() and "Copy the file again" in result.describe()
    default = find_manifest("smollm2-135m-instruct", manifests)
    assert verify_file(default, bundled_gguf(DEFAULT_GGUF)).ok


def test_presence_in_the_kits_ollama_store_and_on_a_server(tmp_path, make_settings, manifests):
    store = tmp_path / "models" / "ollama" / "manifests" / "registry.ollama.ai" / "library"
    (store / "qwen2.5").mkdir(parents=True)
    (store / "qwen2.5" / "0.5b").write_text("{}")
    settings = make_settings(models_dir=tmp_path / "models")
    assert ollama_store_has("qwen2.5:0.5b", settings.models_folder)
    assert not ollama_store_has("qwen2.5:1.5b", settings.models_folder)
    present = {s.manifest.id for s in model_statuses(settings, {"gemma3:1b"}, manifests) if s.present}
    assert present == {"qwen2.5-0.5b", "gemma3-1b", "smollm2-135m-instruct"}


def test_ram_fit_reads_this_machine(manifests):
    total, available = memory_info()
    assert total and total > 0 and (available is None or 0 < available <= total)
    small = find_manifest("smollm2-135m-instruct", manifests)
    assert ram_fit(small, 2 * 1024 ** 3, 2 * 1024 ** 3) == "fits"
    assert ram_fit(small, 2 * 1024 ** 3, 100 * 1024 ** 2) == "tight"
    assert ram_fit(find_manifest("llama3.2-1b", manifests), 2 * 1024 ** 3, None) == "too big"
    assert ram_fit(small, None, None) == "unknown"


def test_models_table_and_doctor_say_what_would_be_used(make_settings, tmp_path, manifests):
    settings = make_settings(ollama_host="127.0.0.1:9", ollama_port=11439,
                             ollama_bin=str(tmp_path / "no-ollama"))
    table = format_models_table(model_statuses(settings, manifests=manifests))
    assert "smollm2-135m-instruct" in table and "GGUF" in table and "Gemma Terms" in table
    report = doctor_report(settings)
    assert "tutor:     embedded engine, model SmolLM2-135M-Instruct.Q4_1.gguf" in report
    assert "Ollama is not answering at http://127.0.0.1:9" in report
    assert "RAM:" in report and "GiB total" in report
    assert "an `ollama` program" in report


def test_parse_manifest_reports_a_missing_licence_file(tmp_path):
    text = (manifests_dir() / "gemma3-1b.toml").read_text()
    (tmp_path / "gemma.toml").write_text(text)
    with pytest.raises(ManifestError, match="gemma.toml: field 'licence_file'"):
        parse_manifest(tmp_path / "gemma.toml")
