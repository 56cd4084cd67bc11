"""Writers: canonical events (or journeys) to XES and to OCEL 2.0 JSON.

XES (IEEE 1849-2016): one trace per person, events in time order, with ``concept:name`` (the
activity), ``time:timestamp`` (start, UTC), ``org:resource`` and the canonical columns as string
attributes. OCEL 2.0 (Berti et al., 2023): events related to three object types, ``person``,
``agency`` and ``episode``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import quoteattr

import polars as pl

from journeys import schema
from journeys.exceptions import SchemaError

__all__ = ["write_ocel", "write_xes"]

_CASE: Final = "__case__"
_EPISODE: Final = "__episode__"
_ATTRS: Final = (schema.AGENCY, schema.PERSON_REF, schema.EVENT_ID, schema.SERVICE, schema.OUTCOME)


def _prepare(events: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    frame = events.collect() if isinstance(events, pl.LazyFrame) else events
    need = [schema.AGENCY, schema.PERSON_REF, schema.EVENT_ID, schema.ACTIVITY, schema.START]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise SchemaError(
            "events",
            [f"column '{c}' is missing; the writers need {', '.join(need)}" for c in missing],
        )
    if schema.PERSON_ID in frame.columns:
        case = pl.col(schema.PERSON_ID).cast(pl.String)
    else:
        case = pl.format("{}:{}", pl.col(schema.AGENCY), pl.col(schema.PERSON_REF))
    if schema.EPISODE in frame.columns:
        episode = pl.format("{}:{}", case, pl.col(schema.EPISODE))
    else:
        episode = pl.format("{}:{}", case, pl.col(schema.AGENCY))
    return frame.with_columns(case.alias(_CASE), episode.alias(_EPISODE)).sort(
        [_CASE, schema.START, schema.EVENT_ID], maintain_order=True
    )


def _iso(value: Any) -> str:
    return str(value.isoformat(timespec="microseconds")).replace("+00:00", "Z")


def _xes_lines(frame: pl.DataFrame) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield '<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">\n'
    for name, prefix in (
        ("Concept", "concept"),
        ("Time", "time"),
        ("Organizational", "org"),
        ("Lifecycle", "lifecycle"),
    ):
        yield f'\t<extension name="{name}" prefix="{prefix}" uri="http://www.xes-standard.org/{prefix}.xesext"/>\n'
    yield '\t<classifier name="Activity" keys="concept:name"/>\n'
    attrs = [c for c in _ATTRS if c in frame.columns]
    current: str | None = None
    for row in frame.iter_rows(named=True):
        case = row[_CASE]
        if case != current:
            if current is not None:
                yield "\t</trace>\n"
            yield f'\t<trace>\n\t\t<string key="concept:name" value={quoteattr(case)}/>\n'
            current = case
        parts = [
            "\t\t<event>\n",
            f'\t\t\t<string key="concept:name" value={quoteattr(row[schema.ACTIVITY])}/>\n',
        ]
        parts.append(f'\t\t\t<date key="time:timestamp" value="{_iso(row[schema.START])}"/>\n')
        parts.append('\t\t\t<string key="lifecycle:transition" value="complete"/>\n')
        if row.get(schema.RESOURCE) is not None:
            parts.append(
                f'\t\t\t<string key="org:resource" value={quoteattr(row[schema.RESOURCE])}/>\n'
            )
        if row.get(schema.END) is not None:
            parts.append(f'\t\t\t<date key="{schema.END}" value="{_iso(row[schema.END])}"/>\n')
        parts.extend(
            f'\t\t\t<string key="{key}" value={quoteattr(str(row[key]))}/>\n'
            for key in attrs
            if row[key] is not None
        )
        parts.append("\t\t</event>\n")
        yield "".join(parts)
    if current is not None:
        yield "\t</trace>\n"
    yield "</log>\n"


def write_xes(events: pl.DataFrame | pl.LazyFrame, path: str | Path) -> Path:
    """Write canonical events (or journeys) as an XES log; ``.gz`` paths are compressed.

    One trace per person: ``person_id`` when the frame has it (journeys), otherwise
    ``agency:person_ref``.

    Examples
    --------
    >>> import datetime as dt, tempfile, pathlib, polars as pl
    >>> from journeys import schema
    >>> ev = pl.DataFrame({"agency": ["ae"], "person_ref": ["1"], "event_id": ["e1"],
    ...     "activity": ["Arrive"], "service": ["emergency_care"],
    ...     "start": [dt.datetime(2024, 7, 1, 9, tzinfo=dt.UTC)]})
    >>> out = write_xes(ev, pathlib.Path(tempfile.mkdtemp()) / "log.xes")
    >>> from journeys.adapters.xes import read_xes
    >>> read_xes(out).get_column("concept:name").to_list()
    ['Arrive']
    """
    frame = _prepare(events)
    target = Path(path)
    opener = gzip.open if target.suffix == ".gz" else open
    with opener(target, "wt", encoding="utf-8") as handle:
        for chunk in _xes_lines(frame):
            handle.write(chunk)
    return target


def write_ocel(events: pl.DataFrame | pl.LazyFrame, path: str | Path) -> Path:
    """Write canonical events (or journeys) as OCEL 2.0 JSON with person, agency, episode objects.

    ``episode`` is the journeys' ``episode`` number when present, otherwise the person's
    contact with one agency.

    Examples
    --------
    >>> import datetime as dt, tempfile, pathlib, polars as pl
    >>> ev = pl.DataFrame({"agency": ["ae"], "person_ref": ["1"], "event_id": ["e1"],
    ...     "activity": ["Arrive"], "service": ["emergency_care"],
    ...     "start": [dt.datetime(2024, 7, 1, 9, tzinfo=dt.UTC)]})
    >>> out = write_ocel(ev, pathlib.Path(tempfile.mkdtemp()) / "log.jsonocel")
    >>> from journeys.adapters.ocel import read_ocel
    >>> read_ocel(out, object_type="person").get_column("ocel:oid").to_list()
    ['ae:1']
    """
    frame = _prepare(events)
    extra = [
        c
        for c in (schema.SERVICE, schema.RESOURCE, schema.OUTCOME, schema.END)
        if c in frame.columns
    ]
    activities = sorted(frame.get_column(schema.ACTIVITY).unique().to_list())
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    out_events: list[dict[str, Any]] = []
    for row in frame.iter_rows(named=True):
        rels = [("person", row[_CASE]), ("agency", row[schema.AGENCY]), ("episode", row[_EPISODE])]
        for kind, oid in rels:
            objects.setdefault(
                (kind, oid), {"id": oid, "type": kind, "attributes": [], "relationships": []}
            )
        ep = objects[("episode", row[_EPISODE])]
        if not ep["relationships"]:
            ep["relationships"] = [
                {"objectId": row[_CASE], "qualifier": "episode of"},
                {"objectId": row[schema.AGENCY], "qualifier": "held by"},
            ]
        attributes = [
            {"name": c, "value": _iso(row[c]) if c == schema.END else str(row[c])}
            for c in extra
            if row[c] is not None
        ]
        out_events.append(
            {
                "id": row[schema.EVENT_ID],
                "type": row[schema.ACTIVITY],
                "time": _iso(row[schema.START]),
                "attributes": attributes,
                "relationships": [{"objectId": oid, "qualifier": kind} for kind, oid in rels],
            }
        )
    doc = {
        "objectTypes": [{"name": t, "attributes": []} for t in ("person", "agency", "episode")],
        "eventTypes": [
            {
                "name": a,
                "attributes": [
                    {"name": c, "type": "time" if c == schema.END else "string"} for c in extra
                ],
            }
            for a in activities
        ],
        "objects": list(objects.values()),
        "events": out_events,
    }
    target = Path(path)
    target.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return target
