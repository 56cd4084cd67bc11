"""SQLite tables read in one columnar pass give the rows the row-by-row reader gives."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from journeys.adapters.sql import SqlReader
from journeys.exceptions import SourceError

DECLARED = {
    "TEXT": ["a", "Zoë", "", "5"],
    "INTEGER": [1, -7, 9223372036854775807],
    "INT": [3],
    "BIGINT": [2**40],
    "REAL": [1.5, 2, -0.0],
    "FLOAT": [2.5],
    "DOUBLE": [3.25],
    "DATETIME": ["2024-07-01 10:00:00.000000", "2024-07-01T10:00:00", "2024-12-31 23:59:59"],
    "TIMESTAMP": ["2024-07-01 10:00:00"],
    "DATE": ["2024-07-01", "1900-02-28"],
    "TIME": ["10:00:00"],
    "BOOLEAN": [0, 1, 2],
    "BLOB": [b"\x00\xff"],
    "VARCHAR(10)": ["v"],
    "CHAR(3)": ["abc"],
}


def _table(db: Path, name: str, declared: dict[str, str], rows: list[tuple[Any, ...]]) -> None:
    with sqlite3.connect(db) as conn:
        columns = ", ".join(f'"{c}" {t}' for c, t in declared.items())
        conn.execute(f'CREATE TABLE "{name}" ({columns})')
        marks = ", ".join("?" for _ in declared)
        conn.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
    conn.close()


def _both(db: Path, table: str) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """(the columnar read or None, the row-by-row read), each with its row numbers."""
    reader = SqlReader(f"sqlite:///{db}", source="s", table=table)  # one batch
    names = reader.columns()
    engine = reader._connect()
    columnar = reader._sqlite_columnar(engine, names)
    rows = pl.concat([b.data for b in reader._sqlite_batches(engine, names)], how="vertical")
    return columnar, rows


@pytest.mark.parametrize("declared", list(DECLARED))
def test_each_declared_type_reads_the_same_both_ways(tmp_path: Path, declared: str) -> None:
    db = tmp_path / "with space.sqlite"
    values: list[Any] = [None, *DECLARED[declared], None]
    _table(db, "t", {"c": declared}, [(v,) for v in values])
    columnar, rows = _both(db, "t")
    assert columnar is not None  # the columnar path applies to every type listed
    assert_frame_equal(columnar, rows.drop("__row__"))
    read = pl.concat(
        [
            b.data
            for b in SqlReader(f"sqlite:///{db}", source="s", table="t", chunk_size=2).batches()
        ]
    )
    assert_frame_equal(read, rows)  # row numbers 1..n in rowid order, in chunks of two
    assert read.get_column("__row__").to_list() == list(range(1, len(values) + 1))


# values of every storage class, so that some do not fit their column's declared type
ANY_VALUE = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["2024-07-01 10:00:00", "2024-07-01", "2024-02-30 10:00:00", "x", "1"]),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(str),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    types=st.lists(
        st.sampled_from(["TEXT", "INTEGER", "REAL", "DATETIME", "DATE", "BOOLEAN"]),
        min_size=1,
        max_size=3,
    ),
    data=st.data(),
)
def test_any_table_reads_the_same_or_falls_back(
    tmp_path_factory: pytest.TempPathFactory, types: list[str], data: st.DataObject
) -> None:
    db = tmp_path_factory.mktemp("db") / "t.sqlite"
    fits = {
        "TEXT": st.one_of(st.none(), st.text(max_size=6)),
        "INTEGER": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
        "REAL": st.one_of(st.none(), st.floats(allow_nan=False)),
        "DATETIME": st.one_of(st.none(), st.datetimes().map(lambda d: d.isoformat(" "))),
        "DATE": st.one_of(st.none(), st.dates().map(str)),
        "BOOLEAN": st.one_of(st.none(), st.integers(0, 1)),
    }
    # mostly values that fit, sometimes any value at all
    cell = {t: st.one_of(fits[t], fits[t], fits[t], ANY_VALUE) for t in types}
    rows = data.draw(st.lists(st.tuples(*(cell[t] for t in types)), max_size=8))
    _table(db, "t", {f"c{i}": t for i, t in enumerate(types)}, rows)
    try:
        columnar, by_row = _both(db, "t")
    except SourceError:
        return  # the row-by-row reader refuses the table; the columnar one must not be used
    if columnar is not None:
        assert_frame_equal(columnar, by_row.drop("__row__"))


def test_tables_it_does_not_read_go_row_by_row(tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    _table(db, "money", {"amount": "NUMERIC"}, [(1.25,), (None,)])
    _table(db, "loose", {"anything": ""}, [(1,), ("x",)])
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE keyed (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID")
        conn.execute("INSERT INTO keyed VALUES ('a', 'b')")
    conn.close()
    for table in ("money", "loose", "keyed"):
        columnar, rows = _both(db, table)
        assert columnar is None
        assert rows.height == (1 if table == "keyed" else 2)
    query = SqlReader(f"sqlite:///{db}", source="s", query="SELECT * FROM money")
    assert query._sqlite_columnar(query._connect(), query.columns()) is None


def test_a_value_that_does_not_fit_falls_back_to_the_rows(tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    # text in an INTEGER column: SQLAlchemy returns it as it is
    _table(db, "t", {"n": "INTEGER"}, [(1,), ("abc",)])
    columnar, rows = _both(db, "t")
    assert columnar is None
    read = pl.concat(
        [b.data for b in SqlReader(f"sqlite:///{db}", source="s", table="t").batches()]
    )
    assert read.get_column("n").to_list() == ["1", "abc"] == rows.get_column("n").to_list()


def test_a_date_sqlalchemy_cannot_read_is_quarantined_by_row(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    from journeys.adapters import ingest

    db = tmp_path / "gp.sqlite"
    rows = [
        ("p1", "e1", "2024-07-01 10:00:00"),
        ("p1", "e2", "2024-02-30 09:00:00"),
        ("p2", "e3", "2024-07-02 11:00:00"),
    ]
    _table(db, "visits", {"who": "TEXT", "eid": "TEXT", "at": "DATETIME"}, rows)
    path = write_mapping(
        {
            "agency": "gp",
            "source": {"kind": "sql", "url": "sqlite:///gp.sqlite", "table": "visits"},
            "events": {
                "person_ref": "who",
                "event_id": "eid",
                "activity": {"constant": "GP appointment"},
                "service": {"constant": "primary_care"},
                "start": "at",
            },
        }
    )
    result = ingest([path])
    (account,) = result.accounts
    assert (account.read, account.loaded, account.quarantined) == (3, 2, 1)
    bad = result.quarantine.row(0, named=True)
    assert (bad["row"], bad["column"]) == (2, "at")


def test_a_table_over_the_columnar_limit_is_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from journeys.adapters import sql

    db = tmp_path / "t.sqlite"
    _table(db, "t", {"n": "INTEGER"}, [(i,) for i in range(5)])
    assert _both(db, "t")[0] is not None
    monkeypatch.setattr(sql, "COLUMNAR_MAX_ROWS", 4)
    columnar, rows = _both(db, "t")
    assert columnar is None
    assert rows.get_column("n").to_list() == [0, 1, 2, 3, 4]
