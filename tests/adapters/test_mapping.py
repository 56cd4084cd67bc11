"""The mapping language: validation reports every problem at once, with file, key and hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.adapters import ingest, load_mapping, parse_mapping
from journeys.adapters.mapping import did_you_mean
from journeys.exceptions import MappingError

BASE = {
    "agency": "ae",
    "source": {"kind": "csv", "path": "ae.csv"},
    "events": {
        "person_ref": "id",
        "activity": "what",
        "service": {"constant": "emergency_care"},
        "start": {"column": "when", "format": "%d/%m/%Y %H:%M"},
    },
}


def test_valid_mapping_round_trips_through_yaml(tmp_path: Path) -> None:
    mapping = parse_mapping(
        {
            **BASE,
            "timezone": "Europe/Paris",
            "identifiers": {"given_name": "forename", "sex": {"column": "g", "map": {"1": "M"}}},
            "filters": [{"column": "status", "op": "!=", "value": "cancelled"}],
        },
        base=tmp_path,
        name="ae",
    )
    saved = mapping.save(tmp_path / "ae.yaml")
    again = load_mapping(saved)
    assert again.to_dict() == mapping.to_dict()
    assert again.identifiers["sex"].map == {"1": "M"}
    assert again.timezone == "Europe/Paris"


def test_every_problem_is_reported_at_once_with_hints() -> None:
    bad = {
        "agncy": "ae",
        "source": {"kind": "cvs", "path": "x.csv"},
        "timezone": "Europe/Londn",
        "events": {
            "person_ref": "id",
            "activty": "what",
            "service": {"constant": "emergency"},
            "start": {"column": "when", "format": "%d/%m/%Q"},
        },
    }
    with pytest.raises(MappingError) as info:
        parse_mapping(bad, origin="ae.yaml")
    text = str(info.value)
    assert text.startswith("ae.yaml has")
    problems = info.value.problems
    assert any("agncy" in p and "Did you mean: 'agency'" in p for p in problems)
    assert any("source.kind" in p and "Did you mean: 'csv'" in p for p in problems)
    assert any("timezone" in p and "Europe/London" in p for p in problems)
    assert any("events.activty" in p and "Did you mean: 'activity'" in p for p in problems)
    assert any("events.service" in p and "emergency_care" in p for p in problems)
    assert any("events.start.format" in p and "%Q" in p for p in problems)
    assert len(problems) >= 6


def test_password_in_url_is_refused() -> None:
    data = {**BASE, "source": {"kind": "sql", "url": "postgresql://u:secret@h/db", "table": "t"}}
    with pytest.raises(MappingError, match="password_env"):
        parse_mapping(data)


def test_table_and_query_are_exclusive() -> None:
    data = {
        **BASE,
        "source": {"kind": "sql", "url": "sqlite:///x.db", "table": "t", "query": "select 1"},
    }
    with pytest.raises(MappingError, match="exactly one"):
        parse_mapping(data)


def test_missing_column_fails_before_rows_are_read(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    # the second line is not valid UTF-8: reading rows would fail, the column check comes first
    (tmp_path / "ae.csv").write_bytes(b"id,what,admit_date\n1,x,\xff\n")
    data = {
        **BASE,
        "events": {**BASE["events"], "start": {"column": "admit_dt", "format": "%d/%m/%Y"}},
    }
    path = write_mapping(
        {**data, "source": {"kind": "csv", "path": "ae.csv", "encoding": "windows-1252"}}
    )
    with pytest.raises(MappingError) as info:
        ingest([path])
    message = str(info.value)
    assert str(path) in message
    assert "Column 'admit_dt' was not found in ae.csv" in message
    assert "Did you mean: 'admit_date'?" in message


def test_problems_of_several_files_are_reported_together(tmp_path: Path, write_mapping) -> None:  # type: ignore[no-untyped-def]
    one = write_mapping({**BASE, "source": {"kind": "csv"}}, "one")
    two = write_mapping({"agency": "x"}, "two")
    with pytest.raises(MappingError) as info:
        ingest([one, two])
    text = str(info.value)
    assert "one.yaml: source.path" in text
    assert "two.yaml: source: required" in text


def test_did_you_mean_is_empty_when_nothing_is_close() -> None:
    assert did_you_mean("zzz", ["agency", "events"]) == ""


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("agency: [unclosed\n")
    with pytest.raises(MappingError, match=r"bad\.yaml"):
        load_mapping(path)
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping(tmp_path / "nope.yaml")


def test_identities_table_mapping_needs_no_events() -> None:
    m = parse_mapping(
        {
            "agency": "gp",
            "table": "identities",
            "source": {"kind": "csv", "path": "p.csv"},
            "events": {"person_ref": "id"},
            "identifiers": {"family_name": "surname"},
        }
    )
    assert m.table == "identities"
    with pytest.raises(MappingError, match="reads only person_ref"):
        parse_mapping({**m.to_dict(), "events": {"person_ref": "id", "activity": "a"}})


def test_shipped_mappings_are_valid() -> None:
    from tests.conftest import ROOT

    paths = sorted((ROOT / "adapters").rglob("*.yaml"))
    assert len(paths) >= 30
    for path in paths:
        load_mapping(path)  # raises MappingError listing every problem
