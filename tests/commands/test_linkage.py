"""``journeys encode`` with a clkhash v3 linkage schema."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from journeys import schema as s
from journeys.cli import main
from journeys.linkage import default_schema, write_schema


def _feature(identifier: str, comparison: dict[str, Any], fmt: str = "string") -> dict[str, Any]:
    return {
        "identifier": identifier,
        "format": {"type": fmt},
        "hashing": {
            "comparison": comparison,
            "strategy": {"bitsPerToken": 20},
            "hash": {"type": "doubleHash"},
        },
    }


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.delenv("JOURNEYS_LINKAGE_SECRET", raising=False)
    ids = pl.DataFrame(
        {
            s.AGENCY: ["gp", "ae", "ae"],
            s.PERSON_REF: ["G1", "A1", "A2"],
            s.FAMILY_NAME: ["Okafor", "Okafor", "Lindqvist"],
            s.DATE_OF_BIRTH: [dt.date(1971, 5, 2), dt.date(1971, 5, 2), dt.date(1988, 1, 9)],
            "house_number": ["12", "12", "3"],
        }
    )
    clk = {
        "version": 3,
        "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256"}},
        "features": [
            {"identifier": "rec_id", "ignored": True},
            _feature("Surname", {"type": "ngram", "n": 2}),
            _feature("DOB", {"type": "ngram", "n": 1, "positional": True}),
            _feature("house", {"type": "ngram", "n": 1}, fmt="integer"),
        ],
    }
    out = {
        "ids": tmp_path / "ids.parquet",
        "clk": tmp_path / "clkhash.json",
        "key": tmp_path / "secret.key",
        "enc": tmp_path / "enc.parquet",
        "tmp": tmp_path,
    }
    ids.write_parquet(out["ids"])
    out["clk"].write_text(json.dumps(clk))
    out["key"].write_text("a shared secret for the encode command test\n")
    return out


def _encode(paths: dict[str, Path], *extra: str, schema: Path | None = None) -> int:
    return main(
        [
            "encode",
            str(paths["ids"]),
            "--out",
            str(paths["enc"]),
            "--schema",
            str(schema or paths["clk"]),
            "--secret-file",
            str(paths["key"]),
            *extra,
        ]
    )


def test_encode_with_a_clkhash_schema_and_a_mapping(
    paths: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _encode(paths) == 1
    err = capsys.readouterr().err
    assert "features[3] ('house')" in err
    assert "--clkhash-map 'house=<column>'" in err
    assert not paths["enc"].exists()
    assert _encode(paths, "--clkhash-map", "house=house_number") == 0
    enc = pl.read_parquet(paths["enc"])
    s.validate_encodings(enc)
    assert [c for c in enc.columns if c.startswith("bf_")] == [
        "bf_family_name",
        "bf_date_of_birth",
        "bf_house_number",
    ]
    assert enc[s.CLK].bin.size().unique().to_list() == [128]
    # the first two records are one person: identical identifiers give identical CLKs
    assert enc[s.CLK][0] == enc[s.CLK][1] != enc[s.CLK][2]


def test_encode_refuses_what_it_cannot_honour_unless_asked(
    paths: dict[str, Path], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    data = json.loads(paths["clk"].read_text())
    del data["features"][1]["hashing"]["hash"]  # clkhash's default: blakeHash
    paths["clk"].write_text(json.dumps(data))
    mapping = ("--clkhash-map", "house=house_number")
    assert _encode(paths, *mapping) == 1
    assert "features[1] ('Surname').hashing.hash.type" in capsys.readouterr().err
    with caplog.at_level(logging.WARNING, logger="journeys.linkage.clkhash_schema"):
        assert _encode(paths, *mapping, "--clkhash-approximate") == 0
    assert any("approximated: double hashing" in r.getMessage() for r in caplog.records)


def test_encode_option_errors(paths: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert _encode(paths, "--clkhash-map", "house") == 1
    assert "'house' is not IDENTIFIER=COLUMN" in capsys.readouterr().err
    journeys_schema = write_schema(default_schema(), paths["tmp"] / "schema.json")
    assert _encode(paths, "--clkhash-map", "a=b", schema=journeys_schema) == 1
    assert "apply to clkhash linkage schemas only" in capsys.readouterr().err
    code = main(
        [
            "encode",
            str(paths["ids"]),
            "--out",
            str(paths["enc"]),
            "--clkhash-approximate",
            "--secret-file",
            str(paths["key"]),
        ]
    )
    assert code == 1
    assert "need --schema" in capsys.readouterr().err
