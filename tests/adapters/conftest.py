"""Helpers for adapter tests: write a mapping and a source next to each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def write_mapping(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write ``data`` as ``<name>.yaml`` in tmp_path and return its path."""

    def write(data: dict[str, Any], name: str = "source") -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return write
