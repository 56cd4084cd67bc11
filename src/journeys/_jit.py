"""numba settings shared by every compiled kernel of the package.

Kernels that run in parallel use numba's threading layer. On Linux numba picks GNU OpenMP when it
can, and a process that has used GNU OpenMP cannot safely ``fork()``: the child is killed
("fork() called from a process already using GNU OpenMP") or hangs, and journeys forks worker
processes for pm4py's replay after linking in the same run. Unless the user chose a layer
(``NUMBA_THREADING_LAYER``), we ask numba for a fork-safe one (``"forksafe"``: TBB when it is
installed, else numba's own work queue). It must be set before the first parallel kernel runs,
hence importing this module from the packages that hold kernels.
"""

from __future__ import annotations

import os
from typing import Final

import numba

__all__ = ["KERNEL_THREADS"]

#: Python threads that run GIL-free kernels side by side (encoding fields, normalising
#: columns); chosen for the 2-core machines this was tuned on.
KERNEL_THREADS: Final = 2

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "forksafe"  # type: ignore[attr-defined]  # set at run time
