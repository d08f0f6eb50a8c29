"""The model worker: llama.cpp in a process of its own, the way Ollama runs its runners.

Why a process: an illegal instruction (a CPU variant this machine cannot run), a segfault or
the out-of-memory killer ends this process only; the kit's pages, search and learners' data
live on in the parent, which tells the learner and starts a new worker
(kit/tutor/engines/worker_client.py).

Run as `python -m kit _engine-worker probe|serve …` (the frozen program takes the same
arguments). It speaks JSON lines: requests on stdin, events on stdout. stdout is kept for the
protocol only: anything llama.cpp or Python prints goes to stderr, which the parent keeps
the end of for its error messages.

- `probe`: pick the strongest CPU variant that cpuid allows and that is not excluded, load it,
  load the model and evaluate a few tokens. It announces `{"trying": name}` before touching
  the variant, so when it dies the parent knows which variant killed it.
- `serve`: load the variant and the model (making the faster Q8_0 copy first, see
  fast_gguf.py), say `ready`, then answer `chat` requests one at a time; `cancel` stops the
  current answer between two tokens; stdin closing (the kit is gone) ends the process at once.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import threading
import time
from pathlib import Path

from kit.tutor.engines.cpu_variants import BUILT_IN, VARIANT_ORDER, variant_files

# Read by llama.cpp's OpenMP when it loads, so set before llama_cpp is imported (see threads()).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_out = None          # the protocol stream (the original stdout)
_out_lock = threading.Lock()


def emit(**event) -> None:
    line = json.dumps(event, ensure_ascii=False) + "\n"
    with _out_lock:
        _out.write(line)
        _out.flush()


def _take_stdout() -> None:
    """Keep the real stdout for the protocol; point file descriptor 1 at stderr so stray
    prints from C code cannot break a JSON line."""
    global _out
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _out = os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)


def threads() -> tuple[int, int]:
    """(threads for generating, threads for reading the prompt). Generating uses one core less
    than the machine has: its threads meet at every token, so when one core is busy (the web
    server, a browser) all-core decoding collapses. Reading the prompt is one big batch and
    uses every core; OpenMP's passive wait policy (set above) makes that safe. Measured on
    2 cores, 430-token prompt: idle 1 thread 3.2 s, 2 threads 1.8 s; one core busy 3.2 vs
    3.0 s; both busy: 4.9 s (spinning) vs 3.0 s (passive)."""
    cores = os.cpu_count() or 1
    return max(1, cores - 1), cores


def _libggml():
    """The libggml that libllama itself uses. The wheel carries the library under several
    names (libggml.so, libggml.so.0, …) as separate files: registering a backend with another
    copy than libllama's leaves llama.cpp with "no backends are loaded"."""
    import llama_cpp.llama_cpp  # noqa: F401 - loads libllama and, through it, its libggml
    lib_folder = Path(llama_cpp.llama_cpp.__file__).parent / "lib"
    names = ["libggml.so.0", "libggml.0.dylib", "ggml.dll", "libggml.so", "libggml.dylib"]
    try:   # Linux: the copy the loader really mapped for libllama
        maps = Path("/proc/self/maps").read_text()
        names[:0] = sorted({line.rsplit("/", 1)[-1] for line in maps.splitlines()
                            if "/libggml." in line or "/libggml.so" in line})
    except OSError:
        pass
    path = next(lib_folder / name for name in names if (lib_folder / name).is_file())
    lib = ctypes.CDLL(str(path), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
    lib.ggml_backend_load.argtypes = [ctypes.c_char_p]
    lib.ggml_backend_load.restype = ctypes.c_void_p
    return lib


def variant_scores(lib_folder: Path) -> dict[str, int]:
    """cpuid's verdict per variant (0: this CPU lacks a feature it needs), as ggml's own loader
    computes it. Only ever used to rule variants out: a yes still has to pass the probe."""
    scores = {}
    for name, path in variant_files(lib_folder).items():
        try:
            library = ctypes.CDLL(str(path))
            score = library.ggml_backend_score
            score.restype = ctypes.c_int
            scores[name] = int(score())
        except (OSError, AttributeError):
            scores[name] = 0
    return scores


def load_variant(lib_folder: Path, name: str) -> None:
    """Register one CPU variant with ggml before any model loads (nothing else loads them)."""
    if name == BUILT_IN:
        return
    path = variant_files(lib_folder)[name]
    if not _libggml().ggml_backend_load(str(path).encode()):
        raise RuntimeError(f"ggml could not load {path.name}")


def open_model(model: Path, n_ctx: int):
    from llama_cpp import Llama
    n_threads, n_batch = threads()
    return Llama(model_path=str(model), n_ctx=n_ctx, n_threads=n_threads,
                 n_threads_batch=n_batch, verbose=False)


def probe(args) -> int:
    import llama_cpp
    lib_folder = Path(llama_cpp.__file__).parent / "lib"
    excluded = set(filter(None, args.exclude.split(",")))
    files = variant_files(lib_folder)
    if files:
        scores = variant_scores(lib_folder)
        order = sorted(files, key=lambda n: (scores.get(n, 0), VARIANT_ORDER.get(n, -1)), reverse=True)
        candidates = [n for n in order if scores.get(n, 0) > 0 and n not in excluded]
        if args.force:
            if args.force not in files:
                emit(trying=args.force)
                emit(error=f"there is no CPU variant named {args.force!r} here (there are: "
                           + ", ".join(sorted(files, key=lambda n: VARIANT_ORDER.get(n, -1))) + ")")
                return 2
            candidates = [args.force]
    else:
        scores, candidates = {}, [] if BUILT_IN in excluded else [BUILT_IN]
    emit(scores=scores)
    if not candidates:
        emit(error="no CPU variant left to try")
        return 3
    name = candidates[0]
    emit(trying=name)
    started = time.perf_counter()
    load_variant(lib_folder, name)
    llama = open_model(Path(args.model), 256)
    llama.create_completion("Hello, tutor! The lesson today is", max_tokens=4, temperature=0.0)
    llama.close()
    emit(ok=name, ms=round((time.perf_counter() - started) * 1000, 1))
    return 0


class _Requests:
    """stdin read on a thread: chat requests queue up; a cancel sets the current answer's flag."""

    def __init__(self):
        self.cond = threading.Condition()
        self.pending: list[dict] = []
        self.cancelled: set[int] = set()
        threading.Thread(target=self._read, name="worker-stdin", daemon=True).start()

    def _read(self):
        for line in sys.stdin:
            try:
                request = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                if request.get("op") == "cancel":
                    self.cancelled.add(request.get("id"))
                else:
                    self.pending.append(request)
                self.cond.notify_all()
        os._exit(0)      # the kit closed the pipe (it stopped or died): stop generating now

    def next(self) -> dict:
        with self.cond:
            while not self.pending:
                self.cond.wait()
            return self.pending.pop(0)

    def is_cancelled(self, request_id) -> bool:
        return request_id in self.cancelled


def serve(args) -> int:
    import llama_cpp
    from kit.tutor.engines.fast_gguf import faster_copy
    lib_folder = Path(llama_cpp.__file__).parent / "lib"
    started = time.perf_counter()
    load_variant(lib_folder, args.variant)
    model = Path(args.model)
    file = faster_copy(model, Path(args.fast_folder)) if args.fast_folder else model
    try:
        llama = open_model(file, args.n_ctx)
    except (ValueError, RuntimeError, OSError):
        if file == model:
            raise
        Path(file).unlink(missing_ok=True)       # a damaged copy: made again next time
        file = model
        llama = open_model(file, args.n_ctx)
    emit(event="ready", variant=args.variant, file=str(file),
         load_ms=round((time.perf_counter() - started) * 1000, 1), pid=os.getpid())
    requests = _Requests()
    while True:
        request = requests.next()
        answer(llama, request, requests)


def answer(llama, request: dict, requests: _Requests) -> None:
    request_id, options = request.get("id"), request.get("options") or {}
    reason, pieces = "cancelled", None
    try:
        pieces = llama.create_chat_completion(
            messages=request["messages"], stream=True,
            temperature=float(options.get("temperature", 0.2)),
            seed=options.get("seed"),
            max_tokens=options.get("max_tokens"),
            stop=options.get("stop") or [],
            repeat_penalty=float(options.get("repeat_penalty", 1.0)),
        )
        for piece in pieces:
            if requests.is_cancelled(request_id):
                reason = "cancelled"
                break
            choice = piece["choices"][0]
            text = choice["delta"].get("content") or ""
            if text:
                emit(id=request_id, event="token", text=text)
            if choice.get("finish_reason"):
                reason = choice["finish_reason"]
        emit(id=request_id, event="done", done_reason=reason)
    except (ValueError, RuntimeError, KeyError, TypeError) as error:   # e.g. prompt too long
        emit(id=request_id, event="error", message=str(error))
    finally:
        if pieces is not None:
            pieces.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kit _engine-worker")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("probe")
    p.add_argument("--model", required=True)
    p.add_argument("--exclude", default="")
    p.add_argument("--force", default="")
    s = commands.add_parser("serve")
    s.add_argument("--model", required=True)
    s.add_argument("--variant", required=True)
    s.add_argument("--n-ctx", type=int, default=2048)
    s.add_argument("--fast-folder", default="")
    args = parser.parse_args(argv)
    _take_stdout()
    try:
        return probe(args) if args.command == "probe" else serve(args)
    except Exception as error:      # noqa: BLE001 - the parent turns this into words for people
        emit(event="error", error=f"{type(error).__name__}: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
