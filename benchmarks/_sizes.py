"""Benchmark sizes, chosen with JOURNEYS_BENCH_SIZE=small|medium|large (small in CI)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from typing import Final

#: People in the synthetic population at each size.
PEOPLE: Final = {"small": 10_000, "medium": 100_000, "large": 1_000_000}


def size() -> str:
    """The size asked for by JOURNEYS_BENCH_SIZE (default small)."""
    value = os.environ.get("JOURNEYS_BENCH_SIZE", "small")
    if value not in PEOPLE:
        msg = f"JOURNEYS_BENCH_SIZE must be one of {', '.join(PEOPLE)}. Got {value!r}."
        raise ValueError(msg)
    return value


def run_measured(code: str) -> tuple[float, float]:
    """Run Python ``code`` in a fresh interpreter; return (seconds, peak resident MB).

    A fresh process gives an honest peak: nothing cached by earlier benchmarks counts.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kb <= before:  # an earlier child was larger: ru_maxrss is a maximum over children
        peak_kb = before
    return seconds, peak_kb / 1024
