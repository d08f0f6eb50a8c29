"""Does a second model worker on this machine give more answers a minute? The engine alone.

Issue 22.2 asks whether several workers (or sequences) on one laptop raise the class's answers
a minute. bench/classroom_load.py answers that with the whole class (pages, queue, askers);
this bench leaves out everything but the model, so a "no" there can be told apart from a
machine too busy to show it: `--answers` answers of a tutor-sized prompt (about 550 tokens of
sources and a question, 160 tokens out) on one `llama_cpp.server` worker one after another,
then the same number on `--workers` workers at once (an equal share each), all one thread each
(bench/loopback_workers.py; `--prompt-threads` for reading the prompt, default every core),
the bundled SmolLM2, `--rounds` times alternating. Printed per
round: seconds and answers a minute for both, and the load average (the cores it had).

    .venv/bin/python bench/model_workers.py [--workers 2] [--answers 6] [--rounds 2] [--prompt-threads N]
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loopback_workers import loopback_workers  # noqa: E402

SOURCES = "A list keeps items in order; you add one with append and remove one with pop. " * 28
PROMPT = f"Sources: {SOURCES}\nQuestion: how do I add an item to a list?"


def ask(url: str) -> dict:
    body = json.dumps({"messages": [{"role": "user", "content": PROMPT}], "max_tokens": 160,
                       "temperature": 0.0, "repeat_penalty": 1.0}).encode()
    request = urllib.request.Request(url + "/v1/chat/completions", body,
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())["usage"]


def at_once(urls: tuple[str, ...], answers: int) -> float:
    """Seconds for `answers` answers shared equally by the workers, each asking its own."""
    errors: list[BaseException] = []

    def share(url: str, count: int) -> None:
        try:
            for _ in range(count):
                ask(url)
        except BaseException as error:      # noqa: BLE001 - reported after the join
            errors.append(error)

    started = time.monotonic()
    threads = [threading.Thread(target=share, args=(url, answers // len(urls))) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(400)
    if errors:
        raise errors[0]
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--answers", type=int, default=6, help="a multiple of --workers")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--prompt-threads", type=int, default=0,
                        help="threads reading the prompt in each worker (0: every core)")
    args = parser.parse_args()
    with loopback_workers(args.workers, prompt_threads=args.prompt_threads) as urls:
        usage = [ask(url) for url in urls][0]           # warm every worker once
        print(f"prompt {usage['prompt_tokens']} tokens, answer {usage['completion_tokens']} tokens")
        for n in range(1, args.rounds + 1):
            one = at_once(urls[:1], args.answers)
            many = at_once(urls, args.answers)
            load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
            print(f"round {n}: 1 worker {one:.1f} s ({args.answers * 60 / one:.1f} a minute); "
                  f"{len(urls)} workers {many:.1f} s ({args.answers * 60 / many:.1f} a minute); load {load}",
                  flush=True)


if __name__ == "__main__":
    main()
