"""Deriving canonical columns: time zones and DST, codes, quarantine reasons, privacy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from journeys import schema
from journeys.adapters import ingest

UTC = dt.UTC


def _csv(tmp_path: Path, text: str, name: str = "src.csv") -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")


def _events(**extra: object) -> dict[str, object]:
    events: dict[str, object] = {
        "person_ref": "id",
        "event_id": "eid",
        "activity": "what",
        "service": {"constant": "emergency_care"},
        "start": {"column": "when", "format": "%d/%m/%Y %H:%M"},
    }
    events.update(extra)
    return events


def test_london_times_are_stored_in_utc_across_dst(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    _csv(
        tmp_path,
        "id,eid,what,when,clock\n"
        "1,a,Arrive,15/01/2024 10:00,GMT\n"  # winter: UTC+0
        "1,b,Arrive,15/07/2024 10:00,BST\n"  # summer: UTC+1
        "1,c,Arrive,31/03/2024 01:30,GMT\n"  # the hour that never happened
        "1,d,Arrive,27/10/2024 01:30,BST\n"  # the repeated hour, first time round
        "1,e,Arrive,27/10/2024 01:30,GMT\n",  # ... and second time round
    )
    spec = {
        "column": "when",
        "format": "%d/%m/%Y %H:%M",
        "ambiguous": {"column": "clock", "map": {"BST": "earliest", "GMT": "latest"}},
    }
    path = write_mapping(
        {
            "agency": "ae",
            "source": {"kind": "csv", "path": "src.csv"},
            "events": _events(start=spec),
        }
    )
    result = ingest([path])
    got = dict(result.events.select("event_id", "start").iter_rows())
    assert got == {
        "a": dt.datetime(2024, 1, 15, 10, 0, tzinfo=UTC),
        "b": dt.datetime(2024, 7, 15, 9, 0, tzinfo=UTC),
        "d": dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
        "e": dt.datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
    }
    assert result.events.schema[schema.START] == schema.TIMESTAMP
    (row,) = result.quarantine.rows(named=True)
    assert row[schema.ROW] == 4
    assert "does not exist" in row[schema.REASON]
    assert result.accounts[0].read == 5
    assert result.accounts[0].loaded == 4


def test_ambiguous_null_quarantines_the_repeated_hour(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    _csv(tmp_path, "id,eid,what,when\n1,d,Arrive,27/10/2024 01:30\n1,e,Arrive,27/10/2024 03:30\n")
    spec = {"column": "when", "format": "%d/%m/%Y %H:%M", "ambiguous": "null"}
    path = write_mapping(
        {
            "agency": "ae",
            "source": {"kind": "csv", "path": "src.csv"},
            "events": _events(start=spec),
        }
    )
    result = ingest([path])
    assert result.events.get_column("event_id").to_list() == ["e"]
    assert result.quarantine.get_column(schema.ROW).to_list() == [2]


def test_codes_map_to_activity_and_service_with_unknowns_quarantined(
    tmp_path: Path, write_mapping
) -> None:  # type: ignore[no-untyped-def]
    _csv(
        tmp_path,
        "id,eid,code,when\n1,a,A01,01/07/2024 10:00\n"
        "1,b,ZZ9,01/07/2024 11:00\n1,c,,01/07/2024 12:00\n",
    )
    events = _events()
    del events["activity"], events["service"]
    codes = {
        "column": "code",
        "map": {"A01": {"activity": "A&E arrival", "service": "emergency_care"}},
    }
    path = write_mapping(
        {
            "agency": "ae",
            "source": {"kind": "csv", "path": "src.csv"},
            "events": events,
            "codes": codes,
        }
    )
    result = ingest([path])
    assert result.events.select("activity", "service").row(0) == ("A&E arrival", "emergency_care")
    q = result.quarantine.sort(schema.ROW)
    assert "unknown code" in q.item(0, schema.REASON)
    assert q.item(0, schema.VALUE) == "ZZ9"
    assert "missing code" in q.item(1, schema.REASON)
    # with a fallback nothing is quarantined
    codes["fallback"] = {"activity": "Other contact", "service": "other"}
    path = write_mapping(
        {
            "agency": "ae",
            "source": {"kind": "csv", "path": "src.csv"},
            "events": events,
            "codes": codes,
        }
    )
    result = ingest([path])
    assert result.events.get_column("activity").to_list() == [
        "A&E arrival",
        "Other contact",
        "Other contact",
    ]


def test_identifier_values_never_reach_quarantine(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    _csv(
        tmp_path,
        "id,eid,what,when,forename,dob,nhs\n"
        "1,a,Arrive,01/07/2024 10:00,Alice,31/02/1950,9434765919\n"
        "2,b,Arrive,not a date,Bob,01/01/1960,9434765870\n",
    )
    identifiers = {
        "given_name": "forename",
        "date_of_birth": {"column": "dob", "format": "%d/%m/%Y"},
        "national_id": "nhs",
    }
    path = write_mapping(
        {
            "agency": "ae",
            "source": {"kind": "csv", "path": "src.csv"},
            "events": _events(),
            "identifiers": identifiers,
        }
    )
    result = ingest([path])
    q = result.quarantine.sort(schema.ROW)
    assert q.get_column(schema.COLUMN).to_list() == ["dob", "when"]
    assert q.get_column(schema.VALUE).to_list() == [None, "not a date"]
    text = q.write_csv()
    for secret in ("Alice", "Bob", "31/02/1950", "9434765919"):
        assert secret not in text


def test_duplicate_event_ids_are_quarantined_across_sources(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    _csv(tmp_path, "id,eid,what,when\n1,a,X,01/07/2024 10:00\n1,a,Y,01/07/2024 11:00\n", "one.csv")
    _csv(tmp_path, "id,eid,what,when\n2,a,Z,01/07/2024 12:00\n2,b,Z,01/07/2024 12:00\n", "two.csv")
    one = write_mapping(
        {
            "agency": "ae",
            "name": "one",
            "source": {"kind": "csv", "path": "one.csv"},
            "events": _events(),
        },
        "one",
    )
    two = write_mapping(
        {
            "agency": "ae",  # a second extract of the same agency: its ids clash with the first
            "name": "two",
            "source": {"kind": "csv", "path": "two.csv"},
            "events": _events(),
        },
        "two",
    )
    result = ingest([one, two])
    assert result.events.select("event_id", "activity").rows() == [("a", "X"), ("b", "Z")]
    dupes = result.quarantine.sort(schema.SOURCE, schema.ROW)
    assert dupes.select(schema.SOURCE, schema.ROW).rows() == [("one", 3), ("two", 2)]
    assert all("first loaded from one row 2" in r for r in dupes.get_column(schema.REASON))
    assert [(a.read, a.loaded, a.quarantined) for a in result.accounts] == [(2, 1, 1), (2, 1, 1)]


def test_end_before_start_and_bad_service_are_quarantined(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    _csv(
        tmp_path,
        "id,eid,what,when,until,svc\n"
        "1,a,X,01/07/2024 10:00,01/07/2024 09:00,emergency_care\n"
        "1,b,X,01/07/2024 10:00,,hospital\n"
        "1,c,X,01/07/2024 10:00,01/07/2024 12:00,emergency_care\n",
    )
    events = _events(end={"column": "until", "format": "%d/%m/%Y %H:%M"}, service="svc")
    path = write_mapping(
        {"agency": "ae", "source": {"kind": "csv", "path": "src.csv"}, "events": events}
    )
    result = ingest([path])
    assert result.events.get_column("event_id").to_list() == ["c"]
    reasons = result.quarantine.sort(schema.ROW).get_column(schema.REASON).to_list()
    assert "ends before it starts" in reasons[0]
    assert "not a service" in reasons[1]
    assert result.quarantine.sort(schema.ROW).get_column(schema.VALUE).to_list()[1] == "hospital"
    schema.validate_events(result.events)


def test_filters_are_counted_apart(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    _csv(
        tmp_path,
        "id,eid,what,when,status\n1,a,X,01/07/2024 10:00,ok\n1,b,X,01/07/2024 10:00,cancelled\n",
    )
    path = write_mapping(
        {
            "agency": "ae",
            "source": {"kind": "csv", "path": "src.csv"},
            "events": _events(),
            "filters": [{"column": "status", "op": "not_in", "value": ["cancelled"]}],
        }
    )
    (account,) = ingest([path]).accounts
    assert (account.read, account.loaded, account.quarantined, account.filtered) == (2, 1, 0, 1)


def test_concat_constant_and_value_map(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    _csv(tmp_path, "site,num,what,when,res\nRX,1,adm,01/07/2024 10:00,w1\n")
    events = _events(
        person_ref={"concat": ["site", "num"], "separator": "-"},
        event_id={"concat": ["site", "num", "when"]},
        activity={"column": "what", "map": {"adm": "Emergency admission"}},
        resource={"column": "res", "map": {"w9": "Ward 9"}, "fallback": "other ward"},
    )
    path = write_mapping(
        {"agency": "acute", "source": {"kind": "csv", "path": "src.csv"}, "events": events}
    )
    row = ingest([path]).events.row(0, named=True)
    assert row["person_ref"] == "RX-1"
    assert row["event_id"] == "RX101/07/2024 10:00"
    assert row["activity"] == "Emergency admission"
    assert row["resource"] == "other ward"


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("2024-07-01T10:00:00+02:00", None, dt.datetime(2024, 7, 1, 8, 0, tzinfo=UTC)),
        ("2024-07-01T10:00:00Z", None, dt.datetime(2024, 7, 1, 10, 0, tzinfo=UTC)),
        ("2024-07-01 10:00:00", None, dt.datetime(2024, 7, 1, 9, 0, tzinfo=UTC)),
        ("01-07-2024 10:00 +0000", "%d-%m-%Y %H:%M %z", dt.datetime(2024, 7, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_iso_and_offset_formats(
    tmp_path: Path, write_mapping, text: str, fmt: str | None, expected: dt.datetime
) -> None:  # type: ignore[no-untyped-def]
    pl.DataFrame({"id": ["1"], "eid": ["a"], "what": ["X"], "when": [text]}).write_csv(
        tmp_path / "src.csv"
    )
    spec = {"column": "when", "format": fmt} if fmt else "when"
    path = write_mapping(
        {
            "agency": "ae",
            "source": {"kind": "csv", "path": "src.csv"},
            "events": _events(start=spec),
        }
    )
    assert ingest([path]).events.get_column("start").item() == expected
