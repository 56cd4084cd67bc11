"""The encode, link and evaluate-linkage commands, end to end on FEBRL4 files."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from journeys import schema as s
from journeys.cli import main
from journeys.linkage import write_schema, write_settings
from journeys.linkage.datasets import febrl4_schema
from journeys.linkage.settings import LinkageSettings


@pytest.fixture
def files(tmp_path: Path, febrl: tuple[pl.DataFrame, pl.DataFrame]) -> dict[str, Path]:
    ids, truth = febrl
    paths = {
        "a": tmp_path / "a.parquet",
        "b": tmp_path / "b.parquet",
        "truth": tmp_path / "truth.parquet",
        "schema": tmp_path / "schema.json",
        "settings": tmp_path / "settings.json",
        "key": tmp_path / "secret.key",
    }
    ids.filter(pl.col(s.AGENCY) == "febrl_a").write_parquet(paths["a"])
    ids.filter(pl.col(s.AGENCY) == "febrl_b").write_parquet(paths["b"])
    truth.write_parquet(paths["truth"])
    write_schema(febrl4_schema(), paths["schema"])
    write_settings(LinkageSettings(one_to_one=True, within_agency=False), paths["settings"])
    paths["key"].write_text("a shared secret for the cli test\n")
    return paths


def test_encode_link_evaluate(
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JOURNEYS_LINKAGE_SECRET", raising=False)
    for side in ("a", "b"):
        code = main(
            [
                "encode",
                str(files[side]),
                "--out",
                str(tmp_path / f"enc_{side}.parquet"),
                "--schema",
                str(files["schema"]),
                "--secret-file",
                str(files["key"]),
            ]
        )
        assert code == 0
    cw = tmp_path / "crosswalk.parquet"
    model = tmp_path / "model.json"
    assert (
        main(
            [
                "link",
                str(tmp_path / "enc_a.parquet"),
                str(tmp_path / "enc_b.parquet"),
                "--out",
                str(cw),
                "--settings",
                str(files["settings"]),
                "--save-model",
                str(model),
            ]
        )
        == 0
    )
    s.validate_crosswalk(pl.read_parquet(cw))
    assert json.loads(model.read_text())["kind"] == "fellegi_sunter"
    monkeypatch.setenv("JOURNEYS_LINKAGE_SECRET", files["key"].read_text().strip())
    capsys.readouterr()
    assert (
        main(["evaluate-linkage", str(cw), "--truth", str(files["truth"]), "--pseudonymise-truth"])
        == 0
    )
    out = capsys.readouterr().out
    precision = float(
        next(line for line in out.splitlines() if line.strip().startswith("precision:")).split(":")[
            1
        ]
    )
    assert precision >= 0.999


def test_encode_without_secret_fails_clearly(
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JOURNEYS_LINKAGE_SECRET", raising=False)
    out = tmp_path / "enc.parquet"
    assert (
        main(["encode", str(files["a"]), "--out", str(out), "--schema", str(files["schema"])]) == 1
    )
    assert "JOURNEYS_LINKAGE_SECRET is not set" in capsys.readouterr().err
    assert not out.exists()


def test_the_secret_cannot_be_given_on_the_command_line(files: dict[str, Path]) -> None:
    with pytest.raises(SystemExit):
        main(["encode", str(files["a"]), "--out", "x.parquet", "--secret", "abc"])
