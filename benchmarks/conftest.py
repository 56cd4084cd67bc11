"""Session hooks of the benchmark suites: the one-run table of ratios against peer tools."""

from __future__ import annotations

import pytest

from benchmarks._ratios import write_ratios


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = write_ratios()
    if path is not None:
        print(f"\nratios against peer tools written to {path}")
