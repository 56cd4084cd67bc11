"""Process maps computed in polars equal pm4py's own results."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.exceptions import DataError
from journeys.mining import (
    ProcessMap,
    counts_as_dict,
    dfg_as_dict,
    discover_dfg,
    discover_end_activities,
    discover_process_map,
    discover_start_activities,
    discover_variants,
    performance_as_dict,
    variants_as_dict,
)
from journeys.mining._frames import Columns, case_log
from tests.mining.conftest import XES_KEYS

SEPSIS = {"case": "Case ID", "activity": "Activity", "timestamp": "Complete Timestamp"}
PM4PY_KEYS = {
    "case_id_key": "case:concept:name",
    "activity_key": "concept:name",
    "timestamp_key": "time:timestamp",
}


def _same_performance(ours: dict[Any, dict[str, float]], theirs: dict[Any, Any]) -> None:
    assert set(ours) == set(theirs)
    for edge, stats in theirs.items():
        for name, value in stats.items():
            got = ours[edge][name]
            assert got == value or (math.isnan(got) and math.isnan(value)), (edge, name)


def _assert_equal_to_pm4py(
    ours_frame: pl.DataFrame | pl.LazyFrame, keys: dict[str, str], oracle: pd.DataFrame, pm4py: Any
) -> None:
    edges = discover_dfg(ours_frame, **keys)
    dfg, starts, ends = pm4py.discover_dfg(oracle.copy(), **PM4PY_KEYS)
    assert dfg_as_dict(edges) == dfg
    assert counts_as_dict(discover_start_activities(ours_frame, **keys)) == starts
    assert counts_as_dict(discover_end_activities(ours_frame, **keys)) == ends
    assert variants_as_dict(discover_variants(ours_frame, **keys)) == pm4py.get_variants(
        oracle.copy(), **PM4PY_KEYS
    )
    perf, _, _ = pm4py.discover_performance_dfg(
        oracle.copy(), perf_aggregation_key="all", **PM4PY_KEYS
    )
    _same_performance(performance_as_dict(edges), perf)


def test_sepsis_equals_pm4py(sepsis: pl.DataFrame, sepsis_pm4py: pd.DataFrame, pm4py: Any) -> None:
    _assert_equal_to_pm4py(sepsis, SEPSIS, sepsis_pm4py, pm4py)
    # the same on a LazyFrame input
    _assert_equal_to_pm4py(sepsis.lazy(), SEPSIS, sepsis_pm4py, pm4py)


def test_sepsis_counts_match_the_documented_log(sepsis: pl.DataFrame) -> None:
    variants = discover_variants(sepsis, **SEPSIS)
    assert variants.get_column("cases").sum() == 1050
    assert variants.get_column("cumulative_coverage")[-1] == pytest.approx(1.0)
    assert discover_dfg(sepsis, **SEPSIS).get_column("events").sum() == 15214 - 1050


@pytest.mark.slow  # reading the XES with pm4py takes 20-35 s
def test_bpic2012_equals_pm4py(bpic2012: pd.DataFrame, pm4py: Any) -> None:
    ours = pl.from_pandas(bpic2012)
    _assert_equal_to_pm4py(ours, XES_KEYS, bpic2012, pm4py)


def test_p90_and_cases_per_edge(sepsis: pl.DataFrame, sepsis_pm4py: pd.DataFrame) -> None:
    edges = discover_dfg(sepsis, **SEPSIS)
    frame = sepsis_pm4py.sort_values(["case:concept:name", "time:timestamp", "@@index"])
    nxt = frame.groupby("case:concept:name")[["concept:name", "time:timestamp"]].shift(-1)
    pairs = frame.assign(
        target=nxt["concept:name"],
        wait=(nxt["time:timestamp"] - frame["time:timestamp"]).dt.total_seconds(),
    ).dropna(subset=["target"])
    grouped = pairs.groupby(["concept:name", "target"])
    p90 = grouped["wait"].quantile(0.9).to_dict()
    cases = grouped["case:concept:name"].nunique().to_dict()
    for row in edges.iter_rows(named=True):
        key = (row["source"], row["target"])
        assert row["p90"] == pytest.approx(p90[key], rel=1e-12)
        assert row["cases"] == cases[key]


EVENT = st.tuples(st.integers(1, 4), st.sampled_from("abcd"), st.integers(0, 3))


@settings(max_examples=25, deadline=None)
@given(st.lists(EVENT, min_size=1, max_size=30))
def test_equal_timestamps_keep_input_order_like_pm4py(events: list[tuple[int, str, int]]) -> None:
    from journeys.mining._engine import pm4py_module

    pm4py = pm4py_module()
    base = datetime(2024, 1, 1, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "person_id": [str(c) for c, _, _ in events],
            "activity": [a for _, a, _ in events],
            "start": [base + timedelta(minutes=m) for _, _, m in events],
        }
    )
    oracle = pm4py.format_dataframe(
        frame.to_pandas(), case_id="person_id", activity_key="activity", timestamp_key="start"
    )
    _assert_equal_to_pm4py(frame, {}, oracle, pm4py)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(EVENT, min_size=1, max_size=30, unique_by=lambda e: (e[0], e[2])),
    st.randoms(use_true_random=False),
)
def test_row_order_never_changes_the_map(events: list[tuple[int, str, int]], rnd: Any) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "person_id": [c for c, _, _ in events],
            "activity": [a for _, a, _ in events],
            "start": [base + timedelta(minutes=m) for _, _, m in events],
        }
    )
    order = list(range(frame.height))
    rnd.shuffle(order)
    shuffled = frame[order]
    assert discover_dfg(shuffled).equals(discover_dfg(frame))
    assert discover_variants(shuffled).equals(discover_variants(frame))
    assert discover_start_activities(shuffled).equals(discover_start_activities(frame))


def _journeys() -> pl.DataFrame:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        (1, "a", "x", 0),
        (1, "b", "x", 1),
        (1, "c", "y", 2),
        (2, "a", "x", 0),
        (2, "b", "x", 1),
        (2, "c", "y", 2),
        (3, "a", "x", 0),
        (3, "c", "y", 3),
        (4, "a", "x", 10),
        (4, "d", "z", 11),
    ]
    return pl.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "agency": [r[2] for r in rows],
            "start": [base + timedelta(days=r[3]) for r in rows],
        }
    )


def test_detail_controls() -> None:
    frame = _journeys()
    full = discover_process_map(frame)
    assert full.activities.height == 4
    assert dfg_as_dict(full.edges) == {("a", "b"): 2, ("b", "c"): 2, ("a", "c"): 1, ("a", "d"): 1}
    # activities covering 80% of the 10 events: a (4), b (2), c (3) -> 9 events
    kept = discover_process_map(frame, activity_coverage=0.8)
    assert set(kept.activities.get_column("activity")) == {"a", "b", "c"}
    assert ("a", "d") not in dfg_as_dict(kept.edges)
    # paths covering half of the pairs: the two most frequent
    paths = discover_process_map(frame, path_coverage=0.5)
    assert set(dfg_as_dict(paths.edges)) == {("a", "b"), ("b", "c")}
    top = discover_process_map(frame, top_variants=1)
    assert variants_as_dict(top.variants) == {("a", "b", "c"): 2}
    by_agency = discover_process_map(frame, agencies=["x"])
    assert set(by_agency.activities.get_column("activity")) == {"a", "b"}
    only = discover_process_map(frame, activities=["a", "c"])
    assert dfg_as_dict(only.edges) == {("a", "c"): 3}
    window = discover_process_map(frame, since="2024-01-02", until="2024-01-03")
    assert window.activities.get_column("activity").to_list() == ["b"]
    cases = discover_process_map(frame, since="2024-01-02", until="2024-01-03", window="cases")
    assert variants_as_dict(cases.variants) == {("a", "b", "c"): 2}
    colours = dict(full.activities.select("activity", "agency").iter_rows())
    assert colours == {"a": "x", "b": "x", "c": "y", "d": "z"}


def test_bad_parameters_name_the_problem() -> None:
    frame = _journeys()
    with pytest.raises(DataError, match="activity_coverage"):
        discover_process_map(frame, activity_coverage=0)
    with pytest.raises(DataError, match="Did you mean: 'activity'"):
        discover_dfg(frame, activity="activty")
    with pytest.raises(DataError, match="top_k"):
        discover_variants(frame, top_k=0)
    with pytest.raises(DataError, match="since"):
        discover_process_map(frame, since="yesterday")


def test_input_is_not_mutated(sepsis: pl.DataFrame) -> None:
    before = sepsis.clone()
    discover_process_map(sepsis, **SEPSIS, top_variants=5, path_coverage=0.5)
    assert sepsis.equals(before)


def _fallback(function: Any, *args: Any, **kwargs: Any) -> Any:
    """``function`` on the exact per-case-list path (the implementation before integer codes)."""
    with patch("journeys.mining.maps.case_log", return_value=None):
        return function(*args, **kwargs)


def _same_map(ours: ProcessMap, oracle: ProcessMap) -> None:
    for part in ("activities", "edges", "start", "end", "variants"):
        assert getattr(ours, part).equals(getattr(oracle, part)), part


LOG_EVENT = st.tuples(
    st.sampled_from(["p1", "p2", "p3", "p4", "p5"]),
    st.sampled_from(["a", "b", "ab", "c", "d"]),
    st.sampled_from(["x", "y", None]),
    st.integers(0, 5),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(LOG_EVENT, min_size=1, max_size=40), st.sampled_from([None, 1, 2]))
def test_coded_path_equals_the_per_case_lists(events: list[Any], top: int | None) -> None:
    """Unsorted rows, ties, waits, agency owners, top variants: both paths give equal frames."""
    base = datetime(2024, 1, 1, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "person_id": [e[0] for e in events],
            "activity": [e[1] for e in events],
            "agency": [e[2] for e in events],
            "start": [base + timedelta(hours=e[3] * 7, microseconds=e[3]) for e in events],
        }
    )
    for performance in (True, False):
        kwargs = {"top_variants": top, "performance": performance}
        _same_map(
            discover_process_map(frame, **kwargs), _fallback(discover_process_map, frame, **kwargs)
        )
    assert discover_variants(frame, top_k=2).equals(_fallback(discover_variants, frame, top_k=2))
    for function in (discover_start_activities, discover_end_activities, discover_dfg):
        assert function(frame).equals(_fallback(function, frame))


def _wide_log(activities: int, dtype: pl.DataType) -> pl.DataFrame:
    rng = np.random.default_rng(activities)
    n = 3000
    return pl.DataFrame(
        {
            "person_id": rng.integers(0, 300, n),
            "activity": pl.Series([f"act {i}" for i in rng.integers(0, activities, n)]).cast(dtype),
            "start": pl.Series(rng.integers(0, 50, n) * 3_600_000_000).cast(pl.Datetime("us")),
        }
    )


@pytest.mark.parametrize(
    ("activities", "dtype"),
    [(1500, pl.String), (12, pl.Categorical()), (12, pl.String)],
)
def test_many_activities_and_categoricals_take_the_coded_path(
    activities: int, dtype: pl.DataType
) -> None:
    """1500 activities: edges are hashed, not counted in a matrix; a categorical activity."""
    frame = _wide_log(activities, dtype)
    assert case_log(frame, Columns("person_id", "activity", "start")) is not None
    _same_map(discover_process_map(frame), _fallback(discover_process_map, frame))


def test_a_hash_collision_falls_back_to_the_exact_path() -> None:
    """Every key given code 0 (as if all hashes collided): detected, and the answer is exact."""
    frame = _wide_log(12, pl.String).sample(fraction=1.0, shuffle=True, seed=2)
    columns = Columns("person_id", "activity", "start")

    def collide(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(keys.size, np.uint32), np.zeros(min(keys.size, 1), np.int64)

    with patch("journeys.mining._frames.dense_codes", collide):
        assert case_log(frame, columns) is None
        collided = discover_process_map(frame)
    _same_map(collided, _fallback(discover_process_map, frame))
    assert case_log(frame, columns) is not None


def test_text_timestamps_take_the_per_case_lists() -> None:
    frame = _journeys().with_columns(pl.col("start").dt.strftime("%Y-%m-%d"))
    assert case_log(frame, Columns("person_id", "activity", "start")) is None
    assert dfg_as_dict(discover_dfg(frame, performance=False)) == dfg_as_dict(
        discover_dfg(_journeys())
    )


def test_variants_tie_break_compares_activity_by_activity() -> None:
    frame = pl.DataFrame(
        {
            "person_id": [1, 1, 2, 3, 3],
            "activity": ["a", "b", "ab", "a", "a"],
            "start": [datetime(2024, 1, d) for d in (1, 2, 1, 1, 2)],
        }
    )
    variants = discover_variants(frame).get_column("variant").to_list()
    assert variants == [["a", "a"], ["a", "b"], ["ab"]]
    assert variants == _fallback(discover_variants, frame).get_column("variant").to_list()
