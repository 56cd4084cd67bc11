"""Adapters: pull each agency's event log out of its own systems, declaratively, losing nothing.

A mapping file (YAML) describes one source; :func:`ingest` reads any number of them into the
canonical identities and events tables, with every unusable row in a quarantine table.

Examples
--------
>>> from journeys.adapters import ingest, load_mapping  # doctest: +SKIP
>>> result = ingest(["adapters/sepsis.yaml"], out="work/")  # doctest: +SKIP
>>> print(result.summary())  # doctest: +SKIP
"""

from __future__ import annotations

from journeys.adapters._base import Batch, Reader
from journeys.adapters.fhir import read_fhir
from journeys.adapters.ingest import IngestResult, SourceAccount, ingest
from journeys.adapters.mapping import (
    CodeMap,
    ColumnSpec,
    Filter,
    Mapping,
    Source,
    load_mapping,
    parse_mapping,
)
from journeys.adapters.ocel import read_ocel
from journeys.adapters.readers import open_reader
from journeys.adapters.transform import apply_mapping
from journeys.adapters.writers import write_ocel, write_xes
from journeys.adapters.xes import read_xes

__all__ = [
    "Batch",
    "CodeMap",
    "ColumnSpec",
    "Filter",
    "IngestResult",
    "Mapping",
    "Reader",
    "Source",
    "SourceAccount",
    "apply_mapping",
    "ingest",
    "load_mapping",
    "open_reader",
    "parse_mapping",
    "read_fhir",
    "read_ocel",
    "read_xes",
    "write_ocel",
    "write_xes",
]
