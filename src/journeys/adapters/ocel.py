"""Reader for OCEL 2.0 object-centric event logs (JSON, XML and SQLite), flattened on one type.

Flattening on an object type gives one row per (event, related object of that type): the
columns are ``ocel:eid``, ``ocel:activity``, ``ocel:timestamp`` (the text as stored),
``ocel:oid``, ``ocel:type``, ``ocel:qualifier`` and one column per event attribute. The three
serialisations store times differently (the JSON example carries offsets, the XML and SQLite ones
carry local wall-clock times), which the mapping's ``timezone`` settles.

Reference: Berti, A. et al. (2023) *OCEL 2.0 specification*, https://www.ocel-standard.org.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import polars as pl

from journeys.adapters._base import ROW, Batch, numbered, require_file, slices
from journeys.adapters.mapping import did_you_mean
from journeys.exceptions import SourceError

__all__ = ["OCEL_COLUMNS", "OcelReader", "read_ocel"]

EID: Final = "ocel:eid"
ACTIVITY: Final = "ocel:activity"
TIMESTAMP: Final = "ocel:timestamp"
OID: Final = "ocel:oid"
TYPE: Final = "ocel:type"
QUALIFIER: Final = "ocel:qualifier"
OCEL_COLUMNS: Final = (EID, ACTIVITY, TIMESTAMP, OID, TYPE, QUALIFIER)

Rows = list[dict[str, Any]]


def _from_json(path: Path) -> tuple[Rows, dict[str, str]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SourceError(f"{path} is not valid OCEL 2.0 JSON ({error}); export it again") from None
    if not isinstance(doc, dict) or "events" not in doc:
        raise SourceError(f"{path} has no 'events' list; is it an OCEL 2.0 JSON file?")
    types = {o["id"]: o["type"] for o in doc.get("objects", [])}
    rows: Rows = []
    for event in doc["events"]:
        attrs = {a["name"]: a.get("value") for a in event.get("attributes", [])}
        for rel in event.get("relationships", []):
            rows.append(
                {
                    EID: event["id"],
                    ACTIVITY: event["type"],
                    TIMESTAMP: event.get("time"),
                    OID: rel["objectId"],
                    QUALIFIER: rel.get("qualifier"),
                    **attrs,
                }
            )
    return rows, types


def _from_xml(path: Path) -> tuple[Rows, dict[str, str]]:
    from lxml import etree  # type: ignore[import-untyped]

    try:
        root = etree.parse(str(path)).getroot()
    except etree.XMLSyntaxError as error:
        raise SourceError(
            f"{path} is not well-formed OCEL 2.0 XML ({error}); export it again"
        ) from None
    types = {o.get("id"): o.get("type") for o in root.iterfind("objects/object")}
    rows: Rows = []
    for event in root.iterfind("events/event"):
        attrs = {a.get("name"): a.text for a in event.iterfind("attributes/attribute")}
        for rel in event.iterfind("objects/relationship"):
            rows.append(
                {
                    EID: event.get("id"),
                    ACTIVITY: event.get("type"),
                    TIMESTAMP: event.get("time"),
                    OID: rel.get("object-id"),
                    QUALIFIER: rel.get("qualifier"),
                    **attrs,
                }
            )
    return rows, types


def _from_sqlite(path: Path) -> tuple[Rows, dict[str, str]]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:  # pragma: no cover - connect is lazy in sqlite3
        raise SourceError(f"{path} cannot be opened as SQLite: {error}") from None
    try:
        types = dict(conn.execute("SELECT ocel_id, ocel_type FROM object").fetchall())
        suffix = dict(
            conn.execute("SELECT ocel_type, ocel_type_map FROM event_map_type").fetchall()
        )
        details: dict[str, dict[str, Any]] = {}
        for activity, table in suffix.items():
            cur = conn.execute(
                f'SELECT * FROM "event_{table}"'
            )  # names come from the file's own catalogue
            names = [d[0] for d in cur.description]
            for values in cur.fetchall():
                record = dict(zip(names, values, strict=True))
                eid = record.pop("ocel_id")
                time = record.pop("ocel_time", None)
                details[eid] = {ACTIVITY: activity, TIMESTAMP: time, **record}
        order = [r[0] for r in conn.execute("SELECT ocel_id FROM event ORDER BY rowid").fetchall()]
        rels: dict[str, list[tuple[str, str]]] = {}
        for eid, oid, qualifier in conn.execute(
            "SELECT ocel_event_id, ocel_object_id, ocel_qualifier FROM event_object ORDER BY rowid"
        ):
            rels.setdefault(eid, []).append((oid, qualifier))
    except sqlite3.DatabaseError as error:
        raise SourceError(
            f"{path} is not an OCEL 2.0 SQLite database ({error}); it needs the tables event, "
            "event_object, object and event_map_type"
        ) from None
    finally:
        conn.close()
    rows: Rows = []
    for eid in order:
        detail = details.get(eid, {})
        for oid, qualifier in rels.get(eid, []):
            rows.append({EID: eid, **detail, OID: oid, QUALIFIER: qualifier})
    return rows, types


def read_ocel(path: str | Path, *, object_type: str) -> pl.DataFrame:
    """Read an OCEL 2.0 log (``.json``/``.jsonocel``, ``.xml``/``.xmlocel``, ``.sqlite``) flat.

    Examples
    --------
    >>> from tests.conftest import SHARED_DATA  # doctest: +SKIP
    >>> log = SHARED_DATA / "ocel/ocel20_example.jsonocel"  # doctest: +SKIP
    >>> read_ocel(log, object_type="Invoice").height  # doctest: +SKIP
    8
    """
    file = require_file(Path(path), kind="ocel")
    head = file.read_bytes()[:16]
    if head.startswith(b"SQLite format 3"):
        rows, types = _from_sqlite(file)
    elif head.lstrip().startswith(b"<"):
        rows, types = _from_xml(file)
    elif head.lstrip().startswith((b"{", b"[")):
        rows, types = _from_json(file)
    else:
        raise SourceError(f"{file} is neither OCEL 2.0 JSON, XML nor SQLite; check source.path")
    known = sorted(set(types.values()))
    if object_type not in known:
        raise SourceError(
            f"{file} has no objects of type '{object_type}'.{did_you_mean(object_type, known)} "
            f"(types: {', '.join(known)}); set source.object_type"
        )
    keep = [dict(r, **{TYPE: object_type}) for r in rows if types.get(r[OID]) == object_type]
    columns = list(OCEL_COLUMNS)
    for r in keep:
        for k in r:
            if k not in columns:
                columns.append(k)
    data = {c: [None if r.get(c) is None else str(r.get(c)) for r in keep] for c in columns}
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))


class OcelReader:
    """An OCEL 2.0 log flattened on ``object_type`` (``ROW`` numbers the flattened rows)."""

    def __init__(
        self, path: Path, *, source: str, object_type: str, chunk_size: int = 100_000
    ) -> None:
        self.path = path
        self.where = path.name
        self.source = source
        self.object_type = object_type
        self.chunk_size = chunk_size
        self._frame: pl.DataFrame | None = None

    def _read(self) -> pl.DataFrame:
        if self._frame is None:
            frame = read_ocel(self.path, object_type=self.object_type)
            self._frame = numbered(frame)
        return self._frame

    def columns(self) -> list[str]:
        """The flattened column names."""
        return [c for c in self._read().columns if c != ROW]

    def batches(self) -> Iterator[Batch]:
        """Rows in chunks."""
        yield from slices(self._read(), self.chunk_size)
