"""Reading clkhash v3 linkage schemas: what is honoured, what is refused, and why."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from journeys import schema as s
from journeys.exceptions import ConfigError
from journeys.linkage import Secret, encode_identities, read_schema, write_schema
from journeys.linkage.bits import dice_pairs, from_binary
from journeys.linkage.clkhash_schema import (
    is_clkhash_schema,
    read_clkhash_schema,
    translate_clkhash_schema,
)
from journeys.linkage.settings import default_schema

SECRET = Secret(b"clkhash schema test secret, not real")


def _feature(
    identifier: str,
    *,
    n: int = 2,
    positional: bool = False,
    bits: int = 15,
    fmt: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "format": fmt or {"type": "string", "encoding": "utf-8"},
        "hashing": {
            "comparison": {"type": "ngram", "n": n, "positional": positional},
            "strategy": {"bitsPerToken": bits},
            "hash": {"type": "doubleHash"},
            "missingValue": {"sentinel": ""},
        },
    }


def _benchmark_schema() -> dict[str, Any]:
    """The clkhash v3 schema the encoding benchmark gives clkhash (benchmarks/test_linkage.py):
    the fields of journeys' default schema with the same n-grams and bits per token."""
    fields = (
        (s.GIVEN_NAME, 2, False, 15),
        (s.FAMILY_NAME, 2, False, 15),
        (s.DATE_OF_BIRTH, 1, True, 15),
        (s.SEX, 1, False, 5),
        (s.POSTCODE, 2, False, 10),
        (s.NATIONAL_ID, 2, False, 10),
    )
    return {
        "version": 3,
        "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64}},
        "features": [_feature(f, n=n, positional=p, bits=b) for f, n, p, b in fields],
    }


def test_benchmark_schema_gives_the_default_schema_back() -> None:
    out = translate_clkhash_schema(_benchmark_schema())
    default = default_schema()
    assert out.schema.clk_bits == default.clk_bits == 1024
    assert out.schema.hardening == "none"
    assert out.columns == {f.column: f.column for f in default.fields}
    for got, want in zip(out.schema.fields, default.fields, strict=True):
        assert (got.column, got.kind, got.clk_k, got.k, got.bits) == (
            want.column,
            want.kind,
            want.clk_k,
            want.clk_k,
            want.bits,
        )
        if got.tokeniser == "ngram" and want.tokeniser == "ngram":  # q is unused otherwise
            assert got.q == want.q
        # clkhash hashes sex as a 1-gram, journeys' default as the exact value
        want_tok = "ngram" if want.column == s.SEX else want.tokeniser
        assert got.tokeniser == want_tok
    assert out.schema.blocking == default.blocking
    assert out.ignored == ()
    assert any(n.startswith("clkConfig.kdf") and "keySize not used" in n for n in out.notes)


def test_translated_schema_encodes_and_separates_people(small_identities: pl.DataFrame) -> None:
    schema = translate_clkhash_schema(_benchmark_schema()).schema
    enc = encode_identities(small_identities, secret=SECRET, schema=schema)
    s.validate_encodings(enc)
    clk = from_binary(enc[s.CLK])[0]
    assert clk.shape == (6, 16)
    left, right = np.triu_indices(6, k=1)
    dice = np.zeros((6, 6))
    dice[left, right] = dice_pairs(clk, clk, left.astype(np.int64), right.astype(np.int64))
    # records 0-2 are William O'Brien, 3-4 Margaret Smith-Jones, 5 Ravi Patel
    assert min(dice[0, 1], dice[0, 2], dice[3, 4]) > max(dice[0, 3], dice[0, 5], dice[3, 5])


def test_read_schema_detects_clkhash_files_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "clkhash.json"
    path.write_text(json.dumps(_benchmark_schema()))
    schema = read_schema(path)
    assert schema == read_clkhash_schema(path).schema
    # the translation is saved as a journeys schema for review, and reads back the same
    saved = write_schema(schema, tmp_path / "journeys.json")
    assert read_schema(saved) == schema
    assert not is_clkhash_schema(json.loads(saved.read_text()))
    with pytest.raises(ConfigError, match="apply to clkhash linkage schemas only"):
        read_schema(saved, field_map={"x": "y"})


def test_identifiers_map_by_name_and_synonym() -> None:
    data = _benchmark_schema()
    for feature, name in zip(
        data["features"],
        ["First Name", "SURNAME", "dob", "Gender", "post-code", "NHS number"],
        strict=True,
    ):
        feature["identifier"] = name
    out = translate_clkhash_schema(data)
    assert list(out.columns.values()) == [f.column for f in default_schema().fields]
    assert out.columns["post-code"] == s.POSTCODE


def test_unmapped_identifier_needs_an_explicit_mapping(small_identities: pl.DataFrame) -> None:
    data = {
        "version": 3,
        "clkConfig": {"l": 512, "kdf": {"type": "HKDF"}},
        "features": [
            {"identifier": "rec_id", "ignored": True},
            _feature("surname"),
            _feature("house", n=1, positional=True, bits=20, fmt={"type": "integer"}),
        ],
    }
    with pytest.raises(ConfigError) as err:
        translate_clkhash_schema(data, source="agency.json")
    assert str(err.value).startswith("agency.json has 1 problem(s)")
    (problem,) = err.value.problems
    assert problem.startswith("features[2] ('house'): no journeys identity field is named")
    assert "field_map={'house': '<column>'}" in problem
    assert "--clkhash-map 'house=<column>'" in problem
    out = translate_clkhash_schema(data, field_map={"house": "house_number"})
    house = out.schema.field("house_number")
    assert (house.kind, house.tokeniser, house.clk_k, house.bits) == ("id", "positional", 20, 512)
    assert out.ignored == ("rec_id",)
    # blocking keys need fields the schema has: only the family name here, so none apply
    assert out.schema.blocking == ()
    assert any("lsh_bands" in n for n in out.notes)
    ids = small_identities.with_columns(pl.Series("house_number", ["1", "1", None, "7", "7", "3"]))
    enc = encode_identities(ids, secret=SECRET, schema=out.schema)
    assert enc.columns == [s.AGENCY, s.PERSON_REF, s.CLK, "bf_family_name", "bf_house_number"]
    assert enc[s.CLK].bin.size().unique().to_list() == [64]


def test_everything_we_cannot_honour_is_reported_at_once() -> None:
    data = _benchmark_schema()
    data["version"] = 3
    data["clkConfig"] = {"l": 1000, "xorFolds": 2, "kdf": {"type": "PBKDF2", "hash": "MD5"}}
    f = data["features"]
    f[0]["hashing"]["comparison"] = {"type": "numeric", "thresholdDistance": 2, "resolution": 3}
    f[1]["hashing"]["comparison"] = {"type": "ngram", "n": 2, "positional": True}
    f[2]["hashing"]["strategy"] = {"bitsPerFeature": 200}
    del f[3]["hashing"]["hash"]  # clkhash's default is blakeHash
    f[4]["hashing"]["missingValue"] = {"sentinel": "ZZ99 3VZ", "replaceWith": "none"}
    f[5]["format"] = {"type": "float"}
    f[5]["hashing"]["tokenizer"] = {"type": "ngram"}
    with pytest.raises(ConfigError) as err:
        translate_clkhash_schema(data, field_map={"nope": s.POSTCODE})
    problems = err.value.problems
    expected = [
        ("clkConfig.l", "multiple of 64"),
        ("clkConfig.xorFolds", "at most once"),
        ("clkConfig.kdf.type", "'HKDF'"),
        ("clkConfig.kdf.hash", "'SHA256' or 'SHA512'"),
        ("features[0] ('given_name').hashing.comparison.type", "'numeric' comparisons"),
        ("features[1] ('family_name').hashing.comparison.positional", "n=2"),
        ("features[2] ('date_of_birth').hashing.strategy.bitsPerFeature", "use bitsPerToken"),
        ("features[3] ('sex').hashing.hash.type", "'blakeHash'"),
        ("features[4] ('postcode').hashing.missingValue.sentinel", "'ZZ99 3VZ'"),
        ("features[4] ('postcode').hashing.missingValue.replaceWith", "remove 'replaceWith'"),
        ("features[5] ('national_id').format.type", "'float'"),
        ("features[5] ('national_id').hashing.tokenizer", "not a clkhash v3 key"),
        ("field_map['nope']", "names no feature"),
    ]
    for where, text in expected:
        assert any(p.startswith(where + ":") and text in p for p in problems), (where, problems)
    assert len(problems) == len(expected)


def test_approximate_accepts_the_closest_equivalent(caplog: pytest.LogCaptureFixture) -> None:
    data = _benchmark_schema()
    f = data["features"]
    f[1]["hashing"]["strategy"] = {"bitsPerFeature": 200}  # family name: ~8 bigrams
    del f[3]["hashing"]["hash"]
    f[4]["hashing"]["missingValue"] = {"sentinel": "", "replaceWith": "none"}
    with pytest.raises(ConfigError) as err:
        translate_clkhash_schema(data)
    assert len(err.value.problems) == 3
    assert all("approximate=True" in p for p in err.value.problems)
    with caplog.at_level(logging.WARNING, logger="journeys.linkage.clkhash_schema"):
        out = translate_clkhash_schema(data, approximate=True)
    assert out.schema.field(s.FAMILY_NAME).clk_k == 25  # round(200 / (7 + 1))
    approximated = [n for n in out.notes if "approximated" in n]
    assert len(approximated) == 3
    assert any("bitsPerToken 25" in n for n in approximated)
    assert any("double hashing" in n for n in approximated)
    assert any("missing values stay missing" in n for n in approximated)
    assert len([r for r in caplog.records if "approximated" in r.getMessage()]) == 3


def test_sentinels_journeys_reads_as_missing_are_honoured() -> None:
    data = _benchmark_schema()
    for feature, sentinel in zip(
        data["features"], ["unknown", "N/A", "", "?", "not a postcode", "-"], strict=True
    ):
        feature["hashing"]["missingValue"] = {"sentinel": sentinel}
    translate_clkhash_schema(data)  # no problem
    data["features"][0]["hashing"]["missingValue"] = {"sentinel": "NOBODY"}
    data["features"][2]["hashing"]["missingValue"] = {"sentinel": "00/00/0000"}
    with pytest.raises(ConfigError) as err:
        translate_clkhash_schema(data)
    assert len(err.value.problems) == 2
    assert "'NOBODY' would be read as a value of 'given_name'" in err.value.problems[0]
    assert "'00/00/0000' would be read as a value of 'date_of_birth'" in err.value.problems[1]


def test_xor_folds_and_exact_comparison(small_identities: pl.DataFrame) -> None:
    data = _benchmark_schema()
    data["clkConfig"]["xorFolds"] = 1
    data["features"][3]["hashing"]["comparison"] = {"type": "exact"}
    out = translate_clkhash_schema(data)
    # clkhash's l is the length after folding
    assert (out.schema.clk_bits, out.schema.hardening) == (2048, "xor_fold")
    assert out.schema.field(s.SEX).tokeniser == "exact"
    enc = encode_identities(small_identities, secret=SECRET, schema=out.schema)
    assert enc[s.CLK].bin.size().unique().to_list() == [1024 // 8]


def test_structural_errors() -> None:
    base = _benchmark_schema()
    cases: list[tuple[dict[str, Any], dict[str, str], str]] = []
    v2 = copy.deepcopy(base)
    v2["version"] = 2
    cases.append((v2, {}, "version: is 2"))
    dup = copy.deepcopy(base)
    dup["features"][1]["identifier"] = "surname"
    dup["features"][0]["identifier"] = "last_name"
    cases.append((dup, {}, "maps to 'family_name' like feature 'last_name'"))
    ign = copy.deepcopy(base)
    ign["features"].append({"identifier": "rec_id", "ignored": True, "format": {}})
    cases.append((ign, {"rec_id": "person_ref"}, "ignored in the schema but named in field_map"))
    empty = {"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}}, "features": []}
    cases.append((empty, {}, "features: must be a non-empty list"))
    no_clk = {k: v for k, v in copy.deepcopy(base).items() if k != "clkConfig"}
    cases.append((no_clk, {}, "clkConfig: is missing"))
    twice = copy.deepcopy(base)
    twice["features"].append(_feature(s.GIVEN_NAME))
    cases.append((twice, {}, "the identifier appears more than once"))
    for data, field_map, message in cases:
        with pytest.raises(ConfigError) as err:
            translate_clkhash_schema(data, field_map=field_map)
        assert any(message in p for p in err.value.problems), (message, err.value.problems)
    assert np.all([is_clkhash_schema(c[0]) for c in cases])
