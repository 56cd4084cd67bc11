"""Bad input never loses a row and never escapes as a raw library traceback.

Invariants, for any corruption hypothesis generates:
- the ingest either succeeds with ``read == loaded + quarantined`` for the source, or raises a
  :class:`JourneysError` whose message names the file;
- a row that was not corrupted is loaded with exactly its values;
- a corrupted row is quarantined with a reason.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys import schema
from journeys.adapters import ingest
from journeys.exceptions import JourneysError

HEADER = ["ref", "eid", "what", "when"]
EVENTS: dict[str, Any] = {
    "person_ref": "ref",
    "event_id": "eid",
    "activity": "what",
    "service": {"constant": "housing"},
    "start": {"column": "when", "format": "%d/%m/%Y %H:%M"},
}
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and s.strip() != "")
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
CORRUPTIONS = [
    "none",
    "none",
    "none",
    "iso_date",
    "null_time",
    "extra_field",
    "huge_field",
    "blank_line",
    "missing_ref",
]


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n\r') else value


def _mapping(folder: Path, source: dict[str, Any]) -> Path:
    path = folder / "m.yaml"
    path.write_text(yaml.safe_dump({"agency": "open_door", "source": source, "events": EVENTS}))
    return path


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(text, text, moments, st.sampled_from(CORRUPTIONS)), min_size=1, max_size=25
    ),
)
def test_corrupted_csv_rows_are_quarantined_and_clean_rows_loaded(tmp_path_factory, rows) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("csv")
    lines = [",".join(HEADER)]
    clean: dict[str, tuple[str, str, dt.datetime]] = {}
    corrupted: set[int] = set()
    for i, (ref, what, when, corruption) in enumerate(rows):
        eid = f"e{i}"
        fields = [ref, eid, what, when.strftime("%d/%m/%Y %H:%M")]
        line_no = len(lines) + 1
        if corruption == "iso_date":
            fields[3] = when.isoformat()
        elif corruption == "null_time":
            fields[3] = ""
        elif corruption == "missing_ref":
            fields[0] = ""
        elif corruption == "huge_field":
            fields[2] = what + "x" * 20_000
        line = ",".join(_quote(f) for f in fields)
        if corruption == "extra_field":
            line += ",surplus"
        if corruption == "blank_line":
            lines.append("")
            corrupted.add(line_no)
        lines.append(line)
        if corruption in ("none", "huge_field", "blank_line"):
            clean[eid] = (ref, fields[2], when)
        else:
            corrupted.add(line_no)
    (folder / "x.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest([_mapping(folder, {"kind": "csv", "path": "x.csv"})])
    (account,) = result.accounts
    assert account.balanced
    assert account.read == len(lines) - 1
    got = {
        r["event_id"]: (r["person_ref"], r["activity"], r["start"])
        for r in result.events.iter_rows(named=True)
    }
    london = dt.UTC
    expected = {}
    for eid, (ref, what, when) in clean.items():
        local = pl.Series([when]).dt.replace_time_zone(
            "Europe/London", ambiguous="earliest", non_existent="null"
        )
        utc = local.dt.convert_time_zone("UTC").item()
        if utc is not None:
            expected[eid] = (ref, what, utc.astimezone(london))
    assert {k: v for k, v in got.items() if k in expected} == expected
    quarantined = set(result.quarantine.get_column(schema.ROW).to_list())
    assert corrupted <= quarantined
    assert all(result.quarantine.get_column(schema.REASON).is_not_null())


@SETTINGS
@given(
    data=st.binary(max_size=400),
    kind=st.sampled_from(["csv", "json", "ndjson", "excel", "xes", "parquet", "ocel"]),
)
def test_garbage_files_end_in_accounting_or_a_journeys_error(
    tmp_path_factory, data: bytes, kind: str
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("garbage")
    name = {"excel": "x.xlsx", "ocel": "x.jsonocel"}.get(kind, f"x.{kind}")
    (folder / name).write_bytes(b"ref,eid,what,when\n" + data if kind == "csv" else data)
    source: dict[str, Any] = {"kind": kind, "path": name}
    if kind == "ocel":
        source["object_type"] = "Invoice"
    try:
        result = ingest([_mapping(folder, source)])
    except JourneysError as error:
        message = str(error)
    else:
        (account,) = result.accounts
        assert account.balanced
        return
    assert name in message or "m.yaml" in message


@SETTINGS
@given(
    cut=st.integers(min_value=1, max_value=2000),
    encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]),
)
def test_truncated_and_misencoded_files(tmp_path_factory, cut: int, encoding: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("cut")
    body = "ref,eid,what,when\n" + "".join(
        f"Zoë{i},e{i},Café visit,01/07/2024 10:{i % 60:02d}\n" for i in range(60)
    )
    raw = body.encode(encoding)[:cut]
    (folder / "x.csv").write_bytes(raw)
    xes = gzip.compress(b"<log><trace><event></event></trace></log>")[: max(1, cut // 40)]
    (folder / "x.xes.gz").write_bytes(xes)
    for source in ({"kind": "csv", "path": "x.csv"}, {"kind": "xes", "path": "x.xes.gz"}):
        try:
            result = ingest([_mapping(folder, source)])
        except JourneysError as error:
            message = str(error)
            result = None
        if result is None:
            assert source["path"] in message or "m.yaml" in message
            continue
        (account,) = result.accounts
        assert account.balanced
        if source["kind"] == "csv":
            assert account.read == raw.count(b"\n") - 1 + (0 if raw.endswith(b"\n") else 1)


def test_null_timestamps_in_json_are_quarantined(tmp_path: Path) -> None:
    rows = [
        {"ref": "1", "eid": "a", "what": "x", "when": None},
        {"ref": "1", "eid": "b", "what": "x", "when": "01/07/2024 10:00"},
    ]
    (tmp_path / "x.json").write_text(json.dumps(rows))
    result = ingest([_mapping(tmp_path, {"kind": "json", "path": "x.json"})])
    assert result.events.get_column("event_id").to_list() == ["b"]
    assert "missing required value for 'start'" in result.quarantine.item(0, schema.REASON)
