"""Blocking and meta-blocking against a brute-force oracle over every pair of records."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.linkage.block import candidate_pairs


def _oracle(
    keys: list[list[int | None]], agency: list[int], *, cap: int, within: bool, floor: float
) -> tuple[list[tuple[int, int]], list[list[tuple[int, int]]]]:
    """Every pair sharing a key value in a block of 2..cap records, weighed and pruned."""
    n = len(agency)
    weight: dict[tuple[int, int], float] = {}
    produced: list[set[tuple[int, int]]] = []
    for values in keys:
        sizes: dict[int, int] = {}
        for v in values:
            if v is not None:
                sizes[v] = sizes.get(v, 0) + 1
        mine = set()
        for i, j in combinations(range(n), 2):
            v = values[i]
            if v is None or v != values[j] or sizes[v] > cap:
                continue
            if not within and agency[i] == agency[j]:
                continue
            mine.add((i, j))
            weight[(i, j)] = weight.get((i, j), 0.0) + 1 / (sizes[v] - 1)
        produced.append(mine)
    kept = sorted(p for p, w in weight.items() if w >= floor - 1e-9)
    return kept, [sorted(p for p in mine if p in set(kept)) for mine in produced]


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    n=st.integers(2, 30),
    key_count=st.integers(1, 4),
    cap=st.integers(2, 12),
    within=st.booleans(),
    floor=st.sampled_from([0.0, 0.125, 0.25, 0.5, 1.0, 1.5]),
)
def test_candidate_pairs_equal_brute_force(  # noqa: PLR0917 - hypothesis draws
    data: st.DataObject, n: int, key_count: int, cap: int, within: bool, floor: float
) -> None:
    value = st.one_of(st.none(), st.integers(0, 4))
    keys = [data.draw(st.lists(value, min_size=n, max_size=n)) for _ in range(key_count)]
    agency = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    left, right, stats, groups = candidate_pairs(
        {f"k{i}": pl.Series(v, dtype=pl.Int64) for i, v in enumerate(keys)},
        agency=np.array(agency),
        max_block_size=cap,
        within_agency=within,
        min_pair_weight=floor,
    )
    pairs, by_key = _oracle(keys, agency, cap=cap, within=within, floor=floor)
    everything, _ = _oracle(keys, agency, cap=cap, within=within, floor=0.0)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == pairs
    assert stats.pairs == len(pairs)
    for group, expected in zip(groups, by_key, strict=True):
        assert [(int(left[g]), int(right[g])) for g in group] == expected
    assert stats.pairs + stats.pruned_pairs == len(everything)


def test_more_than_64_keys_keep_their_groups() -> None:
    keys = {f"k{i}": pl.Series([i % 3, i % 3, None]) for i in range(70)}
    left, right, _, groups = candidate_pairs(keys, agency=np.array([0, 1, 2]), max_block_size=5)
    assert (left.tolist(), right.tolist()) == ([0], [1])
    assert all(g.tolist() == [0] for g in groups)
