from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.exceptions import SchemaError
from journeys.linkage.normalise import normalise_expr, normalise_identities


def _norm(values: list[str | None], kind: str) -> list[str | None]:
    df = pl.DataFrame({"x": values}, schema={"x": pl.String})
    return df.select(normalise_expr("x", kind))["x"].to_list()  # type: ignore[arg-type]


def test_given_names_fold_titles_and_nicknames() -> None:
    got = _norm(
        ["  Dr. Bill ", "Zoë-Ann", "LIAM", "peggy", "Mr William John", "N/A", "", None],
        "given_name",
    )
    assert got == ["william", "zoe", "william", "margaret", "william", None, None, None]


def test_family_names_fold_punctuation_and_suffixes() -> None:
    got = _norm(["O'Brien", "Smith-Jones Jr", "  MÜLLER ", "unknown"], "name")
    assert got == ["obrien", "smithjones", "muller", None]


def test_uk_postcodes_are_formatted_and_invalid_ones_missing() -> None:
    got = _norm(["sw1a1aa", " M1  1ae", "EC1A 1BB", "12345", "XX"], "uk_postcode")
    assert got == ["SW1A 1AA", "M1 1AE", "EC1A 1BB", None, None]


def test_dates_from_pl_date_and_sentinels_are_missing() -> None:
    df = pl.DataFrame({"d": [dt.date(1987, 12, 3), dt.date(1900, 1, 1), None]})
    assert df.select(normalise_expr("d", "date"))["d"].to_list() == ["19871203", None, None]


def test_sex_and_ids() -> None:
    assert _norm(["female", "M", "x", "?"], "sex") == ["F", "M", "X", None]
    assert _norm(["943 476 5919", "-", "ab-12"], "id") == ["9434765919", None, "ab12"]


def test_normalise_identities_keeps_rows_and_adds_birth_year(
    small_identities: pl.DataFrame,
) -> None:
    out = normalise_identities(small_identities).collect()
    assert out.height == small_identities.height
    assert out["given_name"].to_list()[:3] == ["william"] * 3
    assert out["birth_year"].to_list()[0] == "1950"
    assert small_identities["given_name"][0] == "William"  # input not mutated


def test_missing_column_is_reported(small_identities: pl.DataFrame) -> None:
    with pytest.raises(SchemaError, match="postcode"):
        normalise_identities(small_identities.drop("postcode"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=1, max_size=20),
    st.sampled_from(["given_name", "name", "text", "id"]),
)
def test_normalising_is_idempotent_and_ascii(values: list[str | None], kind: str) -> None:
    once = _norm(values, kind)
    assert len(once) == len(values)
    for v in once:
        assert v is None or (v.isascii() and v == v.strip() and v != "")
    assert _norm(once, kind) == once or kind == "given_name"
