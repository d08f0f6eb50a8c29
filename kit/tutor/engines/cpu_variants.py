"""Which build of llama.cpp's CPU kernels runs on this computer: proven by a probe, remembered.

The portable engine (build/engine_wheel.py) carries one CPU library per instruction-set level
(`libggml-cpu-sse42.so` … `libggml-cpu-icelake.so`). CPUID is not proof: a VM can report AMX
and fault on it, an OS can lack AVX-512 support. So a variant is used only after a probe — a
child process that loads it and evaluates a few tokens — came back alive; an illegal
instruction there costs one child. The probe tries the strongest variant CPUID allows first;
when a child dies, that variant is marked failed and the next safer one is tried.

The verdict is kept in `<data>/engine/cpu-variant.json`, keyed by the CPU (its model name
and flags) and the engine build (its library files): a new CPU or a new build probes again.
A worker that later dies of an illegal instruction marks its variant failed the same way.
"""
from __future__ import annotations

import hashlib
import json
import platform
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata, util
from pathlib import Path

from kit.durable import replace_durably

# Weakest first, as upstream lists them (vendor/llama.cpp/ggml/src/CMakeLists.txt); the rank
# breaks ties between variants CPUID scores alike.
VARIANT_ORDER = {name: rank for rank, name in enumerate((
    "x64", "sse42", "sandybridge", "ivybridge", "piledriver", "haswell", "skylakex",
    "cannonlake", "cascadelake", "icelake", "cooperlake", "zen4", "alderlake", "sapphirerapids"))}
# What each x86 variant needs, in /proc/cpuinfo's words (for `kit doctor`; the probe decides).
VARIANT_NEEDS = {
    "x64": (), "sse42": ("sse4_2",), "sandybridge": ("sse4_2", "avx"),
    "haswell": ("sse4_2", "avx", "f16c", "fma", "avx2", "bmi2"),
    "skylakex": ("sse4_2", "avx", "f16c", "fma", "avx2", "bmi2", "avx512f", "avx512cd",
                 "avx512vl", "avx512dq", "avx512bw"),
    "icelake": ("sse4_2", "avx", "f16c", "fma", "avx2", "bmi2", "avx512f", "avx512cd",
                "avx512vl", "avx512dq", "avx512bw", "avx512vbmi", "avx512_vnni"),
}
SHOWN_FLAGS = ("sse4_2", "avx", "f16c", "fma", "avx2", "bmi2", "avx512f", "avx512vbmi",
               "avx512_vnni", "amx_tile")
BUILT_IN = "built-in"    # a llama.cpp without variant libraries (e.g. a -march=native build)
_VARIANT_FILE = re.compile(r"^(?:lib)?ggml-cpu-(.+?)\.(?:so|dll|dylib)$")
MEMORY_NAME = "cpu-variant.json"
ILLEGAL_INSTRUCTION = {-int(getattr(signal, "SIGILL", 4)), 0xC000001D}   # POSIX, Windows status


def variant_files(lib_folder: Path) -> dict[str, Path]:
    """name -> library file of each CPU variant in llama_cpp/lib (empty for a one-CPU build)."""
    found = {}
    if lib_folder.is_dir():
        for path in lib_folder.iterdir():
            match = _VARIANT_FILE.match(path.name)
            if match:
                found[match.group(1)] = path
    return found


def llama_lib_folder() -> Path | None:
    """llama_cpp/lib, found without importing llama_cpp (that would load llama.cpp into the
    kit's own process, which must never run its kernels)."""
    if getattr(sys, "frozen", False):
        folder = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "llama_cpp" / "lib"
        return folder if folder.is_dir() else None
    spec = util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "lib"


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux reports them (empty elsewhere: then the probe alone decides)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith(("flags", "Features"))), "")
    return set(line.partition(":")[2].split())


def cpu_signature() -> str:
    """What identifies 'this CPU' for the remembered choice: model name and flags."""
    model = ""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        model = next((ln.partition(":")[2].strip() for ln in text.splitlines()
                      if ln.startswith("model name")), "")
    except OSError:
        pass
    text = "|".join((platform.machine(), platform.processor(), model, *sorted(cpu_flags())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_signature(lib_folder: Path | None) -> str:
    """What identifies the engine build: the version and every library file's size and time."""
    parts = []
    try:
        parts.append(metadata.version("llama_cpp_python"))
    except metadata.PackageNotFoundError:
        parts.append("frozen")
    if lib_folder and lib_folder.is_dir():
        for path in sorted(lib_folder.iterdir()):
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code in ILLEGAL_INSTRUCTION:
        return "illegal instruction (SIGILL): this CPU cannot run that code"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


@dataclass
class VariantChoice:
    """The remembered verdict for one CPU and one engine build."""
    cpu: str
    build: str
    chosen: str | None = None
    failed: dict[str, str] = field(default_factory=dict)      # variant -> why
    scores: dict[str, int] = field(default_factory=dict)      # CPUID's score per variant (0: no)
    probe_ms: float | None = None
    exhausted: str = ""       # why no variant at all runs here (every one failed), if so
    when: str = ""

    @property
    def usable(self) -> bool:
        return self.chosen is not None


class VariantMemory:
    """`<data>/engine/cpu-variant.json`: read, written atomically, valid for one CPU + build."""

    def __init__(self, folder: Path, lib_folder: Path | None):
        self.path = Path(folder) / MEMORY_NAME
        self.lib_folder = lib_folder
        self.cpu = cpu_signature()
        self.build = build_signature(lib_folder)

    def load(self) -> VariantChoice:
        """The remembered choice, or a fresh one when the CPU or build changed (or none yet)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("cpu") == self.cpu and data.get("build") == self.build:
                return VariantChoice(**{k: data[k] for k in VariantChoice.__dataclass_fields__ if k in data})
        except (OSError, ValueError, TypeError):
            pass
        return VariantChoice(self.cpu, self.build)

    def save(self, choice: VariantChoice) -> None:
        choice.when = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_durably(self.path, json.dumps(choice.__dict__, indent=1).encode())
        except OSError:
            pass     # a read-only stick: the choice is probed again next start, nothing breaks


def choose_variant(memory: VariantMemory, run_probe, forced: str = "") -> VariantChoice:
    """The variant to run, from memory or by probing: `run_probe(excluded, forced)` runs one
    child and returns (events, exit code); a child that dies marks the variant it was trying
    as failed, and the next safer one is probed. `forced` (LANTERN_CPU_VARIANT) is probed alone."""
    choice = memory.load()
    if choice.usable and not forced:
        return choice
    if forced:
        choice = VariantChoice(memory.cpu, memory.build)
    choice.chosen, choice.exhausted = None, ""
    for _ in range(len(VARIANT_ORDER) + 2):
        started = time.perf_counter()
        events, code = run_probe(sorted(choice.failed), forced)
        trying = next((e["trying"] for e in events if "trying" in e), None)
        choice.scores = next((e["scores"] for e in events if "scores" in e), choice.scores)
        ok = next((e["ok"] for e in events if "ok" in e), None)
        if ok and code == 0:
            choice.chosen, choice.probe_ms = ok, round((time.perf_counter() - started) * 1000, 1)
            break
        if trying is None:          # nothing left to try (or the child could not start)
            choice.exhausted = next((e.get("error") for e in events if e.get("error")),
                                    describe_exit(code))
            break
        error = next((e.get("error") for e in events if e.get("error")), None)
        choice.failed[trying] = f"probe died: {describe_exit(code)}" if code and code != 2 \
            else f"probe failed: {error or describe_exit(code)}"
        if forced:
            choice.exhausted = choice.failed[trying]
            break
    if not forced:
        memory.save(choice)
    return choice


def mark_failed(memory: VariantMemory, variant: str, why: str) -> VariantChoice:
    """A worker running `variant` died of an illegal instruction: never use it again here."""
    choice = memory.load()
    choice.failed[variant] = why
    if choice.chosen == variant:
        choice.chosen = None
    memory.save(choice)
    return choice


def describe(choice: VariantChoice, lib_folder: Path | None) -> list[str]:
    """Lines for `kit doctor`: features seen, each variant's verdict, the one that answers."""
    flags = cpu_flags()
    lines = ["CPU features: " + (" ".join(f for f in SHOWN_FLAGS if f in flags) or "unknown here")
             + ("  (missing: " + " ".join(f for f in SHOWN_FLAGS if f not in flags) + ")" if flags else "")]
    files = variant_files(lib_folder) if lib_folder else {}
    if not files:
        lines.append("engine build: one CPU only (no variant libraries): if it was built with "
                     "-march=native it may crash here; build/engine_wheel.py makes a portable one")
    for name in sorted(files, key=lambda n: VARIANT_ORDER.get(n, -1), reverse=True):
        if name == choice.chosen:
            verdict = f"ANSWERS (probe passed in {choice.probe_ms} ms)" if choice.probe_ms \
                else "ANSWERS"
        elif name in choice.failed:
            verdict = f"failed: {choice.failed[name]}"
        elif choice.scores and not choice.scores.get(name):
            verdict = "skipped: CPUID says this CPU lacks " + (
                " ".join(f for f in VARIANT_NEEDS.get(name, ()) if flags and f not in flags)
                or "a feature it needs")
        else:
            verdict = "not needed (a stronger variant passed)" if choice.usable else "not probed"
        lines.append(f"  {name:12} {verdict}")
    if not files and choice.chosen:
        lines.append(f"  {BUILT_IN:12} ANSWERS")
    if not choice.usable:
        lines.append("  no variant passed its probe: the tutor cannot answer on this computer")
    return lines
