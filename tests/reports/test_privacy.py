"""scan_for_identifiers finds planted identifiers in every file format, and nothing else."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.exceptions import DataError, SourceError
from journeys.reports import scan_for_identifiers
from journeys.schema import DATE_OF_BIRTH, FAMILY_NAME, GIVEN_NAME, PERSON_REF

from . import _fixtures as fx


def _kinds(folder: Path) -> list[tuple[str, str]]:
    return sorted((f.path.name, f.kind) for f in scan_for_identifiers(folder, fx.identities()))


def test_clean_folder_has_no_findings(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text(
        "One lane per agency. A kit of parts. Margery-like names in prose are fine.\n"
        "Events on 2025-02-03 and 03/02/2025; 1931 admissions; ref 0031337x9.\n",
        encoding="utf-8",
    )
    pl.DataFrame({"agency": ["ae"], "n": [17], "start": [fx.T0]}).write_parquet(
        tmp_path / "t.parquet"
    )
    assert _kinds(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.csv", "agency,born\nae,17/05/1931\n", "date_of_birth"),
        ("b.csv", "agency,born\nae,1931-05-17T00:00:00\n", "date_of_birth"),
        ("c.txt", "born 17 May 1931 at home", "date_of_birth"),
        ("d.txt", "id 19310517 x", "date_of_birth"),
        ("e.json", json.dumps({"surname": "Pennywhistle"}), "name"),
        ("f.html", "<table><tr><td>Kit</td></tr></table>", "name"),
        ("g.html", "<p>Seen: margery pennywhistle today</p>", "full_name"),
        ("h.log", "INFO moved to LS62QT", "postcode"),
        ("i.log", "INFO moved to bd7 1dp.", "postcode"),
        ("j.txt", "nhs 943-476-5919", "national_id"),
        ("k.txt", "nhs 4857773456", "national_id"),
        ("l.txt", "ref=acu-881273;", "person_ref"),
        ("m.txt", "HH0031337", "person_ref"),
    ],
)
def test_planted_identifier_found(tmp_path: Path, name: str, content: str, kind: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    findings = scan_for_identifiers(tmp_path, fx.identities())
    assert kind in {f.kind for f in findings}
    for f in findings:  # findings do not repeat the identifier
        assert "Pennywhistle" not in f.hint
        assert "1931" not in f.hint


def test_binary_formats_are_opened(tmp_path: Path) -> None:
    pl.DataFrame({"who": ["Oyelaran"], "blob": [b"Oyelaran"]}).write_parquet(tmp_path / "p.parquet")
    (tmp_path / "z.csv.gz").write_bytes(gzip.compress(b"x,PRB-556677\n"))
    pl.DataFrame({"cell": ["Harrowgate"]}).write_excel(tmp_path / "x.xlsx")
    found = _kinds(tmp_path)
    assert ("p.parquet", "name") in found
    assert ("z.csv.gz", "person_ref") in found
    assert ("x.xlsx", "name") in found
    where = {f.location for f in scan_for_identifiers(tmp_path, fx.identities())}
    assert "column 'who' line 1" in where  # binary column 'blob' is not read


dob_formats = st.sampled_from(
    [
        "%Y-%m-%d",
        "%d/%m/%Y",
        "%d-%m-%Y",
        "%d.%m.%Y",
        "%Y%m%d",
        "%d %B %Y",
        "%d %b %Y",
        "%Y/%m/%d",
        "%B %d, %Y",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.dates(dt.date(1920, 1, 1), dt.date(2010, 12, 31)), fmt=dob_formats)
def test_any_date_of_birth_format_is_found(tmp_path: Path, day: dt.date, fmt: str) -> None:
    ids = pl.DataFrame(
        {
            PERSON_REF: ["Q-1234567"],
            GIVEN_NAME: ["Zed"],
            FAMILY_NAME: ["Quill"],
            DATE_OF_BIRTH: [day],
        }
    )
    out = tmp_path / "dob"
    out.mkdir(exist_ok=True)
    (out / "f.txt").write_text(f"value: {day.strftime(fmt)} ok", encoding="utf-8")
    assert [f.kind for f in scan_for_identifiers(out, ids)] == ["date_of_birth"]


def test_short_references_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a.txt").write_text("12", encoding="utf-8")
    ids = pl.DataFrame({PERSON_REF: ["12"], GIVEN_NAME: ["Zed"]})
    with caplog.at_level(logging.WARNING, logger="journeys"):
        assert scan_for_identifiers(tmp_path, ids) == []
    assert "shorter than 5" in caplog.text


def test_ignore_values_for_vocabulary(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("activity\nReview\n", encoding="utf-8")
    ids = pl.DataFrame({PERSON_REF: ["GP-99999"], FAMILY_NAME: ["Review"]})
    assert len(scan_for_identifiers(tmp_path, ids)) == 1
    assert scan_for_identifiers(tmp_path, ids, ignore_values=["review"]) == []


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="nope"):
        scan_for_identifiers(tmp_path / "nope", fx.identities())
    with pytest.raises(DataError, match="no rows"):
        scan_for_identifiers(tmp_path, fx.identities().head(0))


def test_markup_tag_names_are_not_names(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<head></head><body><td>Head</td></body>", encoding="utf-8")
    ids = pl.DataFrame({PERSON_REF: ["GP-99999"], FAMILY_NAME: ["Head"]})
    findings = scan_for_identifiers(tmp_path, ids)
    assert len(findings) == 1  # the cell, not the tags


def test_digits_inside_a_hex_pseudonym_are_not_a_date_of_birth(tmp_path: Path) -> None:
    """Regression: a 32-hex pseudonym can hold eight digits that spell a date of birth."""
    ids = pl.DataFrame(
        {
            PERSON_REF: ["Q-1234567"],
            GIVEN_NAME: ["Zed"],
            FAMILY_NAME: ["Quill"],
            DATE_OF_BIRTH: [dt.date(1950, 3, 12)],
        }
    )
    pl.DataFrame({PERSON_REF: ["a3f19500312bc4d5e6f7a8b9c0d1e2f3"]}).write_parquet(
        tmp_path / "pseudonyms.parquet"
    )
    assert scan_for_identifiers(tmp_path, ids) == []
    (tmp_path / "plain.txt").write_text("born 19500312\n", encoding="utf-8")
    assert [f.kind for f in scan_for_identifiers(tmp_path, ids)] == ["date_of_birth"]
