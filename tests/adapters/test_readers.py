"""Readers: the same canonical rows come out of every source kind."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys import schema
from journeys.adapters import ingest, open_reader, parse_mapping, read_fhir
from journeys.adapters._base import ROW
from journeys.exceptions import SourceError

UTC = dt.UTC
ROWS = pl.DataFrame(
    {
        "ref": ["P1", "P1", "P2"],
        "eid": ["e1", "e2", "e3"],
        "what": ["Arrive", 'Leave; then "go"', "Arrive, again"],
        "when": ["2024-07-01 10:00:00", "2024-07-01 12:30:00", "2024-12-01 08:00:00"],
        "who": ["Zoë Brontë", "Zoë Brontë", "Ann"],
    }
)
EXPECTED_START = [
    dt.datetime(2024, 7, 1, 9, 0, tzinfo=UTC),
    dt.datetime(2024, 7, 1, 11, 30, tzinfo=UTC),
    dt.datetime(2024, 12, 1, 8, 0, tzinfo=UTC),
]
EVENTS: dict[str, Any] = {
    "person_ref": "ref",
    "event_id": "eid",
    "activity": "what",
    "service": {"constant": "social_care"},
    "start": "when",
}


def _write(kind: str, folder: Path) -> dict[str, Any]:  # noqa: PLR0911 - one branch per kind
    """Write ROWS as ``kind``; return the mapping's source table."""
    if kind == "csv":
        ROWS.write_csv(folder / "x.csv")
        return {"kind": "csv", "path": "x.csv"}
    if kind == "csv-semicolon-cp1252":
        (folder / "x.csv").write_bytes(ROWS.write_csv(separator=";").encode("cp1252"))
        return {"kind": "csv", "path": "x.csv", "delimiter": ";", "encoding": "windows-1252"}
    if kind == "csv-tab-bom":
        (folder / "x.tsv").write_bytes(b"\xef\xbb\xbf" + ROWS.write_csv(separator="\t").encode())
        return {"kind": "csv", "path": "x.tsv", "delimiter": "\t"}
    if kind == "parquet":
        ROWS.write_parquet(folder / "x.parquet")
        return {"kind": "parquet", "path": "x.parquet"}
    if kind == "json":
        ROWS.write_json(folder / "x.json")
        return {"kind": "json", "path": "x.json"}
    if kind == "ndjson":
        ROWS.write_ndjson(folder / "x.ndjson")
        return {"kind": "ndjson", "path": "x.ndjson"}
    if kind == "excel":
        ROWS.write_excel(folder / "x.xlsx", worksheet="Data")
        return {"kind": "excel", "path": "x.xlsx", "sheet": "Data"}
    if kind == "sqlite-table":
        with sqlite3.connect(folder / "x.db") as conn:
            conn.execute(
                'CREATE TABLE contacts (ref TEXT, eid TEXT, what TEXT, "when" TEXT, who TEXT)'
            )
            conn.executemany("INSERT INTO contacts VALUES (?, ?, ?, ?, ?)", ROWS.rows())
        return {"kind": "sql", "url": "sqlite:///x.db", "table": "contacts", "chunk_size": 2}
    if kind == "sqlite-query":
        _write("sqlite-table", folder)
        return {
            "kind": "sql",
            "url": "sqlite:///x.db",
            "query": "SELECT * FROM contacts ORDER BY eid",
        }
    raise AssertionError(kind)


KINDS = [
    "csv",
    "csv-semicolon-cp1252",
    "csv-tab-bom",
    "parquet",
    "json",
    "ndjson",
    "excel",
    "sqlite-table",
    "sqlite-query",
]


@pytest.fixture(params=KINDS)
def source_kind(request: pytest.FixtureRequest) -> str:
    """Every file and database kind the adapters read."""
    return str(request.param)


def test_every_kind_gives_the_same_canonical_rows(
    source_kind: str, tmp_path: Path, write_mapping
) -> None:  # type: ignore[no-untyped-def]
    source = _write(source_kind, tmp_path)
    path = write_mapping(
        {"agency": "asc", "source": source, "events": EVENTS, "identifiers": {"given_name": "who"}}
    )
    result = ingest([path])
    events = result.events.sort("event_id")
    assert events.schema == schema.EVENTS
    assert events.get_column("activity").to_list() == ROWS.get_column("what").to_list()
    assert events.get_column("start").to_list() == EXPECTED_START
    assert result.identities.sort("person_ref").get_column("given_name").to_list() == [
        "Zoë Brontë",
        "Ann",
    ]
    assert result.accounts[0].read == 3 == result.accounts[0].loaded


def test_quoted_fields_with_newlines_keep_line_numbers(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "x.csv").write_text(
        'ref,eid,what,when,who\nP1,e1,"two\nlines",2024-07-01 10:00:00,A\nP1,e2,X,bad,A\n'
    )
    path = write_mapping(
        {"agency": "asc", "source": {"kind": "csv", "path": "x.csv"}, "events": EVENTS}
    )
    result = ingest([path])
    assert result.events.get_column("activity").to_list() == ["two\nlines"]
    assert result.quarantine.get_column(schema.ROW).to_list() == [
        4
    ]  # the line the record starts on


def test_broken_quoting_is_quarantined_line_by_line(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "x.csv").write_text(
        "ref,eid,what,when,who\n"
        "P1,e1,X,2024-07-01 10:00:00,A\n"
        'P1,e2,"broken,2024-07-01 10:00:00,A\n'
        "P1,e3,X,2024-07-01 10:00:00,A,extra\n"
        "P1,e4,X,2024-07-01 10:00:00,A\n"
    )
    path = write_mapping(
        {"agency": "asc", "source": {"kind": "csv", "path": "x.csv"}, "events": EVENTS}
    )
    result = ingest([path])
    assert result.events.get_column("event_id").to_list() == ["e1", "e4"]
    q = result.quarantine.sort(schema.ROW)
    assert q.get_column(schema.ROW).to_list() == [3, 4]
    assert "unclosed quote" in q.item(0, schema.REASON)
    assert "6 field(s)" in q.item(1, schema.REASON)
    assert q.get_column(schema.VALUE).null_count() == 2


def test_wrong_encoding_names_the_file_and_the_fix(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "x.csv").write_bytes(ROWS.write_csv().encode("cp1252"))
    path = write_mapping(
        {"agency": "asc", "source": {"kind": "csv", "path": "x.csv"}, "events": EVENTS}
    )
    with pytest.raises(SourceError, match=r"x\.csv is not valid UTF-8.*encoding: windows-1252"):
        ingest([path])


def test_missing_and_empty_files_name_the_file(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    path = write_mapping(
        {"agency": "asc", "source": {"kind": "csv", "path": "none.csv"}, "events": EVENTS}
    )
    with pytest.raises(SourceError, match=r"none\.csv does not exist"):
        ingest([path])
    (tmp_path / "empty.csv").write_text("")
    path = write_mapping(
        {"agency": "asc", "source": {"kind": "csv", "path": "empty.csv"}, "events": EVENTS}
    )
    with pytest.raises(SourceError, match=r"empty\.csv is empty"):
        ingest([path])
    (tmp_path / "header.csv").write_text("ref,eid,what,when,who\n")
    path = write_mapping(
        {"agency": "asc", "source": {"kind": "csv", "path": "header.csv"}, "events": EVENTS}
    )
    result = ingest([path])
    assert result.events.height == 0
    assert result.accounts[0].read == 0


def test_sql_password_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = parse_mapping(
        {
            "agency": "gp",
            "source": {
                "kind": "sql",
                "url": "postgresql+psycopg://u@127.0.0.1:1/db",
                "password_env": "JOURNEYS_TEST_PW",
                "table": "t",
            },
            "events": EVENTS,
        }
    )
    monkeypatch.delenv("JOURNEYS_TEST_PW", raising=False)
    with pytest.raises(SourceError, match="JOURNEYS_TEST_PW"):
        open_reader(mapping).columns()


def test_sql_unknown_table_gets_a_hint(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    _write("sqlite-table", tmp_path)
    path = write_mapping(
        {
            "agency": "gp",
            "source": {"kind": "sql", "url": "sqlite:///x.db", "table": "contact"},
            "events": EVENTS,
        }
    )
    with pytest.raises(SourceError, match="Did you mean: 'contacts'"):
        ingest([path])


def test_fhir_bundle_and_bulk_export_agree(tmp_path: Path) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}],
        "name": [{"use": "official", "family": "Smith", "given": ["Ann"]}],
        "gender": "female",
        "birthDate": "1950-02-01",
        "address": [{"postalCode": "AB1 2CD"}],
    }
    encounter = {
        "resourceType": "Encounter",
        "id": "enc1",
        "status": "finished",
        "class": {"code": "EMER"},
        "type": [{"coding": [{"code": "ARR", "display": "A&E arrival"}]}],
        "subject": {"reference": "Patient/p1"},
        "period": {"start": "2024-07-01T10:00:00+01:00", "end": "2024-07-01T12:00:00+01:00"},
        "episodeOfCare": [{"reference": "EpisodeOfCare/ep1"}],
    }
    episode = {
        "resourceType": "EpisodeOfCare",
        "id": "ep1",
        "status": "finished",
        "type": [{"coding": [{"code": "MH", "display": "Mental health episode"}]}],
        "patient": {"reference": "Patient/p1"},
        "period": {"start": "2024-07-01T09:00:00Z"},
    }
    import json

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (patient, encounter, episode)],
    }
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    bulk = tmp_path / "bulk"
    bulk.mkdir()
    (bulk / "Patient.ndjson").write_text(json.dumps(patient) + "\n")
    (bulk / "Encounter.ndjson").write_text(json.dumps(encounter) + "\n")
    (bulk / "EpisodeOfCare.ndjson").write_text(json.dumps(episode) + "\n")
    a = read_fhir(tmp_path / "bundle.json").sort("id")
    b = read_fhir(bulk).sort("id")
    assert a.equals(b)
    assert a.get_column("resourceType").to_list() == ["Encounter", "EpisodeOfCare"]
    row = a.row(0, named=True)
    assert (
        row["type.display"],
        row["patient.family"],
        row["patient.nhsNumber"],
        row["episodeOfCare.id"],
    ) == ("A&E arrival", "Smith", "9434765919", "ep1")
    people = read_fhir(bulk, patients=True)
    assert people.select("patient.id", "patient.gender").rows() == [("p1", "female")]


def test_ndjson_column_null_in_the_first_thousand_records_still_loads(tmp_path: Path) -> None:
    """Regression: type inference must read every record, not the first thousand."""
    import json as _json

    from journeys.adapters import ingest

    rows = [
        {"ref": f"p{i}", "what": "Visit", "when": "2025-01-02T10:00:00Z", "until": None}
        for i in range(1500)
    ]
    rows.append(
        {
            "ref": "p9999",
            "what": "Visit",
            "when": "2025-01-02T10:00:00Z",
            "until": "2025-01-03T10:00:00Z",
        }
    )
    (tmp_path / "x.ndjson").write_text("\n".join(_json.dumps(r) for r in rows) + "\n")
    (tmp_path / "x.yaml").write_text(
        "agency: x\nsource: {kind: ndjson, path: x.ndjson}\nevents:\n  person_ref: ref\n"
        "  activity: what\n  service: {constant: housing}\n"
        "  start: {column: when, format: '%Y-%m-%dT%H:%M:%SZ'}\n"
        "  end: {column: until, format: '%Y-%m-%dT%H:%M:%SZ'}\ntimezone: UTC\n"
    )
    result = ingest([tmp_path / "x.yaml"])
    assert result.events.height == 1501
    assert result.events.get_column("end").null_count() == 1500


def _sqlalchemy_batches(url: str, stmt: Any, chunk: int) -> list[pl.DataFrame]:
    """The oracle: SQLAlchemy's own rows (its result processors applied), chunk by chunk."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        result = conn.execute(stmt)
        names = list(result.keys())
        return [
            pl.DataFrame(
                [tuple(r) for r in part], schema=names, orient="row", infer_schema_length=None
            )
            for part in result.partitions(chunk)
        ]


def test_sqlite_rows_equal_sqlalchemys_typed_rows(tmp_path: Path) -> None:
    """Declared DATETIME/DATE/NUMERIC/BOOLEAN columns come out as SQLAlchemy converts them."""
    import sqlalchemy as sa

    from journeys.adapters.sql import SqlReader

    with sqlite3.connect(tmp_path / "t.db") as conn:
        conn.execute(
            "CREATE TABLE t (id TEXT, at DATETIME, born DATE, amount NUMERIC(10, 2), "
            "flag BOOLEAN, n INTEGER, x REAL, note TEXT)"
        )
        conn.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("a", "2024-07-01 10:00:00.000000", "1950-02-03", 1.5, 1, 3, 0.5, None),
                ("b", None, None, None, None, None, None, "x"),
                ("c", "2024-07-02 11:30:05.123456", "2001-12-31", 10, 0, 4, 2, "y"),
                ("d", "2024-07-03 00:00:00", "1999-01-01", 2.25, 1, None, None, None),
                ("e", "2024-07-04 08:00:00.5", "2010-06-15", 7, 0, 5, 1.25, "z"),
            ],
        )
    url = f"sqlite:///{tmp_path / 't.db'}"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    table = sa.Table("t", sa.MetaData(), autoload_with=engine)
    for stmt, reader in (
        (sa.select(table), SqlReader(url, source="t", table="t", chunk_size=2)),
        (
            sa.text("SELECT * FROM t ORDER BY id DESC"),
            SqlReader(url, source="t", query="SELECT * FROM t ORDER BY id DESC", chunk_size=2),
        ),
    ):
        ours = [b.data.drop(ROW) for b in reader.batches()]
        theirs = _sqlalchemy_batches(url, stmt, 2)
        assert len(ours) == len(theirs) == 3
        for mine, oracle in zip(ours, theirs, strict=True):
            assert mine.schema == oracle.schema
            assert mine.equals(oracle)
    batches = [b.data for b in SqlReader(url, source="t", table="t", chunk_size=2).batches()]
    assert batches[0].schema["at"] == pl.Datetime("us")  # converted, not left as text
    assert pl.concat([b.select(ROW) for b in batches]).to_series().to_list() == [1, 2, 3, 4, 5]


def test_fhir_export_is_parsed_once_and_reread_when_it_changes(tmp_path: Path) -> None:
    from journeys.adapters import fhir

    folder = tmp_path / "export"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Ng"}]}
    encounter = {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"}}
    (folder / "Patient.ndjson").write_text(json.dumps(patient) + "\n")
    (folder / "Encounter.ndjson").write_text(json.dumps(encounter) + "\n")
    events = read_fhir(folder)
    register = read_fhir(folder, patients=True)
    assert events.select("id", "patient.family").rows() == [("e1", "Ng")]
    assert register.select("id", "patient.family").rows() == [("p1", "Ng")]
    assert len(fhir._FLATTENED) == 1  # both came from one parse
    second = {"resourceType": "Patient", "id": "p2", "name": [{"family": "Okafor"}]}
    with (folder / "Patient.ndjson").open("a") as handle:
        handle.write(json.dumps(second) + "\n")
    assert read_fhir(folder, patients=True).get_column("id").to_list() == ["p1", "p2"]
    fhir.forget_exports()
    assert not fhir._FLATTENED


def test_ingest_keeps_no_fhir_export_in_memory(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    from journeys.adapters import fhir

    folder = tmp_path / "export"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01"}
    encounter = {
        "resourceType": "Encounter",
        "id": "e1",
        "subject": {"reference": "Patient/p1"},
        "type": [{"coding": [{"code": "x", "display": "Arrive"}]}],
        "period": {"start": "2024-07-01T10:00:00Z"},
    }
    (folder / "Patient.ndjson").write_text(json.dumps(patient) + "\n")
    (folder / "Encounter.ndjson").write_text(json.dumps(encounter) + "\n")
    path = write_mapping(
        {
            "agency": "acute",
            "source": {"kind": "fhir", "path": "export"},
            "events": {
                "person_ref": "patient.id",
                "event_id": "id",
                "activity": "type.display",
                "service": {"constant": "inpatient"},
                "start": "period.start",
            },
        }
    )
    result = ingest([path])
    assert result.events.get_column("activity").to_list() == ["Arrive"]
    assert not fhir._FLATTENED


@settings(max_examples=60, deadline=None)
@given(
    stamps=st.lists(
        st.one_of(
            st.none(),
            st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(
                lambda d: d.isoformat(sep=" ")
            ),
            st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
            st.sampled_from(
                ["2024-02-30 10:00:00", "2024-07-01T10:00:00", "2024-02-30", "20240701", ""]
            ),
        ),
        min_size=1,
        max_size=6,
    ),
    kind=st.sampled_from(["DATETIME", "DATE"]),
)
def test_sqlite_datetimes_equal_sqlalchemys(stamps: list[str | None], kind: str) -> None:
    """Whatever text a DATETIME or DATE column holds, the values are SQLAlchemy's, or text."""
    import tempfile

    import sqlalchemy as sa

    from journeys.adapters.sql import SqlReader

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "t.db"
        with sqlite3.connect(db) as conn:
            conn.execute(f"CREATE TABLE t (at {kind})")
            conn.executemany("INSERT INTO t VALUES (?)", [(s,) for s in stamps])
        url = f"sqlite:///{db}"
        table = sa.Table("t", sa.MetaData(), autoload_with=sa.create_engine(url))
        try:
            theirs: list[pl.DataFrame] | str = _sqlalchemy_batches(url, sa.select(table), 4)
        except (ValueError, TypeError) as error:  # SQLAlchemy's processors raise these
            theirs = f"{type(error).__name__}: {error}"
        reader = SqlReader(url, source="t", table="t", chunk_size=4)
        try:
            ours: list[pl.DataFrame] | str = [b.data.drop(ROW) for b in reader.batches()]
        except (ValueError, TypeError) as error:
            ours = f"{type(error).__name__}: {error}"
        if isinstance(theirs, str):
            # where SQLAlchemy cannot convert a value, its chunk stays text, so that the mapping
            # quarantines the rows it cannot parse by row number instead of the run failing
            assert isinstance(ours, list)
            assert sum(b.height for b in ours) == len(stamps)
            texts = [b for b in ours if b.schema["at"] == pl.String]
            assert texts
            assert all(v is None or v in stamps for b in texts for v in b.get_column("at"))
        else:
            assert isinstance(ours, list)
            assert len(ours) == len(theirs)
            for mine, oracle in zip(ours, theirs, strict=True):
                # a chunk with no value has no type row by row; read whole, it has the column's
                if oracle.schema["at"] == pl.Null:
                    assert mine.get_column("at").null_count() == mine.height
                    continue
                assert mine.schema == oracle.schema
                assert mine.equals(oracle)


def test_two_agencies_may_use_the_same_event_ids(tmp_path: Path) -> None:
    """Agency systems number events independently: a duplicate is within one agency only."""
    mappings = []
    for agency in ("ae", "gp"):
        (tmp_path / f"{agency}.csv").write_text(
            "id,ref,what,when\n1,p1,Visit,01/07/2024 10:00\n1,p2,Visit,01/07/2024 11:00\n"
            "2,p1,Visit,02/07/2024 10:00\n"
        )
        (tmp_path / f"{agency}.yaml").write_text(
            f"agency: {agency}\nsource: {{kind: csv, path: {agency}.csv}}\nevents:\n"
            "  event_id: id\n  person_ref: ref\n  activity: what\n"
            "  service: {constant: other}\n  start: {column: when, format: '%d/%m/%Y %H:%M'}\n"
        )
        mappings.append(tmp_path / f"{agency}.yaml")
    result = ingest(mappings)
    assert [(a.read, a.loaded, a.quarantined) for a in result.accounts] == [(3, 2, 1), (3, 2, 1)]
    assert result.events.height == 4
    assert set(result.quarantine.get_column("reason").str.contains("duplicate").to_list()) == {True}


def test_the_collector_is_paused_only_while_a_reader_parses() -> None:
    import gc

    from journeys.adapters._base import paused_gc

    def parse() -> None:
        with paused_gc():
            assert not gc.isenabled()
            raise RuntimeError

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        parse()
    assert gc.isenabled()  # back on, even after an error
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a caller's own pause is left as it was
    finally:
        gc.enable()
