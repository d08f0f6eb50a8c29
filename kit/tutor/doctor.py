"""Text for `kit doctor` and `kit models`: what the tutor would use, why, and what is missing.

Plain functions returning strings so the CLI prints them and tests read them; nothing here
starts a server (`choose_engine(start_ollama=False)` only says what it would start).
"""
from __future__ import annotations

from kit.tutor.engines import EmbeddedEngine, EngineError, OllamaEngine, choose_engine
from kit.tutor.engines.cpu_variants import describe
from kit.tutor.engines.ollama_launcher import find_ollama_executable
from kit.tutor.manifests import GIB, ModelStatus, find_manifest, load_manifests, memory_info, model_statuses


def _gib(value: int | None) -> str:
    return "unknown" if value is None else f"{value / GIB:.1f} GiB"


def format_models_table(statuses: list[ModelStatus]) -> str:
    """One line per model: id, tier, RAM fit, where it is present, licence (`kit models`)."""
    lines = [f"{'model':24} {'tier':5} {'RAM':8} {'present':22} {'writes':12} licence"]
    for status in statuses:
        m = status.manifest
        where = [name for name, here in (("GGUF", status.gguf_path), ("Ollama", status.in_ollama))
                 if here]
        lines.append(f"{m.id:24} {m.tier:5} {status.fit:8} {', '.join(where) or '-':22} "
                     f"{','.join(m.languages) or 'en?':12} {m.licence}")
    return "\n".join(lines)


def doctor_report(settings) -> str:
    manifests, manifest_errors = load_manifests(models_folder=settings.models_folder)
    engine, reason = choose_engine(settings, start_ollama=False, manifests=manifests)
    ok, _ = engine.available()
    tags: set[str] = set()
    if isinstance(engine, OllamaEngine) and ok:
        try:
            tags = set(engine.models())
        except EngineError:
            pass
    statuses = model_statuses(settings, tags, manifests)
    total, available = memory_info()
    lines = [
        "Lantern doctor",
        f"  settings:  engine={settings.engine}  model={settings.model}",
        f"  tutor:     {engine.name} engine, model {engine.model}"
        + ("" if ok else "  (CANNOT ANSWER YET)"),
        f"  writes:    {', '.join(engine.languages) or 'English (its manifest lists no language)'}"
        " — in other languages learners get the material's lines without the model's words",
        f"  why:       {reason}",
        f"  RAM:       {_gib(total)} total, {_gib(available)} available",
        f"  models:    {settings.models_folder}",
        "",
        format_models_table(statuses),
        "",
    ]
    if isinstance(engine, EmbeddedEngine) and engine.model_path and engine.model_path.is_file():
        lines += cpu_report(engine) + [""]
    if settings.model_hosts:
        lines += hosts_report(settings) + [""]
    missing = _missing(settings, manifests, manifest_errors, statuses, ok)
    lines += ["Missing:"] + [f"  - {item}" for item in missing] if missing else ["Nothing missing."]
    return "\n".join(lines)


def hosts_report(settings) -> list[str]:
    """Each model host the teacher gave (LANTERN_MODEL_HOSTS), asked now: what it speaks, its
    model and slots, or why the kit cannot use it."""
    from kit.tutor.model_hosts import connect_host
    lines = ["Model hosts (this computer answers too):"]
    for url in settings.model_hosts:
        try:
            engine, kind, slots = connect_host(url, settings, settings.model)
        except EngineError as error:
            lines.append(f"  {url}: cannot be used now: {error}")
            continue
        lines.append(f"  {url}: up — {kind} API, model {engine.model}, {slots} answer(s) at once")
        engine.close()
    return lines


def cpu_report(engine: EmbeddedEngine) -> list[str]:
    """Which of llama.cpp's CPU variants answers here and why (probing now if this CPU and
    engine build were never probed: a few seconds, in child processes)."""
    pool = engine.pool()
    try:
        choice = pool.variant()
    except OSError as error:
        return [f"Embedded engine CPU: the probe could not run ({error})"]
    where = pool.memory.path
    return (["Embedded engine CPU (llama.cpp's kernels, chosen by a probe, remembered in "
             f"{where}):"] + [f"  {line}" for line in describe(choice, pool.lib_folder)])


def _missing(settings, manifests, manifest_errors, statuses, engine_ok) -> list[str]:
    items = [f"model manifest {error}" for error in manifest_errors]
    wanted = find_manifest(settings.model, manifests)
    if wanted is None and not settings.model.endswith(".gguf"):
        items.append(f"no manifest describes '{settings.model}' (see model_manifests/); it can "
                     "still be used through Ollama under that tag")
    elif wanted is not None:
        status = next(s for s in statuses if s.manifest is wanted)
        if not status.present:
            # `ollama pull` asks a server to download: to fill the stick's store, ask the
            # kit's own server (it stores into <models>/ollama).
            items.append(f"{wanted.id} is not present: "
                         + (f"run `ollama pull {wanted.ollama_tag}` (onto the stick, while the "
                            f"kit's Ollama runs: `OLLAMA_HOST=127.0.0.1:{settings.ollama_port} "
                            f"ollama pull {wanted.ollama_tag}`)"
                            if wanted.ollama_tag
                            else f"copy {wanted.gguf_file} into {settings.models_folder}"))
        if status.fit == "too big":
            items.append(f"{wanted.id} needs {wanted.min_ram_gb:g} GB of RAM; this machine has less")
    if not engine_ok:
        items.append("the chosen engine cannot answer yet (see 'why' above)")
    if find_ollama_executable(settings) is None:
        items.append("optional: an `ollama` program (in an ollama/ folder beside the kit, or on "
                     "PATH) for models bigger than the built-in SmolLM2")
    return items
