"""Shared fixtures: paths to the real data, and the rule that CI never skips a service test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The read-only real data sets (see ../shared/data/README.md).
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, what: str) -> None:
    """Skip when ``what`` is unavailable locally; under ``CI=true`` fail instead of skipping."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public event logs and models."""
    require_service(SHARED_DATA.is_dir(), f"the shared data folder {SHARED_DATA}")
    return SHARED_DATA
