"""Running a test's work in several threads at once, so that a thread that dies fails the test.

A bare `threading.Thread` swallows its exception (pytest only prints it) and a `join(timeout)`
whose timeout passes says nothing: a test whose every thread died could pass. Here each call's
exception is raised again in the test's own thread, and a call still running after `timeout`
seconds fails the test naming it."""
from __future__ import annotations

import concurrent.futures
import time


def run_at_once(calls: list[tuple], timeout: float = 120.0) -> list:
    """Run each `(function, *args)` in a thread of its own, all at once; their results in order.
    The first exception of any call is raised here."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call[0], *call[1:]) for call in calls]
        deadline = time.monotonic() + timeout
        results = []
        for call, future in zip(calls, futures, strict=True):
            try:
                results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
            except concurrent.futures.TimeoutError:
                raise AssertionError(f"{call[0].__name__}{call[1:]!r} still running after {timeout} s "
                                     "(is the machine very busy?)") from None
        return results
