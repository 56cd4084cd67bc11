"""The compiled kernels of the process maps against plain Python/numpy oracles."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.mining._kernels import (
    count_activities,
    count_edges,
    dense_codes,
    group_variants,
    order_cases,
    timed_pairs,
)


def _cases(sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    codes = np.array([a for s in sequences for a in s], dtype=np.uint32)
    offsets = np.zeros(len(sequences) + 1, np.int64)
    np.cumsum([len(s) for s in sequences], out=offsets[1:])
    return codes, offsets


@pytest.mark.parametrize("distinct", [1, 7, 5000])  # 5000 keys: the table grows several times
def test_dense_codes_number_keys_in_order_of_first_appearance(distinct: int) -> None:
    rng = np.random.default_rng(distinct)
    keys = rng.integers(0, 2**63, size=distinct, dtype=np.uint64)[
        rng.integers(0, distinct, size=20_000)
    ]
    codes, first = dense_codes(keys)
    _, where = np.unique(keys, return_index=True)
    assert sorted(first.tolist()) == sorted(where.tolist())  # one first position per key
    assert np.array_equal(np.diff(first) > 0, np.ones(first.size - 1, bool))
    assert np.array_equal(keys[first[codes]], keys)


def test_dense_codes_of_nothing() -> None:
    codes, first = dense_codes(np.zeros(0, np.uint64))
    assert codes.size == 0
    assert first.size == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4)), max_size=60))
def test_order_cases_is_a_stable_sort_by_case_then_time(rows: list[tuple[int, int]]) -> None:
    case = np.array([c for c, _ in rows], np.int64)
    ts = np.array([t for _, t in rows], np.int64)
    starts = [i for i in range(len(rows)) if i == 0 or case[i] != case[i - 1]]
    run_keys = case[starts].astype(np.uint64)
    run_case, first = dense_codes(run_keys)
    bounds = np.array([*starts, len(rows)], np.int64)
    codes = np.arange(len(rows), dtype=np.uint32)  # the row number as activity code
    ordered, times, offsets, identity = order_cases(bounds, run_case, first.size, ts, codes)
    if identity:
        ordered, times = codes, ts
    appearance = {int(case[starts[r]]): i for i, r in enumerate(first)}
    expected = sorted(range(len(rows)), key=lambda i: (appearance[int(case[i])], ts[i], i))
    assert ordered.tolist() == expected
    assert times.tolist() == ts[expected].tolist()
    assert identity == (expected == list(range(len(rows))))
    assert np.diff(offsets).tolist() == [
        Counter(case.tolist())[int(case[starts[r]])] for r in first
    ]


SEQUENCES = st.lists(st.lists(st.integers(0, 3), min_size=1, max_size=6), max_size=40)


@settings(max_examples=60, deadline=None)
@given(SEQUENCES)
def test_counts_equal_a_python_count(sequences: list[list[int]]) -> None:
    codes, offsets = _cases(sequences)
    events, cases, starts, ends = count_activities(codes, offsets, 4)
    assert events.tolist() == [sum(s.count(a) for s in sequences) for a in range(4)]
    assert cases.tolist() == [sum(a in s for s in sequences) for a in range(4)]
    assert starts.tolist() == [sum(s[0] == a for s in sequences) for a in range(4)]
    assert ends.tolist() == [sum(s[-1] == a for s in sequences) for a in range(4)]
    pairs = [list(pairwise(s)) for s in sequences]
    expected = {
        a * 4 + b: (sum(p.count((a, b)) for p in pairs), sum((a, b) in p for p in pairs))
        for a in range(4)
        for b in range(4)
        if any((a, b) in p for p in pairs)
    }
    for limit in (16, 0):  # a 4 x 4 matrix, then the hash table
        keys, n, c = count_edges(codes, offsets, 4, limit)
        assert {int(k): (int(x), int(y)) for k, x, y in zip(keys, n, c, strict=True)} == expected


@settings(max_examples=60, deadline=None)
@given(SEQUENCES)
def test_group_variants_groups_equal_sequences(sequences: list[list[int]]) -> None:
    codes, offsets = _cases(sequences)
    variant, first, counts = group_variants(codes, offsets)
    seen: dict[tuple[int, ...], int] = {}
    for s in sequences:
        seen.setdefault(tuple(s), len(seen))
    assert variant.tolist() == [seen[tuple(s)] for s in sequences]
    assert [tuple(sequences[c]) for c in first] == list(seen)
    assert counts.tolist() == [Counter(map(tuple, sequences))[v] for v in seen]


def test_group_variants_compares_whole_sequences_when_many() -> None:
    rng = np.random.default_rng(3)
    sequences = [rng.integers(0, 3, size=rng.integers(1, 9)).tolist() for _ in range(4000)]
    codes, offsets = _cases(sequences)
    variant, first, counts = group_variants(codes, offsets)
    assert len(first) == len({tuple(s) for s in sequences})
    for c, v in enumerate(variant):
        assert sequences[first[v]] == sequences[c]
    assert counts.sum() == len(sequences)


def test_timed_pairs_follow_the_case_order() -> None:
    codes, offsets = _cases([[0, 1, 2], [3], [1, 0]])
    ts = np.array([0, 5, 7, 1, 2, 10], np.int64)
    source, target, delta = timed_pairs(codes, ts, offsets, np.array([2, 1, 0]))
    assert list(zip(source.tolist(), target.tolist(), strict=True)) == [(1, 0), (0, 1), (1, 2)]
    assert delta.tolist() == [8, 5, 2]


def test_order_cases_sorts_long_cases_stably() -> None:
    """Cases longer than the insertion-sort limit go through a merge sort: still stable."""
    rng = np.random.default_rng(5)
    n = 600
    case = np.repeat([0, 1], n // 2)
    ts = rng.integers(0, 40, n).astype(np.int64)  # many ties
    codes = np.arange(n, dtype=np.uint32)
    bounds = np.array([0, n // 2, n], np.int64)
    ordered, times, offsets, identity = order_cases(
        bounds, np.array([0, 1], np.uint32), 2, ts, codes
    )
    assert not identity
    assert ordered.tolist() == sorted(range(n), key=lambda i: (case[i], ts[i], i))
    assert times.tolist() == ts[ordered].tolist()
    assert offsets.tolist() == [0, n // 2, n]


def test_order_cases_radix_sorts_many_interleaved_cases() -> None:
    """Over 2048 cases in random row order take the radix sort: same stable order."""
    rng = np.random.default_rng(8)
    n = 60_000
    case = rng.integers(0, 9000, n)  # up to 14 bits of case code: two radix passes
    ts = rng.integers(0, 5, n).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, case[1:] != case[:-1]])
    run_case, first = dense_codes(case[starts].astype(np.uint64))
    assert first.size > 2048
    assert 2 * starts.size > n
    codes = np.arange(n, dtype=np.uint32)
    ordered, times, offsets, identity = order_cases(
        np.append(starts, n).astype(np.int64), run_case, first.size, ts, codes
    )
    code_of_row = run_case[np.searchsorted(starts, np.arange(n), side="right") - 1]
    expected = np.lexsort((np.arange(n), ts, code_of_row))  # last key sorts first
    assert not identity
    assert ordered.tolist() == expected.tolist()
    assert times.tolist() == ts[expected].tolist()
    assert np.diff(offsets).tolist() == np.bincount(code_of_row).tolist()
