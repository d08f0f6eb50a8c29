"""All of Lantern's settings in one place: defaults, `LANTERN_*` environment variables, CLI flags.

Each setting is declared once below with its default, its environment variable and a parser
that rejects bad values with a message naming the variable and what to do.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kit import paths


PAGE_THREADS = 8   # waitress threads always kept for pages and search, never for waiting questions
THREADS_RANGE = (PAGE_THREADS + 1, 256)    # LANTERN_THREADS and `kit serve --threads`
DEFAULT_MODEL = "smollm2-135m-instruct"    # the built-in engine's model: always on the stick
# "Think first", both halves, declared here once: the environment's check, the class settings'
# check (classroom/rules.py) and the teacher's form all read these.
THINK_FIRST_MIN_RANGE = (0, 1000)     # characters about what they tried, before Hint and Debug
THINK_FIRST_MINUTES_RANGE = (0, 120)  # minutes on a step before the tutor opens (0 = off)


class SettingsError(ValueError):
    """A setting has a value Lantern cannot use; the message says which and what to do."""


def project_root() -> Path:
    """The folder holding `kit/`, `content/` and `model_manifests/` (the unpack folder when
    frozen). The stick's own folders are found by kit/paths.py."""
    return paths.resources_root()


def bundled_content_dir() -> Path:
    return project_root() / "content"


def default_data_dir() -> Path:
    """`data/` on the stick (or beside the checkout) when writable, else a per-user folder;
    kit.paths.data_dir_notice() says why for the teacher view."""
    return paths.default_data_dir()


def _default_ollama_bin() -> str:
    """The `ollama` program the stick carries for this OS (`ollama/<os>/`), if any."""
    program = paths.ollama_program()
    return str(program) if program else ""


@dataclass(frozen=True)
class Settings:
    content_dirs: tuple[Path, ...] = field(default_factory=lambda: (paths.content_dir(),))
    data_dir: Path = field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8321
    # waitress worker threads. Each question waiting for the model holds one, so the model's
    # queue admits at most `threads - PAGE_THREADS` waiting questions: pages always get the rest.
    threads: int = 24
    # Generations at once on the model (1 on a 2-core laptop); more queue fairly behind them.
    model_slots: int = 1
    max_file_mb: int = 20
    max_request_kb: int = 256
    # Rendered document pages kept in memory as bytes (kit/web/page_cache.py), plain and gzip.
    page_cache_mb: int = 64
    # "Think first": characters a learner writes about what they tried before Hint/Debug.
    think_first_min: int = 20
    # "Think first" in time: minutes a learner spends on a step before the tutor opens there
    # (0 = off). The class's starting value; the teacher changes it in the teacher view.
    think_first_minutes: int = 0
    # The tutor's engine: "auto" (Ollama when it runs and has the model, else embedded),
    # "ollama" or "embedded". See kit/tutor/engines/__init__.py for how "auto" decides.
    engine: str = "auto"
    # A model id from model_manifests/, an Ollama tag ("qwen2.5:0.5b") or a .gguf file name.
    model: str = DEFAULT_MODEL
    # An Ollama server to use first; empty means OLLAMA_HOST, then http://127.0.0.1:11434.
    ollama_host: str = ""
    # The loopback port for an `ollama serve` the kit starts itself; not Ollama's 11434, so
    # it never clashes with an Ollama installed on the machine.
    ollama_port: int = 11435
    # An `ollama` program to start; empty means look in <kit>/ollama/, then PATH. The default is
    # the one on the stick for this OS (<stick>/ollama/<os>/), when there is one.
    ollama_bin: str = field(default_factory=_default_ollama_bin)
    # Seconds to wait for Ollama's first (and each next) word; CPUs loading a model are slow.
    ollama_timeout_s: int = 120
    # Other computers answering the class's questions (kit/tutor/model_hosts.py): URLs of
    # servers speaking Ollama's API or the OpenAI-compatible one (llama-server,
    # `python -m llama_cpp.server`). Only URLs the teacher typed; the kit never scans.
    model_hosts: tuple[str, ...] = ()
    # A host that sends nothing for this long (before its first word or in the middle of an
    # answer) is taken out and its question goes to another helper.
    model_host_timeout_s: int = 30
    # GGUF files and Ollama's store (<models>/ollama); None means <root>/models when that
    # folder exists (a stick), else <data>/models. Read it through `models_folder`.
    models_dir: Path | None = None
    # A program the model worker runs under, e.g. "nice -n 10" (pages stay quick while the
    # model works) or "qemu-x86_64 -cpu Nehalem" (see how the tutor does on a 2008 CPU).
    worker_prefix: str = ""
    # Force one of llama.cpp's CPU variants (e.g. "sse42"); empty: the probe picks (kit doctor).
    cpu_variant: str = ""
    # Seconds the model worker (or a CPU probe) may take to load the model.
    engine_start_timeout_s: int = 120
    # Where the embedded engine remembers which CPU variant runs here; None means <data>/engine.
    engine_dir: Path | None = None
    # The wheelhouse learners' pip installs from (/simple/); None means <root>/wheels when that
    # folder exists (a stick), else <data>/wheels (`kit wheels add`). Read it through
    # `wheelhouse_folder`.
    wheels_dir: Path | None = None

    @property
    def class_defaults(self) -> dict:
        """The class settings a new class starts from (the teacher changes them later)."""
        return {"think_first_min": self.think_first_min, "think_first_minutes": self.think_first_minutes}

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index.sqlite"

    @property
    def imported_packs_dir(self) -> Path:
        """Where `kit import` copies packs; always searched for packs too."""
        return self.data_dir / "packs"

    @property
    def pack_dirs(self) -> tuple[Path, ...]:
        return (*self.content_dirs, self.imported_packs_dir)

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def models_folder(self) -> Path:
        """Where GGUF files and Ollama's `blobs/` + `manifests/` (under `ollama/`) live."""
        if self.models_dir is not None:
            return self.models_dir
        return paths.models_dir() or self.data_dir / "models"

    @property
    def wheelhouse_folder(self) -> Path:
        """Wheels and wheelhouse.json (kit/wheels/wheelhouse.py)."""
        if self.wheels_dir is not None:
            return self.wheels_dir
        return paths.wheels_dir() or self.data_dir / "wheels"

    @property
    def installers_folder(self) -> Path:
        """Installers for learners (Python, an editor) beside the wheelhouse (kit/wheels/installers.py)."""
        return self.wheelhouse_folder.parent / "installers"

    @property
    def fast_models_folder(self) -> Path:
        """Faster copies the embedded engine makes of slow-to-read GGUFs (kit/tutor/engines/fast_gguf.py)."""
        return self.data_dir / "fast-models"

    @property
    def engine_state_folder(self) -> Path:
        """Where the embedded engine remembers which CPU variant runs here (kit/tutor/engines/cpu_variants.py)."""
        return self.engine_dir or self.data_dir / "engine"

    @property
    def ollama_home_dir(self) -> Path:
        """HOME for an `ollama serve` the kit starts: it writes ~/.ollama/id_ed25519 there."""
        return self.data_dir / "ollama-home"


def _positive_int(name: str, raw: str, low: int = 1, high: int = 1 << 31) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number: give one from {low} to {high}.")
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is out of range: give one from {low} to {high}.")
    return value


def _existing_dirs(name: str, raw: str) -> tuple[Path, ...]:
    dirs = tuple(Path(part).expanduser() for part in raw.split(os.pathsep) if part)
    for folder in dirs:
        if not folder.is_dir():
            raise SettingsError(f"{name}: {folder} is not a folder. Create it or fix the path.")
    return dirs


# The engine kinds (kit/tutor/engines/), in the order "auto" tries them: the last is the fallback.
ENGINE_NAMES = ("ollama", "embedded")
ENGINE_CHOICES = ("auto", *ENGINE_NAMES)


def _engine_name(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ENGINE_CHOICES:
        raise SettingsError(f"{name}={raw!r} is not an engine: use one of {', '.join(ENGINE_CHOICES)}.")
    return value


def _ollama_host(name: str, raw: str) -> str:
    """host, host:port or http(s)://host:port — no paths, no spaces."""
    value = raw.strip()
    bare = value.split("://", 1)[-1]
    if not bare or " " in bare or "/" in bare.rstrip("/"):
        raise SettingsError(f"{name}={raw!r} is not an Ollama address: "
                            "give host:port, e.g. 127.0.0.1:11434 or http://127.0.0.1:11434.")
    return value


def model_hosts(name: str, raw: str) -> tuple[str, ...]:
    """URLs separated by commas or spaces, each http(s)://host[:port] (a trailing /v1 or / is
    dropped): the base every API path of the host is under."""
    from urllib.parse import urlsplit
    hosts = []
    for value in raw.replace(",", " ").split():
        parts = urlsplit(value)
        try:
            parts = parts if parts.port is None or parts.port > 0 else None
        except ValueError:          # a port that is not a number, or above 65535
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
                or parts.query or parts.fragment or parts.path.rstrip("/") not in ("", "/v1"):
            raise SettingsError(f"{name}: {value!r} is not a model host: give its address as "
                                "http://HOST:PORT, e.g. http://192.168.1.30:11434 (Ollama) or "
                                "http://192.168.1.30:8000 (llama-server, llama_cpp.server).")
        base = f"{parts.scheme}://{parts.netloc}"
        if base not in hosts:
            hosts.append(base)
    return tuple(hosts)


def _model_name(name: str, raw: str) -> str:
    value = raw.strip()
    if not value or any(ch.isspace() for ch in value):
        raise SettingsError(f"{name}={raw!r} is not a model name: give a manifest id "
                            "(see `kit models`), an Ollama tag like qwen2.5:0.5b or a .gguf file.")
    return value


def _variant_name(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value and not value.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise SettingsError(f"{name}={raw!r} is not a CPU variant name: give one `kit doctor` "
                            "lists (e.g. sse42, haswell), or leave it empty.")
    return value


# name of the Settings field -> (environment variable, parser)
_PARSERS = {
    "content_dirs": ("LANTERN_CONTENT", _existing_dirs),
    "data_dir": ("LANTERN_DATA", lambda name, raw: Path(raw).expanduser()),
    "host": ("LANTERN_HOST", lambda name, raw: raw),
    "port": ("LANTERN_PORT", lambda name, raw: _positive_int(name, raw, 1, 65535)),
    "threads": ("LANTERN_THREADS", lambda name, raw: _positive_int(name, raw, *THREADS_RANGE)),
    "max_file_mb": ("LANTERN_MAX_FILE_MB", lambda name, raw: _positive_int(name, raw, 1, 4096)),
    "max_request_kb": ("LANTERN_MAX_REQUEST_KB", lambda name, raw: _positive_int(name, raw, 1, 65536)),
    "page_cache_mb": ("LANTERN_PAGE_CACHE_MB", lambda name, raw: _positive_int(name, raw, 1, 4096)),
    "model_slots": ("LANTERN_MODEL_SLOTS", lambda name, raw: _positive_int(name, raw, 1, 16)),
    "think_first_min": ("LANTERN_THINK_FIRST_MIN",
                        lambda name, raw: _positive_int(name, raw, *THINK_FIRST_MIN_RANGE)),
    "think_first_minutes": ("LANTERN_THINK_FIRST_MINUTES",
                            lambda name, raw: _positive_int(name, raw, *THINK_FIRST_MINUTES_RANGE)),
    "engine": ("LANTERN_ENGINE", _engine_name),
    "model": ("LANTERN_MODEL", _model_name),
    "ollama_host": ("LANTERN_OLLAMA_HOST", _ollama_host),
    "ollama_port": ("LANTERN_OLLAMA_PORT", lambda name, raw: _positive_int(name, raw, 1024, 65535)),
    "ollama_bin": ("LANTERN_OLLAMA_BIN", lambda name, raw: raw.strip()),
    "ollama_timeout_s": ("LANTERN_OLLAMA_TIMEOUT", lambda name, raw: _positive_int(name, raw, 1, 3600)),
    "model_hosts": ("LANTERN_MODEL_HOSTS", model_hosts),
    "model_host_timeout_s": ("LANTERN_MODEL_HOST_TIMEOUT", lambda name, raw: _positive_int(name, raw, 1, 3600)),
    "models_dir": ("LANTERN_MODELS", lambda name, raw: Path(raw).expanduser()),
    "worker_prefix": ("LANTERN_WORKER_PREFIX", lambda name, raw: raw.strip()),
    "cpu_variant": ("LANTERN_CPU_VARIANT", _variant_name),
    "engine_dir": ("LANTERN_ENGINE_DIR", lambda name, raw: Path(raw).expanduser()),
    "wheels_dir": ("LANTERN_WHEELS", lambda name, raw: Path(raw).expanduser()),
    "engine_start_timeout_s": ("LANTERN_ENGINE_START_TIMEOUT",
                               lambda name, raw: _positive_int(name, raw, 1, 3600)),
}


def load_settings(environ: dict[str, str] | None = None, **overrides) -> Settings:
    """Defaults, then environment variables, then explicit overrides (CLI flags, tests)."""
    environ = os.environ if environ is None else environ
    values = {}
    for field_name, (variable, parse) in _PARSERS.items():
        if environ.get(variable):
            values[field_name] = parse(variable, environ[variable])
    for field_name, value in overrides.items():
        if field_name not in _PARSERS:
            raise SettingsError(f"unknown setting {field_name!r}")
        if value is not None:
            values[field_name] = value
    return Settings(**values)   # defaults (which probe the disk) only for what is not given
