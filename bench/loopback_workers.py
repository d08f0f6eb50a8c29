"""More model workers on this machine, as model hosts: `python -m llama_cpp.server` processes
(the OpenAI-compatible API, one thread each) with the bundled SmolLM2 on loopback ports, for
bench/classroom_load.py --loopback-workers N (issue 22.4: more workers on one laptop, measured).

llama_cpp.server loads no CPU backend by itself here (shared/FIELD_NOTES.md), so the variant
the kit's own probe proved is registered first, as the kit's worker does; the server's
__main__ then runs unchanged.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = """
import runpy, sys
from kit.tutor.engines.cpu_variants import llama_lib_folder
from kit.tutor.engines.worker import load_variant
load_variant(llama_lib_folder(), sys.argv[1])
sys.argv = ["llama_cpp.server"] + sys.argv[2:]
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def loopback_workers(count: int, start_timeout_s: float = 120, prompt_threads: int = 0):
    """URLs of `count` llama_cpp.server processes, stopped on exit. `prompt_threads` 0: the
    server's default (every core reads the prompt)."""
    if count <= 0:
        yield ()
        return
    sys.path.insert(0, str(ROOT))
    from kit.tutor.engines.worker_client import WorkerPool
    from kit.tutor.manifests import bundled_gguf
    model = bundled_gguf("SmolLM2-135M-Instruct.Q4_1.gguf")
    folder = Path(tempfile.mkdtemp(prefix="lantern-workers-"))
    variant = WorkerPool(model, n_ctx=2048, state_folder=folder, fast_folder=None).variant().chosen
    processes, urls = [], []
    try:
        for n in range(count):
            port = _free_port()
            processes.append(subprocess.Popen(
                [sys.executable, "-c", SERVER, variant, "--model", str(model), "--host", "127.0.0.1",
                 "--port", str(port), "--n_ctx", "2048", "--n_threads", "1",
                 *(["--n_threads_batch", str(prompt_threads)] if prompt_threads else [])],
                stdout=(folder / f"worker-{n}.log").open("wb"), stderr=subprocess.STDOUT, cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)}))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            deadline = time.monotonic() + start_timeout_s
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the worker at {url} did not start (see {folder})")
                try:
                    urllib.request.urlopen(url + "/v1/models", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.3)
        yield tuple(urls)
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
