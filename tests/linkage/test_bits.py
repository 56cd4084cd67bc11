"""Dice kernels against a plain numpy oracle (``np.bitwise_count``), and Binary round trips."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from journeys.exceptions import LinkageError
from journeys.linkage.bits import (
    dice_matrix,
    dice_pairs,
    from_binary,
    popcount,
    to_binary,
    to_binary_coded,
)

U64 = npt.NDArray[np.uint64]


def _oracle_dice(a: U64, b: U64) -> npt.NDArray[np.float64]:
    """All-pairs Dice in float64 with the same rule: 2 |A & B| / (|A| + |B|), 0 if both empty."""
    common = np.bitwise_count(a[:, None, :] & b[None, :, :]).sum(axis=2, dtype=np.int64)
    total = (
        np.bitwise_count(a).sum(axis=1, dtype=np.int64)[:, None]
        + np.bitwise_count(b).sum(axis=1, dtype=np.int64)[None, :]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2.0 * common / total, 0.0)


def _filters(words: int, max_rows: int = 12) -> st.SearchStrategy[U64]:
    """Filters with few or many bits set, empty rows and duplicated rows."""
    rows = st.integers(0, max_rows)
    dense = hnp.arrays(
        np.uint64, st.tuples(rows, st.just(words)), elements=st.integers(0, 2**64 - 1)
    )
    sparse = hnp.arrays(
        np.uint64, st.tuples(rows, st.just(words)), elements=st.sampled_from([0, 1, 3, 2**63, 5])
    )
    return st.one_of(dense, sparse).map(
        lambda x: np.concatenate([x, x[:2], np.zeros((1, words), np.uint64)])
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 20).flatmap(lambda w: st.tuples(_filters(w), _filters(w))),
    st.sampled_from([0.0, 0.25, 0.5, 0.6, 2 / 3, 0.75, 0.8, 0.9, 1.0]),
    st.integers(1, 5),
)
def test_dice_matrix_matches_the_numpy_oracle(
    filters: tuple[U64, U64], threshold: float, chunk_rows: int
) -> None:
    a, b = filters
    want = _oracle_dice(a, b)
    wi, wj = np.nonzero(want >= threshold)
    i, j, d = dice_matrix(a, b, threshold=threshold, chunk_rows=chunk_rows)
    assert i.tolist() == wi.tolist()  # row-major order, exactly the same pairs
    assert j.tolist() == wj.tolist()
    assert np.array_equal(d, want[wi, wj].astype(np.float32))


def test_dice_matrix_keeps_ties_at_the_threshold() -> None:
    # |A| = 5, |B| = 5, 4 shared bits: Dice exactly 0.8; one bit fewer shared is 0.6
    a = np.array([[0b11111]], dtype=np.uint64)
    b = np.array([[0b111101], [0b1111100000]], dtype=np.uint64)
    i, j, d = dice_matrix(np.tile(a, (1, 8)), np.tile(b, (1, 8)), threshold=0.8)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 0)]
    assert d.tolist() == [pytest.approx(0.8)]
    i, _, _ = dice_matrix(a, b, threshold=0.8000001)
    assert len(i) == 0


def test_dice_matrix_of_empty_filters_and_empty_inputs() -> None:
    empty = np.zeros((3, 16), dtype=np.uint64)
    i, j, d = dice_matrix(empty, empty, threshold=0.5)
    assert len(i) == len(j) == len(d) == 0
    i, j, d = dice_matrix(empty, empty, threshold=0.0)  # Dice 0 reaches a threshold of 0
    assert len(i) == 9
    assert (d == 0).all()
    i, _, _ = dice_matrix(empty[:0], empty, threshold=0.5)
    assert len(i) == 0
    with pytest.raises(LinkageError, match="same schema"):
        dice_matrix(empty, empty[:, :8], threshold=0.5)


def test_dice_matrix_reruns_when_a_chunk_overflows() -> None:
    same = np.full((40, 16), 0xFF, dtype=np.uint64)
    i, _, _ = dice_matrix(same, same, threshold=0.9, chunk_rows=1)
    assert len(i) == 40 * 40
    assert (np.bincount(i) == 40).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20).flatmap(lambda w: st.tuples(_filters(w), _filters(w))), st.data())
def test_dice_pairs_matches_the_numpy_oracle(filters: tuple[U64, U64], data: st.DataObject) -> None:
    a, b = filters
    n = data.draw(st.integers(0, 50))
    left = np.array(data.draw(st.lists(st.integers(0, len(a) - 1), min_size=n, max_size=n)))
    right = np.array(data.draw(st.lists(st.integers(0, len(b) - 1), min_size=n, max_size=n)))
    left = left.astype(np.int64)
    right = right.astype(np.int64)
    got = dice_pairs(a, b, left, right)
    want = _oracle_dice(a, b)[left, right].astype(np.float32) if n else np.zeros(0, np.float32)
    assert got.dtype == np.float32
    assert np.array_equal(got, want)
    counts = popcount(a)
    assert np.array_equal(counts, np.bitwise_count(a).sum(axis=1))
    assert np.array_equal(dice_pairs(a, b, left, right, count_a=counts), got)


def test_dice_pairs_runs_in_parallel_on_many_pairs() -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2**63, size=(300, 16)).astype(np.uint64)
    left = rng.integers(0, 300, size=1_100_000)
    right = rng.integers(0, 300, size=1_100_000)
    got = dice_pairs(a, a, left, right)
    want = _oracle_dice(a, a)[left, right].astype(np.float32)
    assert np.array_equal(got, want)


def test_dice_pairs_rejects_bad_indices() -> None:
    a = np.zeros((2, 1), dtype=np.uint64)
    with pytest.raises(LinkageError, match="out of range"):
        dice_pairs(a, a, np.array([0]), np.array([2]))
    with pytest.raises(LinkageError, match="one length"):
        dice_pairs(a, a, np.array([0]), np.array([0, 1]))


def test_dice_pairs_rejects_filters_of_different_widths_and_short_counts() -> None:
    """The compiled loop reads rows in place: a narrower side would be read past its end."""
    wide = np.ones((2, 16), dtype=np.uint64)
    narrow = np.ones((2, 1), dtype=np.uint64)
    with pytest.raises(LinkageError, match="1024 and 64 bits"):
        dice_pairs(wide, narrow, np.array([0, 1]), np.array([0, 1]))
    with pytest.raises(LinkageError, match="one count per filter row"):
        dice_pairs(wide, wide, np.array([0]), np.array([1]), count_a=np.array([64]))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5).flatmap(lambda w: _filters(w, 20)), st.data())
def test_binary_columns_round_trip(words: U64, data: st.DataObject) -> None:
    valid = np.array(data.draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words))))
    series = to_binary("f", words, valid.astype(np.bool_))
    back, got_valid = from_binary(series)
    assert series.dtype == pl.Binary
    assert np.array_equal(got_valid, valid.astype(np.bool_))
    if valid.any():  # an all-null column has no width to read back
        assert np.array_equal(back[got_valid], words[got_valid])
        assert (back[~got_valid] == 0).all()
    codes = np.array(
        data.draw(st.lists(st.integers(-1, len(words) - 1), min_size=0, max_size=30)),
        dtype=np.int64,
    )
    coded = to_binary_coded("g", words, codes)
    expected = [None if c < 0 else words[c].tobytes() for c in codes.tolist()]
    assert coded.to_list() == expected
