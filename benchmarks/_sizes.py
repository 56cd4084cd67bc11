"""Benchmark sizes, chosen with JOURNEYS_BENCH_SIZE=small|medium|large (small in CI)."""

from __future__ import annotations

import os
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


_PEAK = """
import resource as _r, sys as _s
_peak = max(_r.getrusage(_r.RUSAGE_SELF).ru_maxrss, _r.getrusage(_r.RUSAGE_CHILDREN).ru_maxrss)
print("__PEAK_KB__", _peak, file=_s.stderr)
"""


def run_measured(code: str) -> tuple[float, float]:
    """Run Python ``code`` in a fresh interpreter; return (seconds, peak resident MB).

    The peak is read by the child itself at its end (its own and its workers' maximum resident
    set), so nothing run earlier in this process counts.
    """
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + _PEAK], check=False, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-4000:]}")
    peak_kb = next(
        int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("__PEAK_KB__")
    )
    return seconds, peak_kb / 1024
