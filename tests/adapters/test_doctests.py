"""The examples in the adapters' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "journeys.adapters.mapping",
    "journeys.adapters.transform",
    "journeys.adapters.ingest",
    "journeys.adapters.readers",
    "journeys.adapters.fhir",
    "journeys.adapters.writers",
    "journeys.adapters.sql",
    "journeys.synth.native",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
