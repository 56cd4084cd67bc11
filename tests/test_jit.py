"""A process that ran a parallel kernel can still fork workers (pm4py's replay pool does)."""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
import multiprocessing, numba, numpy as np
from journeys.linkage.bits import dice_matrix
a = np.random.default_rng(0).integers(0, 2**63, size=(3000, 16), dtype=np.uint64)
dice_matrix(a, a, threshold=0.8)  # the parallel kernel starts numba's threading layer
def work(n):
    return len(dice_matrix(a[:n], a[:n], threshold=0.8)[0])
with multiprocessing.get_context("fork").Pool(2) as pool:
    print(numba.threading_layer(), pool.map_async(work, [100, 200]).get(timeout=120))
"""


def test_fork_after_a_parallel_kernel_does_not_hang() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    layer, counts = done.stdout.split(maxsplit=1)
    assert layer != "omp"  # GNU OpenMP cannot fork
    assert counts.strip() == "[100, 200]"  # each filter matches itself only (random bits)
