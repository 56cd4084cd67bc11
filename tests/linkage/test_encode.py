from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys import schema as s
from journeys.linkage import EncodingSchema, FieldSpec, Secret, default_schema, encode_identities
from journeys.linkage.bits import dice_pairs, from_binary, popcount, to_binary
from journeys.linkage.encode import _token_codes

from .conftest import OTHER_SECRET, SECRET


def _words(enc: pl.DataFrame, column: str) -> np.ndarray:
    return from_binary(enc[column])[0]


def test_output_columns_and_widths(small_identities: pl.DataFrame) -> None:
    enc = encode_identities(small_identities, secret=SECRET)
    s.validate_encodings(enc)
    assert enc.columns[:3] == [s.AGENCY, s.PERSON_REF, s.CLK]
    assert set(enc.columns) >= {f"bf_{f.column}" for f in default_schema().fields}
    assert enc[s.CLK].bin.size().unique().to_list() == [128]
    assert enc["bf_given_name"].bin.size().unique().to_list() == [64]
    # missing values are null filters, not empty ones
    assert enc["bf_date_of_birth"].null_count() == 1
    assert enc["bf_national_id"].null_count() == 4


def test_encoding_is_deterministic_and_keyed(small_identities: pl.DataFrame) -> None:
    a = encode_identities(small_identities, secret=SECRET)
    b = encode_identities(small_identities.reverse(), secret=SECRET).reverse()
    assert a.equals(b)
    c = encode_identities(small_identities, secret=OTHER_SECRET)
    assert not np.array_equal(_words(a, s.CLK), _words(c, s.CLK))
    assert set(a[s.PERSON_REF]).isdisjoint(set(c[s.PERSON_REF]))


def test_variants_of_one_person_are_close(small_identities: pl.DataFrame) -> None:
    enc = encode_identities(small_identities, secret=SECRET)
    clk = _words(enc, s.CLK)
    same = dice_pairs(clk, clk, np.array([0, 0, 3]), np.array([1, 2, 4]))
    other = dice_pairs(clk, clk, np.array([0, 0, 3]), np.array([3, 5, 5]))
    assert same.min() > 0.75  # record 2 has no date of birth
    assert other.max() < 0.6
    given = _words(enc, "bf_given_name")
    assert np.array_equal(given[0], given[1])  # William == Bill after nickname folding


@pytest.mark.parametrize(
    ("hardening", "clk_bytes", "given_bytes"),
    [("none", 128, 64), ("balance", 256, 128), ("xor_fold", 64, 32)],
)
def test_hardening_changes_widths_and_keeps_similarity(
    small_identities: pl.DataFrame, hardening: str, clk_bytes: int, given_bytes: int
) -> None:
    enc = encode_identities(
        small_identities, secret=SECRET, schema=default_schema(hardening=hardening)
    )  # type: ignore[arg-type]
    assert enc[s.CLK].bin.size()[0] == clk_bytes
    assert enc["bf_given_name"].bin.size()[0] == given_bytes
    clk = _words(enc, s.CLK)
    same = dice_pairs(clk, clk, np.array([0, 3]), np.array([1, 4]))
    other = dice_pairs(clk, clk, np.array([0, 0]), np.array([3, 5]))
    assert same.min() > other.max()
    if hardening == "balance":  # balanced filters have exactly half their bits set
        assert (popcount(clk) == clk.shape[1] * 32).all()


def test_salting_separates_equal_values_with_different_salts() -> None:
    ids = pl.DataFrame(
        {
            "agency": ["a"] * 3,
            "person_ref": ["1", "2", "3"],
            "family_name": ["smith"] * 3,
            "yob": ["1950", "1950", "1971"],
        }
    )
    schema = EncodingSchema(
        fields=(
            FieldSpec("family_name", kind="name", salt="yob"),
            FieldSpec("yob", kind="id", clk_k=0),
        )
    )
    w = _words(encode_identities(ids, secret=SECRET, schema=schema), "bf_family_name")
    assert np.array_equal(w[0], w[1])
    sims = dice_pairs(w, w, np.array([0]), np.array([2]))
    assert sims[0] < 0.3


def test_positional_tokens_of_a_date() -> None:
    spec = FieldSpec("d", tokeniser="positional")
    rows, codes = _token_codes(pl.Series(["1950", "19"]), spec)
    assert rows.tolist() == [0, 0, 0, 0, 1, 1]
    assert codes.tolist()[:2] == [ord("1"), 256 + ord("9")]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.text(alphabet="abcxyz ", min_size=0, max_size=8), min_size=1, max_size=10),
    st.integers(1, 3),
)
def test_ngram_tokens_match_a_python_reference(values: list[str], q: int) -> None:
    spec = FieldSpec("v", q=q)
    rows, codes = _token_codes(pl.Series(values), spec)
    got = sorted(zip(rows.tolist(), codes.tolist(), strict=True))
    expected = []
    for i, v in enumerate(values):
        padded = "_" * (q - 1) + v + "_" * (q - 1)
        expected += [
            (i, int.from_bytes(padded[j : j + q].encode(), "big"))
            for j in range(len(padded) - q + 1)
        ]
    assert got == sorted(expected)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(0, 127), max_size=30), min_size=2, max_size=8))
def test_dice_on_packed_words_matches_sets(bitsets: list[list[int]]) -> None:
    words = np.zeros((len(bitsets), 2), dtype=np.uint64)
    for i, bits in enumerate(bitsets):
        for b in bits:
            words[i, b // 64] |= np.uint64(1) << np.uint64(b % 64)
    left = np.arange(len(bitsets) - 1)
    right = left + 1
    got = dice_pairs(words, words, left, right)
    for k, (i, j) in enumerate(zip(left, right, strict=True)):
        a, b = set(bitsets[i]), set(bitsets[j])
        want = 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0
        assert got[k] == pytest.approx(want, abs=1e-6)
    back, valid = from_binary(to_binary("x", words))
    assert np.array_equal(back, words)
    assert valid.all()


def test_secret_repr_hides_value() -> None:
    secret = Secret(b"super secret value 123")
    assert "super" not in repr(secret)
    assert "super" not in str(secret)
