"""A full workshop pack written once per session from the hand-made fixture tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.reports import write_pack
from tests.conftest import SHARED_DATA, require_service

from . import _fixtures as fx


@pytest.fixture(scope="session")
def model_files() -> tuple[Path, ...]:
    models = (SHARED_DATA / "models" / "running-example.bpmn", SHARED_DATA / "models" / "ex1.pnml")
    require_service(all(m.is_file() for m in models), f"the shared models in {SHARED_DATA}")
    return models


@pytest.fixture(scope="session")
def full_pack(tmp_path_factory: pytest.TempPathFactory, model_files: tuple[Path, ...]) -> Path:
    """index.html of a pack with every section filled."""
    return write_pack(fx.full_content(model_files), tmp_path_factory.mktemp("pack"))
