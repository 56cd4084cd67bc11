"""Choose the reader for a mapping's source kind: one protocol, one implementation per kind."""

from __future__ import annotations

from journeys.adapters._base import Reader
from journeys.adapters.fhir import FhirReader
from journeys.adapters.files import CsvReader, ExcelReader, JsonReader, ParquetReader
from journeys.adapters.mapping import Mapping
from journeys.adapters.ocel import OcelReader
from journeys.adapters.sql import SqlReader
from journeys.adapters.xes import XesReader

__all__ = ["open_reader"]


def open_reader(mapping: Mapping) -> Reader:  # noqa: PLR0911 - one return per source kind
    """The reader for ``mapping.source`` (nothing is read until ``columns`` or ``batches``).

    Examples
    --------
    >>> from journeys.adapters.mapping import parse_mapping
    >>> m = parse_mapping({"agency": "ae", "source": {"kind": "csv", "path": "ae.csv"},
    ...     "events": {"person_ref": "id", "activity": "a", "service": "s", "start": "t"}})
    >>> type(open_reader(m)).__name__
    'CsvReader'
    """
    src = mapping.source
    name = mapping.name
    size = src.chunk_size
    if src.kind == "sql":
        return SqlReader(
            src.url or "",
            source=name,
            table=src.table,
            query=src.query,
            password_env=src.password_env,
            base=mapping.base,
            chunk_size=size,
        )
    path = mapping.resolve_path()
    if src.kind == "csv":
        return CsvReader(
            path,
            source=name,
            delimiter=src.delimiter,
            quote=src.quote,
            encoding=src.encoding,
            chunk_size=size,
        )
    if src.kind == "parquet":
        return ParquetReader(path, source=name, chunk_size=size)
    if src.kind in ("json", "ndjson"):
        return JsonReader(path, source=name, lines=src.kind == "ndjson", chunk_size=size)
    if src.kind == "excel":
        return ExcelReader(path, source=name, sheet=src.sheet, chunk_size=size)
    if src.kind == "xes":
        return XesReader(path, source=name, chunk_size=size)
    if src.kind == "ocel":
        return OcelReader(path, source=name, object_type=src.object_type or "", chunk_size=size)
    return FhirReader(path, source=name, patients=mapping.table == "identities", chunk_size=size)
