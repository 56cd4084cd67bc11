"""``journeys mine discover`` and ``journeys mine check`` end to end on small files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from journeys.cli import main
from journeys.mining import read_model


@pytest.fixture
def events(tmp_path: Path) -> Path:
    base = datetime(2025, 3, 3, tzinfo=UTC)
    paths = {
        1: [
            ("probation", "Release from custody"),
            ("probation", "Probation induction"),
            ("open_door", "Housing referral"),
            ("open_door", "Housing assessment"),
            ("probation", "Probation supervision"),
        ],
        2: [
            ("probation", "Release from custody"),
            ("probation", "Probation induction"),
            ("open_door", "Housing referral"),
            ("safe_steps", "Housing referral"),
            ("open_door", "Housing assessment"),
            ("probation", "Probation supervision"),
        ],
        3: [("police", "Police contact")],
    }
    rows = [
        {"person_id": p, "agency": a, "activity": act, "start": base + timedelta(days=7 * p + i)}
        for p, steps in paths.items()
        for i, (a, act) in enumerate(steps)
    ]
    path = tmp_path / "journeys.parquet"
    pl.DataFrame(rows).write_parquet(path)
    return path


def test_mine_check_writes_fitness_and_deviations(
    events: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    to_be = Path(__file__).resolve().parents[2] / "examples" / "to_be.bpmn"
    out = tmp_path / "check"
    assert (
        main(
            [
                "mine",
                "check",
                str(events),
                "--model",
                str(to_be),
                "--out",
                str(out),
                "--processes",
                "1",
            ]
        )
        == 0
    )
    fitness = pl.read_csv(out / "fitness.csv")
    assert dict(fitness.select("person_id", "fitness").iter_rows())[1] == 1.0
    deviations = pl.read_csv(out / "deviations.csv")
    assert deviations.select("person_id", "kind", "activity", "agency").rows() == [
        (2, "inserted", "Housing referral", "safe_steps")
    ]
    assert (out / "weekly.csv").is_file()
    assert "3 journeys" in capsys.readouterr().out


def test_mine_discover_writes_maps_and_models(events: Path, tmp_path: Path) -> None:
    out = tmp_path / "discover"
    assert main(["mine", "discover", str(events), "--out", str(out), "--noise", "0"]) == 0
    edges = pl.read_csv(out / "edges.csv")
    assert edges.filter(pl.col("source") == "Release from custody").get_column(
        "events"
    ).to_list() == [2]
    assert read_model(out / "model.pnml").activities == read_model(out / "model.bpmn").activities
    quality = json.loads((out / "quality.json").read_text())
    assert quality["fitness"] == 1.0


def test_mine_reports_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mine", "discover", str(tmp_path / "none.parquet"), "--out", str(tmp_path)])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


def test_settings_round_trip_and_report_every_problem(tmp_path: Path) -> None:
    from journeys.exceptions import ConfigError
    from journeys.mining import MiningSettings

    settings = MiningSettings(noise_threshold=0.1, top_variants=5, conformance="token_replay")
    assert MiningSettings.from_toml(settings.to_toml(tmp_path / "mining.toml")) == settings
    with pytest.raises(ConfigError) as caught:
        MiningSettings(noise_threshold=1.0, path_coverage=0, processes=0)
    assert len(caught.value.problems) == 3
