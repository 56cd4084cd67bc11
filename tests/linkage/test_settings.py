from __future__ import annotations

from pathlib import Path

import pytest

from journeys.exceptions import ConfigError
from journeys.linkage import (
    EncodingSchema,
    FieldSpec,
    LinkageSettings,
    default_schema,
    read_schema,
    read_settings,
    write_schema,
    write_settings,
)


def test_schema_round_trips_through_json(tmp_path: Path) -> None:
    schema = default_schema(hardening="balance")
    path = write_schema(schema, tmp_path / "schema.json")
    assert read_schema(path) == schema
    assert '"version": 1' in path.read_text()


def test_schema_reads_toml(tmp_path: Path) -> None:
    path = tmp_path / "schema.toml"
    path.write_text(
        'version = 1\nclk_bits = 512\nhardening = "xor_fold"\n'
        '[[fields]]\ncolumn = "given_name"\nkind = "given_name"\nbits = 256\n'
        '[[blocking]]\nname = "g"\nparts = ["given_name:2"]\n'
    )
    schema = read_schema(path)
    assert schema.clk_bits == 512
    assert schema.fields[0] == FieldSpec("given_name", kind="given_name", bits=256)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        EncodingSchema(fields=(FieldSpec("a", bits=100, k=0, salt="nope"),), clk_bits=1000)
    problems = info.value.problems
    assert len(problems) >= 4
    assert any("clk_bits" in p for p in problems)
    assert any("salt" in p for p in problems)


def test_q_grams_too_long_to_code_are_refused() -> None:
    """A q-gram is coded in 8 bits a character of a 63-bit integer, beside the salt's number
    when salted: longer ones would collide or take another salt's place."""
    EncodingSchema(fields=(FieldSpec("family_name", q=7),))
    EncodingSchema(fields=(FieldSpec("family_name", q=5, salt="birth_year"),))
    with pytest.raises(ConfigError, match="longer than 7"):
        EncodingSchema(fields=(FieldSpec("family_name", q=8),))
    with pytest.raises(ConfigError, match="longer than 5 characters are not supported in a salted"):
        EncodingSchema(fields=(FieldSpec("family_name", q=6, salt="birth_year"),))


def test_unknown_keys_and_versions_are_rejected() -> None:
    data = default_schema().to_dict() | {"version": 9, "colour": "red"}
    with pytest.raises(ConfigError, match="colour"):
        EncodingSchema.from_dict(data)


def test_linkage_settings_round_trip(tmp_path: Path) -> None:
    st = LinkageSettings(scoring="threshold", threshold=0.8, bands=(0.9, 0.5))
    assert read_settings(write_settings(st, tmp_path / "s.json")) == st
    with pytest.raises(ConfigError, match="bands"):
        LinkageSettings(bands=(0.5, 0.9))
