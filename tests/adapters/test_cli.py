"""``journeys ingest``: writes the three tables and prints the accounting."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from journeys import schema
from journeys.cli import main


def test_ingest_command_writes_tables_and_accounting(
    tmp_path: Path, write_mapping, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ae.csv").write_text("id,what,when\n1,Arrive,01/07/2024 10:00\n2,Arrive,nonsense\n")
    path = write_mapping(
        {
            "agency": "ae",
            "source": {"kind": "csv", "path": "ae.csv"},
            "events": {
                "person_ref": "id",
                "activity": "what",
                "service": {"constant": "emergency_care"},
                "start": {"column": "when", "format": "%d/%m/%Y %H:%M"},
            },
        }
    )
    out = tmp_path / "out"
    assert main(["ingest", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "read" in printed
    assert "quarantined" in printed
    # source, agency, read, loaded, quarantined, filtered
    assert printed.splitlines()[1].split() == ["source", "ae", "2", "1", "1", "0"]
    assert pl.read_parquet(out / "events.parquet").schema == schema.EVENTS
    assert pl.read_parquet(out / "quarantine.parquet").height == 1
    assert pl.read_parquet(out / "identities.parquet").schema == schema.IDENTITIES


def test_ingest_command_reports_mapping_errors(
    tmp_path: Path, write_mapping, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    path = write_mapping({"agency": "ae", "source": {"kind": "csv"}})
    assert main(["ingest", str(path), "--out", str(tmp_path / "o")]) == 1
    assert "source.path" in capsys.readouterr().err
