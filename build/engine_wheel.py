"""Build (once) and install a portable llama-cpp-python: kernels chosen at run time, not build time.

Why: `pip install llama-cpp-python` compiles llama.cpp for the build machine's own CPU (GGML_NATIVE), so the build
machine's CPU is baked in. A kit built on a new laptop then dies with an illegal instruction on
a classroom's old one, and a VM that reports AMX but faults on it dies on its first question.
This script builds llama.cpp with `GGML_NATIVE=OFF`, `GGML_BACKEND_DL=ON` and a set of CPU
variants (one shared library per instruction-set level) that the kit probes and loads itself
(kit/engines/cpu_variants.py). The variants sit beside `libggml.so` in `llama_cpp/lib/`.

Only the x86-64 variants classrooms need are compiled (upstream builds 14; most differ in
AVX-512 sub-features a 135M model gains nothing from): that halves the build. The AMX variant
(`sapphirerapids`) is left out on purpose: it is the one that faults in VMs (ggml-org/llama.cpp#28756).

The wheel is cached under ~/.cache/lantern/engine/<key>/ (the key covers version, flags and
variants), so a second `make test` on the same machine installs in seconds. pip's own wheel
cache is not used: its key ignores CMAKE_ARGS, so it could hand back a build for one CPU.

Downloads happen here only (the sdist, from the configured package index): never at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pinned_version() -> str:
    """The version pyproject.toml pins (`llama-cpp-python==X`): the one owner of that fact."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for requirement in project["project"]["dependencies"]:
        name, _, version = requirement.partition("==")
        if name.strip().lower() == "llama-cpp-python":
            return version.split(";")[0].split("#")[0].strip()
    raise SystemExit("pyproject.toml: pin llama-cpp-python with == (the engine build needs one version)")


VERSION = pinned_version()
SDIST = f"llama_cpp_python-{VERSION}.tar.gz"
# sha256 of each source archive this script has been checked with; a new pin needs its line.
SDIST_SHA256 = {
    "0.3.36": "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e",
}

# x86-64 variants kept, weakest first; names and feature sets are upstream's
# (vendor/llama.cpp/ggml/src/CMakeLists.txt, GGML_CPU_ALL_VARIANTS).
X86_VARIANTS = ("x64", "sse42", "sandybridge", "haswell", "skylakex", "icelake")
CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF",
    "-DGGML_BACKEND_DL=ON",
    "-DGGML_CPU_ALL_VARIANTS=ON",
    "-DCMAKE_INSTALL_BINDIR=llama_cpp/lib",  # variants beside libggml.so, not site-packages/bin
    "-DLLAVA_BUILD=OFF",  # the kit has no use for the multimodal library
)
VARIANT_LIST = "vendor/llama.cpp/ggml/src/CMakeLists.txt"


def cache_key() -> str:
    text = "|".join((VERSION, platform.machine(), *CMAKE_ARGS, *X86_VARIANTS))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lantern" / "engine" / f"llama-cpp-python-{VERSION}-{cache_key()}"


def keep_only_variants(cmake_file: Path, keep: tuple[str, ...]) -> None:
    """Comment out the x86 variants not in `keep`; fail loudly if upstream's list changed."""
    lines = cmake_file.read_text(encoding="utf-8").splitlines(keepends=True)
    seen: set[str] = set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("ggml_add_cpu_backend_variant("):
            continue
        name = stripped[len("ggml_add_cpu_backend_variant("):].split()[0].rstrip(")")
        if name in {"x64", "sse42", "sandybridge", "ivybridge", "piledriver", "haswell",
                    "skylakex", "cannonlake", "cascadelake", "icelake", "cooperlake", "zen4",
                    "alderlake", "sapphirerapids"}:
            seen.add(name)
            if name not in keep:
                lines[i] = "#" + line
    missing = set(keep) - seen
    if missing:
        raise SystemExit(f"{cmake_file}: upstream no longer defines CPU variants {sorted(missing)}; "
                         "update X86_VARIANTS in build/engine_wheel.py")
    cmake_file.write_text("".join(lines), encoding="utf-8")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_wheel(out: Path, pip: list[str]) -> Path:
    with tempfile.TemporaryDirectory(prefix="lantern-engine-") as tmp:
        work = Path(tmp)
        print(f"engine: downloading the llama-cpp-python {VERSION} source (build time only)", flush=True)
        subprocess.run([*pip, "download", "-q", "--no-deps", "--no-binary", ":all:",
                        f"llama-cpp-python=={VERSION}", "-d", str(work)], check=True)
        sdist = work / SDIST
        digest = sha256_of(sdist)
        if digest != SDIST_SHA256.get(VERSION):
            raise SystemExit(f"{sdist.name}: sha256 {digest} is not the one recorded in "
                             "build/engine_wheel.py: check the download, then record it there")
        with tarfile.open(sdist) as tar:
            tar.extractall(work, filter="data")
        source = work / SDIST.removesuffix(".tar.gz")
        if platform.machine().lower() in {"x86_64", "amd64"}:
            keep_only_variants(source / VARIANT_LIST, X86_VARIANTS)
        env = dict(os.environ, CMAKE_ARGS=" ".join(CMAKE_ARGS),
                   CMAKE_BUILD_PARALLEL_LEVEL=str(os.cpu_count() or 2))
        print(f"engine: compiling llama.cpp with CPU variants {', '.join(X86_VARIANTS)} "
              f"(about 7 minutes on 2 cores)", flush=True)
        started = time.monotonic()
        out.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".part-", dir=out.parent))
        subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-cache-dir", str(source),
                        "-w", str(partial)], check=True, env=env)
        wheels = list(partial.glob("*.whl"))
        for wheel in wheels:
            os.replace(wheel, out / wheel.name)
        shutil.rmtree(partial, ignore_errors=True)
        print(f"engine: built in {time.monotonic() - started:.0f} s, cached in {out}", flush=True)
        return out / wheels[0].name


def installed_is_portable(python: str) -> bool:
    """Is this version installed with its CPU variant libraries (not a build for one CPU)?"""
    code = ("import importlib.metadata as m, importlib.util as u, pathlib, sys; "
            "s = u.find_spec('llama_cpp'); "
            "lib = pathlib.Path(list(s.submodule_search_locations)[0]) / 'lib' if s else None; "
            f"ok = s and m.version('llama_cpp_python') == {VERSION!r} and "
            "any(lib.glob('libggml-cpu-*')); sys.exit(0 if ok else 1)")
    return subprocess.run([python, "-c", code], capture_output=True).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="pip install the wheel into this Python")
    parser.add_argument("--print-cache", action="store_true", help="print the cache folder and exit")
    args = parser.parse_args()
    out = cache_dir()
    if args.print_cache:
        print(out)
        return 0
    pip = [sys.executable, "-m", "pip"]
    if args.install and installed_is_portable(sys.executable):
        print(f"engine: the portable llama-cpp-python {VERSION} is installed")
        return 0
    wheels = sorted(out.glob("llama_cpp_python-*.whl"))
    wheel = wheels[-1] if wheels else build_wheel(out, pip)
    if args.install:
        subprocess.run([*pip, "install", "-q", "--force-reinstall", "--no-deps", str(wheel)], check=True)
    print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
