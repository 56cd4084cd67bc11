"""Progress bars for the CLI (the library itself never prints)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import NoReturn

from tqdm import tqdm

__all__ = ["progress", "stage_bar"]


def progress(total: int, desc: str) -> tqdm[NoReturn]:
    """A progress bar on standard error, silent when standard error is not a terminal."""
    return tqdm(total=total, desc=desc, file=sys.stderr, disable=not sys.stderr.isatty())


def stage_bar(
    stages: int, desc: str
) -> tuple[AbstractContextManager[object], Callable[[str], None]]:
    """A bar over named stages; returns the bar and a callback ``done(stage_name)``."""
    bar = progress(stages, desc)

    def done(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    return bar, done
