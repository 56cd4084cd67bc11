from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.exceptions import SchemaError
from journeys.linkage.normalise import (
    _normalise_distinct,
    normalise_codes,
    normalise_expr,
    normalise_identities,
)


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


_WORDS = [
    "Bill",
    "PEGGY",
    "liam",
    "Na",
    "N/A",
    "unknown",
    "Mr",
    "jr",
    "O'Neil",
    "Zoë",
    "x",
    "Smith",
    "dr",
    "9434765919",
    "943 476",
    "ÉMILE",
    "nfa",
    "",
    " ",
    "a-b",
    "Ravi",
    "LS1 4AP",
    "ls1 4ap",
    "SW1A 1AA",
    "SW1A1AA",
    "M1 1AE",
    "B80 9HG",
    "EC1A  1BB",
    "BH1P 9YL",
]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(_WORDS),
            st.lists(st.sampled_from(_WORDS), min_size=2, max_size=3).map(" ".join),
            st.text(alphabet="aZ09 .'-é", max_size=8),
        ),
        max_size=30,
    ),
    st.sampled_from(["id", "text", "name", "given_name", "uk_postcode", "sex"]),
)
def test_distinct_values_normalise_as_the_polars_rules_do(
    values: list[str | None], kind: str
) -> None:
    """The shortcut for plain values (letters and digits only) changes no result."""
    distinct = pl.Series("v", values, dtype=pl.String)
    want = pl.DataFrame({"v": distinct}).select(normalise_expr("v", kind))["v"]  # type: ignore[arg-type]
    got = _normalise_distinct(distinct, "v", kind)  # type: ignore[arg-type]
    assert got.to_list() == want.to_list()


def test_coded_columns_materialise_to_the_normalised_frame() -> None:
    ids = pl.DataFrame(
        {
            "agency": ["a", "b", "a"],
            "person_ref": ["1", "2", "3"],
            "given_name": ["Bill", None, "William"],
            "family_name": ["Lee", "Lee", "N/A"],
            "date_of_birth": [dt.date(1950, 1, 2), None, dt.date(1950, 1, 2)],
            "sex": ["m", "F", None],
            "postcode": ["ls1 4ap", "LS14AP", "bad"],
            "national_id": [None, None, None],
        }
    )
    coded = normalise_codes(ids)
    assert coded.height == 3
    assert coded.columns["given_name"].codes.tolist() == [0, -1, 0]
    assert coded.columns["birth_year"].materialise("y").to_list() == ["1950", None, "1950"]
    assert coded.columns["national_id"].materialise("n").to_list() == [None, None, None]
    norm = normalise_identities(ids).collect()
    assert norm["postcode"].to_list() == ["LS1 4AP", "LS1 4AP", None]
