"""Tutor benchmark: time to first token (ttft) and tokens/s through the kit vs llama.cpp directly.

Kit: `POST /api/ask` on a real `kit serve`, timed by the client from sending (HTTP, retrieval
and the hop to the model worker process count). Direct: llama.cpp in this process with the CPU
variant the kit's worker chose, the messages the kit would send, same GGUF, n_ctx, threads and
sampling options;
the two alternate so load changes hit both alike. Then 5 questions at once. Targets (tutor issue):
kit/direct ttft ≤ 1.15; 0 errors with 5 at once (one answer at a time: the last waits for four).

    .venv/bin/python bench/tutor_bench.py [--rounds 1]
"""
import argparse
import http.client
import itertools
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit.tutor.engines import choose_engine  # noqa: E402
from kit.tutor.engines.cpu_variants import MEMORY_NAME, llama_lib_folder  # noqa: E402
from kit.tutor.engines.worker import load_variant  # noqa: E402
from kit.tutor.engines.worker import threads as generation_threads  # noqa: E402
from kit.tutor.engines.fast_gguf import faster_copy  # noqa: E402
from kit.library.index_db import ReaderPool, connect  # noqa: E402
from kit.library.indexer import build_index  # noqa: E402
from kit.settings import bundled_content_dir, load_settings  # noqa: E402
from kit.tutor.answering import Question, Tutor, build_messages  # noqa: E402

# Answerable from the bundled Flask workshop and talks (compare() checks they are grounded).
QUESTIONS = [
    "How do I install Flask from the wheels folder without internet?",
    "Why should I make a virtual environment for my project?",
    "What does the @app.route decorator do?",
    "How do I put a Python variable into an HTML template?",
    "What is the difference between GET and POST?",
    "Why do we redirect after the form adds a book?",
    "What happens if I forget conn.commit() after an INSERT?",
    "What is rubber duck debugging?",
]
WARMUP = "What does 127.0.0.1:5000 in the address bar mean?"
TIMEOUT_S = 180          # every socket operation of every request


def median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def start_server(data: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")},
           "LANTERN_ENGINE": "embedded"}     # the bench's own settings, not the caller's
    kit = Path(sys.executable).parent / "kit"
    server = subprocess.Popen([str(kit), "serve", "--port", str(port), "--data", str(data)],
                              stdout=subprocess.DEVNULL, stderr=log.open("wb"), env=env)
    deadline = time.time() + 60
    while time.time() < deadline and server.poll() is None:
        try:
            open_session(port, timeout=2)
            return server
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: {log.read_text(errors='replace')[-2000:]}")


_LEARNERS = itertools.count(1)


def open_session(port: int, timeout: float = 30) -> dict:
    """A session cookie and its CSRF token, as a browser gets them from any page (kit/web/csrf.py)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        page = response.read().decode("utf-8", "replace")
        cookies = "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [])
    finally:
        conn.close()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    token = token.group(1) if token else ""
    # only learners may ask: join under a nickname of its own (one learner per session)
    form = urllib.parse.urlencode({"nickname": f"bench {next(_LEARNERS)}", "csrf_token": token})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/join", form, {"Cookie": cookies,
                                             "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        joined = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
    finally:
        conn.close()
    if response.status != 303:
        raise SystemExit(f"joining the class failed: HTTP {response.status}")
    return {"Cookie": "; ".join(joined) or cookies, "X-CSRF-Token": token}


def direct_answer(llama, messages: list[dict], options: dict) -> dict:
    """Stream one answer straight from llama.cpp, with the options EmbeddedEngine.chat uses."""
    started, first, count, text = time.perf_counter(), None, 0, ""
    pieces = llama.create_chat_completion(
        messages=messages, stream=True, temperature=float(options.get("temperature", 0.2)),
        seed=options.get("seed"), max_tokens=int(options["num_predict"]),
        stop=options.get("stop") or [])
    for piece in pieces:
        content = piece["choices"][0]["delta"].get("content") or ""
        if content:
            count, first, text = count + 1, first or time.perf_counter(), text + content
    return {"ttft_ms": (first - started) * 1000 if first else None, "tokens": count, "text": text,
            "tps": (count - 1) / (time.perf_counter() - first) if first and count > 1 else None}


def kit_answer(port: int, question: str, barrier: threading.Barrier | None = None) -> dict:
    """POST /api/ask in a session of its own; read the events; times in ms from sending."""
    result = {**dict.fromkeys(("sources_ms", "ttft_ms", "total_ms", "tps", "done", "error")),
              "tokens": 0, "text": ""}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        headers = {"Content-Type": "application/json", **open_session(port)}
        if barrier is not None:
            barrier.wait(timeout=30)
        started = time.perf_counter()
        conn.request("POST", "/api/ask", json.dumps({"question": question, "mode": "explain"}), headers)
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {response.read(300)!r}")
        event, first = None, None
        for raw in response:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line.startswith("event: "):
                event = line[7:]
            if not line.startswith("data: "):
                continue
            now, data = time.perf_counter(), json.loads(line[6:])
            if event == "sources":
                result["sources_ms"] = (now - started) * 1000
            elif event == "token":
                first = first or now
                result.update(tokens=result["tokens"] + 1, text=result["text"] + data["text"])
            elif event == "done":
                result.update(done=data, total_ms=(now - started) * 1000)
                if first and result["tokens"] > 1:
                    result["tps"] = (result["tokens"] - 1) / (now - first)
            elif event == "error":
                result["error"] = data.get("message")
        result["ttft_ms"] = (first - started) * 1000 if first else None
        if result["done"] is None and result["error"] is None:
            result["error"] = "the stream ended without a done event"
    except (OSError, http.client.HTTPException, ValueError, RuntimeError, threading.BrokenBarrierError) as error:
        result["error"] = repr(error)
    finally:
        conn.close()
    return result


def compare(llama, tutor, conn, port: int, options: dict, questions: list[str]) -> None:
    rows, retrieval_ms = [], []
    for n, question in enumerate(questions):
        started = time.perf_counter()
        retrieval = tutor.retrieve(conn, Question(question))
        messages = build_messages(Question(question), retrieval)
        retrieval_ms.append((time.perf_counter() - started) * 1000)
        if not retrieval.grounded:
            raise SystemExit(f"not grounded, the kit would not call the model: {question!r}")
        prompt_tokens = len(llama.tokenize("\n".join(m["content"] for m in messages).encode()))
        runs = {"direct": lambda: direct_answer(llama, messages, options),
                "kit": lambda: kit_answer(port, question)}
        got = {name: runs[name]() for name in (runs if n % 2 == 0 else reversed(runs))}  # alternate
        direct, kit = got["direct"], got["kit"]
        if kit["error"]:
            raise SystemExit(f"the kit failed on {question!r}: {kit['error']}")
        rows.append((question, prompt_tokens, direct, kit))
    print(f"\n{'question':<44} {'prompt':>6} {'ttft direct':>11} {'kit':>7} "
          f"{'tok/s direct':>12} {'kit':>6}  same answer")
    for question, prompt_tokens, direct, kit in rows:
        print(f"{question[:44]:<44} {prompt_tokens:>6} {direct['ttft_ms']:>9.0f}ms {kit['ttft_ms']:>5.0f}ms"
              f" {direct['tps'] or 0:>12.1f} {kit['tps'] or 0:>6.1f}  "
              f"{'yes' if direct['text'] == kit['text'] else 'NO'} ({direct['tokens']}/{kit['tokens']} tokens)")
    d_ttft, k_ttft = median(r[2]["ttft_ms"] for r in rows), median(r[3]["ttft_ms"] for r in rows)
    d_tps, k_tps = median(r[2]["tps"] for r in rows), median(r[3]["tps"] for r in rows)
    ratio = k_ttft / d_ttft
    print(f"\nmedians over {len(rows)} answers        direct      kit   kit/direct")
    print(f"time to first token (ms)         {d_ttft:8.0f} {k_ttft:8.0f}   {ratio:6.2f}   "
          f"target ≤ 1.15: {'met' if ratio <= 1.15 else 'NOT met'}")
    print(f"decode tokens/s                  {d_tps:8.1f} {k_tps:8.1f}   {k_tps / d_tps:6.2f}")
    engine_ttft = [r[3]["done"]["ttft_ms"] for r in rows]   # from the engine call, inside the server
    print(f"kit's done event: ttft {median(engine_ttft):.0f} ms (engine call to first token), "
          f"{median(r[3]['done']['tokens_per_s'] for r in rows):.1f} tokens/s; median prompt "
          f"{median(r[1] for r in rows):.0f} tokens\nkit overhead (client ttft - engine ttft): median "
          f"{median(r[3]['ttft_ms'] - t for r, t in zip(rows, engine_ttft, strict=True)):.0f} ms; retrieval + prompt "
          f"building alone (in-process): median {median(retrieval_ms):.1f} ms, max {max(retrieval_ms):.1f} ms")


def burst(port: int, questions: list[str]) -> None:
    barrier = threading.Barrier(len(questions))      # all threads send at the same moment
    with ThreadPoolExecutor(len(questions)) as pool:  # each request is bounded by its timeouts
        results = list(pool.map(lambda question: kit_answer(port, question, barrier), questions))
    print(f"\n{len(questions)} questions posted at once (ms from sending; the model answers one at a time)")
    print(f"{'question':<44} {'sources':>8} {'1st token':>10} {'total':>8} {'tokens':>7}")
    for question, r in sorted(zip(questions, results, strict=True), key=lambda qr: qr[1]["ttft_ms"] or float("inf")):
        cells = [f"{r[k]:.0f}" if r[k] is not None else "-" for k in ("sources_ms", "ttft_ms", "total_ms")]
        print(f"{question[:44]:<44} {cells[0]:>8} {cells[1]:>10} {cells[2]:>8} {r['tokens']:>7}"
              + (f"  ERROR {r['error']}" if r["error"] else ""))
    if answered := [r for r in results if not r["error"]]:
        firsts, last = [r["ttft_ms"] for r in answered], max(r["total_ms"] for r in answered)
        print(f"spread of first tokens: {min(firsts):.0f} → {max(firsts):.0f} ms (the last waited "
              f"{max(firsts) - min(firsts):.0f} ms more); all answered after {last:.0f} ms")
    print(f"errors: {sum(1 for r in results if r['error'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="times to ask the question list")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="lantern-tutor-bench-"))
    server = llama = None
    try:
        settings = load_settings(environ={"LANTERN_ENGINE": "embedded"},
                                 content_dirs=(bundled_content_dir(),), data_dir=data)
        build_index(settings)
        engine, reason = choose_engine(settings)
        if not engine.available()[0]:
            raise SystemExit(f"the embedded engine cannot answer: {reason}")
        tutor = Tutor(ReaderPool(settings.index_path), None)
        options = engine.merged_options({"num_predict": tutor.answer_tokens, "seed": tutor.seed})
        threads, batch_threads = generation_threads()
        conn = connect(settings.index_path, readonly=True)
        with socket.socket() as probe:        # a free loopback port
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = start_server(data, port, data / "serve.log")
        first = kit_answer(port, WARMUP)
        if first["error"]:
            raise SystemExit(f"the kit failed to answer: {first['error']}")
        print(f"kit warm-up (first question, starts the worker): ttft {first['ttft_ms']:.0f} ms, "
              f"engine {first['done']['engine']}, model {first['done']['model']}")
        variant = json.loads((settings.engine_state_folder / MEMORY_NAME).read_text())["chosen"]
        from llama_cpp import Llama
        load_variant(llama_lib_folder(), variant)         # the CPU kernels the kit's worker runs
        model_file = faster_copy(engine.model_path, settings.fast_models_folder)  # what the kit reads
        started = time.perf_counter()
        llama = Llama(model_path=str(model_file), n_ctx=engine.n_ctx, n_threads=threads,
                      n_threads_batch=batch_threads, verbose=False)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; model "
              f"{engine.model_path.name} read from {model_file.name}; CPU variant {variant}; "
              f"n_ctx {engine.n_ctx}, threads {threads}, batch threads {batch_threads}; "
              f"options {options}; direct load {(time.perf_counter() - started) * 1000:.0f} ms")
        warm = build_messages(Question(WARMUP), tutor.retrieve(conn, Question(WARMUP)))
        print(f"direct warm-up: ttft {direct_answer(llama, warm, options)['ttft_ms']:.0f} ms")
        compare(llama, tutor, conn, port, options, QUESTIONS * args.rounds)
        burst(port, QUESTIONS[:5])
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if llama is not None:
            llama.close()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
