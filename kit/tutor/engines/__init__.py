"""The tutor's engines, listed in one place, and the rule that picks one.

Each engine is one small class (`kit/tutor/engines/<name>.py`) with the same interface:
`available() -> (ok, reason)`, `models() -> [names]`, `chat(messages, options) -> ChatStream`,
and a `from_settings(settings, manifest, start) -> (engine, ok, reason)` constructor.
Adding an engine means adding its class to ENGINES, not another branch in the app.

`choose_engine` always returns an engine plus a sentence saying why (it raises only for an
engine name it does not know), so the app can still start — search keeps working — and show
the reason when a learner asks.
"""
from __future__ import annotations

from kit.tutor.engines.base import ChatStream, Engine, EngineError
from kit.tutor.engines.embedded import EmbeddedEngine
from kit.tutor.engines.ollama import OllamaEngine
from kit.tutor.engines.ollama_launcher import stop_kit_ollama
from kit.settings import DEFAULT_MODEL, ENGINE_NAMES
from kit.tutor.manifests import ModelManifest, best_embedded_model, find_manifest, load_manifests

ENGINES: dict[str, type[Engine]] = {
    "ollama": OllamaEngine,
    "embedded": EmbeddedEngine,
}
# "auto" tries these in order and keeps the first usable one; the last is the fallback.
AUTO_ORDER = ENGINE_NAMES

__all__ = ["ChatStream", "Engine", "EngineError", "ENGINES", "choose_engine", "stop_kit_ollama",
           "EmbeddedEngine", "OllamaEngine"]


def choose_engine(settings, *, start_ollama: bool = True,
                  manifests: list[ModelManifest] | None = None) -> tuple[Engine, str]:
    """(engine, reason) for `settings.engine` and `settings.model`.

    The default model means "the best model present that fits this machine's RAM" (a model
    added with `kit models add`, when one fits); a model the teacher names is used as named.
    auto: Ollama when a server answers (or the kit can start its own from the stick) and it has
    the model; otherwise the embedded llama.cpp engine. `start_ollama=False` only reports what
    would be started (for `kit doctor`). An explicit choice is returned even when it cannot
    answer yet; its `available()` and the reason say why.
    """
    if manifests is None:
        manifests, _ = load_manifests(models_folder=settings.models_folder)
    manifest = find_manifest(settings.model, manifests)
    if settings.model == DEFAULT_MODEL:       # not chosen by the teacher: the best that fits here
        manifest = best_embedded_model(manifests, settings.models_folder) or manifest
    if settings.engine != "auto" and settings.engine not in ENGINES:
        raise EngineError(f"engine {settings.engine!r} is unknown: use auto, "
                          + ", ".join(ENGINES) + " (LANTERN_ENGINE).")
    names = AUTO_ORDER if settings.engine == "auto" else (settings.engine,)
    reasons = []
    for name in names:
        engine, ok, reason = ENGINES[name].from_settings(settings, manifest, start=start_ollama)
        # the languages its words may be shown in (kit/tutor/voice.py); none listed: English
        engine.languages = manifest.languages if manifest and engine.model in manifest.names() else ()
        reasons.append(f"{name}: {reason}")
        if ok or name == names[-1]:
            verdict = "using" if ok else "cannot answer yet with"
            return engine, f"{verdict} {name} ({engine.model}) — " + "; ".join(reasons)
    raise AssertionError("unreachable: the loop returns on its last engine")
