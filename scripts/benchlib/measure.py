"""Timing and memory helpers. Medians of wall-clock time (`perf_counter`); peak memory two ways: the Python heap of one
operation (`tracemalloc`, run separately because tracing slows the code down) and the process's peak RSS."""

from __future__ import annotations

import resource
import statistics
import sys
import time
import tracemalloc
from typing import Callable


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_both(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall time and this process's CPU time of one call. On a busy machine the CPU time is the steadier of the two;
    it leaves out waiting for the disk and, on PostgreSQL, the server's own work."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"n": len(samples), "median_ms": statistics.median(ordered) * 1000, "min_ms": ordered[0] * 1000,
            "p90_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000}


def heap_peak(fn: Callable[[], object]) -> int:
    """Bytes of Python heap allocated at the peak of one call, above what was live before it."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def peak_rss() -> int:
    """This process's peak resident set size in bytes (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def progress(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
