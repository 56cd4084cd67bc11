"""Mining: process maps and alignment fitness, ours against pm4py side by side.

Sizes (JOURNEYS_BENCH_SIZE):

- Directly-follows graph + start/end activities + variants on a generated log of 100,000
  events (small), 1,000,000 (medium) or 10,000,000 (large): ``journeys.mining.
  discover_process_map(performance=False)`` against ``pm4py.discover_dfg`` +
  ``pm4py.get_variants`` on the same polars LazyFrame and on the same pandas frame. Answers must
  be equal. Targets (issue 6, large): >= 1.5x faster than pm4py on the LazyFrame, >= 10x faster
  than pm4py on pandas. Ours is also timed on the same rows shuffled (printed, no target).
- Alignment fitness on receipt.csv against models/receipt.bpmn: ``check_alignments`` (once per
  variant, A* on the model's reachability graph) against ``pm4py.fitness_alignments``; identical
  figures and identical per-case fitness and cost. Ours is warmed up first (numba). Small: the
  cases of the 4 most frequent variants; medium and large: the whole log (1,434 cases, 116
  variants). Target (large): >= 5x faster.

Run: ``JOURNEYS_BENCH_SIZE=large pytest benchmarks/test_mining.py -m benchmark -s``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import polars as pl
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._ratios import record_ratio
from benchmarks._sizes import size
from journeys.mining import (
    check_alignments,
    counts_as_dict,
    dfg_as_dict,
    discover_process_map,
    discover_variants,
    read_model,
    variants_as_dict,
)
from journeys.mining._engine import engine_errors, pm4py_module

pytestmark = pytest.mark.benchmark

EVENTS: Final = {"small": 100_000, "medium": 1_000_000, "large": 10_000_000}
CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
KEYS: Final = {"case": CASE, "activity": ACTIVITY, "timestamp": TIME}
SHARED: Final = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _log(n: int) -> pl.DataFrame:
    """A log of ``n`` events: 10 events a case drawn from 400 process variants (Zipf), 3% of the
    events replaced by a random activity, timestamps with ties.

    Rows are in case and time order, as ``pm4py.format_dataframe`` leaves them: pm4py's start
    activities and variants take the rows in the order given (only its DFG sorts), so a shuffled
    log would make pm4py disagree with itself.
    """
    rng = np.random.default_rng(6)
    per = 10
    cases = n // per
    activities = np.array([f"Activity {i:02d}" for i in range(25)])
    templates = rng.integers(0, len(activities), size=(400, per))
    weights = 1.0 / np.arange(1, 401)
    chosen = rng.choice(400, size=cases, p=weights / weights.sum())
    codes = templates[chosen].reshape(-1)
    noise = rng.random(codes.size) < 0.03
    codes[noise] = rng.integers(0, len(activities), size=int(noise.sum()))
    case_index = np.repeat(np.arange(cases), per)
    minutes = case_index * 60 + np.tile(np.arange(per), cases) * 7 + rng.integers(0, 3, codes.size)
    return pl.DataFrame(
        {
            CASE: pl.Series(case_index).cast(pl.String),
            ACTIVITY: pl.Series(activities[codes]),
            TIME: pl.Series(minutes * 60_000_000).cast(pl.Datetime("us", "UTC")),
        }
    )


@pytest.fixture(scope="module")
def log() -> pl.DataFrame:
    return _log(EVENTS[size()])


def _ours(data: pl.LazyFrame) -> tuple[Any, ...]:
    pm = discover_process_map(data, **KEYS, performance=False)
    return (
        dfg_as_dict(pm.edges),
        counts_as_dict(pm.start),
        counts_as_dict(pm.end),
        variants_as_dict(pm.variants),
    )


def _warm_up_maps() -> None:
    """Compile (or load from numba's cache) our kernels on a small log, in order and shuffled
    (3,000 cases: enough for the radix sort of interleaved cases), before any timing."""
    small = _log(30_000)
    _ours(small.lazy())
    _ours(small.sample(fraction=1.0, shuffle=True, seed=1).lazy())


def _pm4py(data: pl.LazyFrame | pd.DataFrame) -> tuple[Any, ...]:
    pm4py = pm4py_module()
    with engine_errors("benchmarking pm4py"):
        dfg, starts, ends = pm4py.discover_dfg(data)
        variants = pm4py.get_variants(data)
    return dict(dfg), dict(starts), dict(ends), dict(variants)


def _best(function: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def test_dfg_variants_ours(benchmark: BenchmarkFixture, log: pl.DataFrame) -> None:
    _warm_up_maps()
    ours = benchmark.pedantic(_ours, args=(log.lazy(),), rounds=1, iterations=1)
    assert ours == _pm4py(log.lazy())


def test_dfg_variants_pm4py_lazyframe(benchmark: BenchmarkFixture, log: pl.DataFrame) -> None:
    theirs = benchmark.pedantic(_pm4py, args=(log.lazy(),), rounds=1, iterations=1)
    assert theirs == _ours(log.lazy())


@pytest.mark.peer
def test_dfg_variants_speed_ratio(log: pl.DataFrame) -> None:
    """Ours (best of 2) against pm4py on a LazyFrame and on pandas, same data, same answers.

    Also ours on the same rows in random order (best of 1; not a target): no case and time
    order to reuse, so every event is counting-sorted by case.
    """
    _warm_up_maps()
    ours_s, ours = _best(lambda: _ours(log.lazy()), 2)
    shuffled = log.sample(fraction=1.0, shuffle=True, seed=6)
    shuffled_s, ours_shuffled = _best(partial(_ours, shuffled.lazy()), 1)
    del shuffled
    lazy_s, lazy = _best(lambda: _pm4py(log.lazy()), 1)
    frame = log.to_pandas()  # converted before timing: pm4py's own input
    pandas_s, theirs = _best(partial(_pm4py, frame), 1)
    del frame
    equal = ours == lazy == theirs == ours_shuffled
    data = f"{log.height:,} events, {len(ours[3]):,} variants (DFG, start/end, variants)"
    for peer, theirs_s in (("pm4py on a polars LazyFrame", lazy_s), ("pm4py on pandas", pandas_s)):
        record_ratio(
            issue=6,
            comparison=f"discovery vs {peer}",
            data=data,
            ours=ours_s,
            peer=peer,
            theirs=theirs_s,
            target=1.5 if "LazyFrame" in peer else 10,
            equal_answers=equal,
        )
    assert equal
    print(
        f"\nDFG + start/end + variants, {log.height:,} events, {len(ours[3]):,} variants: "
        f"ours {ours_s:.2f} s; pm4py LazyFrame {lazy_s:.2f} s ({lazy_s / ours_s:.1f}x); "
        f"pm4py pandas {pandas_s:.2f} s ({pandas_s / ours_s:.1f}x); "
        f"ours on the rows shuffled {shuffled_s:.2f} s ({pandas_s / shuffled_s:.1f}x pandas)"
    )
    if size() == "large":
        assert lazy_s / ours_s >= 1.5
        assert pandas_s / ours_s >= 10


@pytest.fixture(scope="module")
def receipt() -> pl.DataFrame:
    if not SHARED.is_dir():
        pytest.skip(f"the shared data folder {SHARED} is not available")
    frame = pl.read_csv(SHARED / "event_logs" / "receipt.csv", infer_schema=False).with_columns(
        pl.col(TIME).str.to_datetime("%Y-%m-%d %H:%M:%S%.f%:z")
    )
    if size() != "small":
        return frame
    keep = discover_variants(frame, **KEYS, top_k=4).get_column("variant").implode()
    cases = (
        frame.sort(CASE, TIME, maintain_order=True)
        .group_by(CASE, maintain_order=True)
        .agg(pl.col(ACTIVITY))
        .filter(pl.col(ACTIVITY).is_in(keep))
        .get_column(CASE)
        .implode()
    )
    return frame.filter(pl.col(CASE).is_in(cases))


def _pm4py_fitness(frame: pl.DataFrame, model: Any) -> tuple[dict[str, float], list[Any]]:
    """``pm4py.fitness_alignments`` and, seen on the way, the per-trace alignments it computes
    (its own call to pm4py's ``alignments.apply``, wrapped to keep the result)."""
    pm4py = pm4py_module()
    log = pm4py.format_dataframe(frame.to_pandas())
    from pm4py.algo.evaluation.replay_fitness.variants import alignment_based

    per_trace: list[Any] = []
    original = alignment_based.alignments.apply

    def keep(*args: Any, **kwargs: Any) -> Any:
        aligned = original(*args, **kwargs)
        per_trace.extend(aligned)
        return aligned

    alignment_based.alignments.apply = keep
    try:
        with engine_errors("benchmarking pm4py alignments"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result: dict[str, float] = pm4py.fitness_alignments(
                log, model.net, model.initial_marking, model.final_marking
            )
    finally:
        alignment_based.alignments.apply = original
    return result, per_trace


def _our_fitness(frame: pl.DataFrame, model: Any) -> tuple[dict[str, float], Any]:
    aligned = check_alignments(frame, model, **KEYS, processes=2)
    summary = aligned.summary()
    assert summary.pop("timed_out_cases") == 0
    return summary, aligned


def _same_per_case(ours: Any, theirs: list[Any]) -> bool:
    """Per case ``(trace, fitness, cost)``, counted: pm4py's list has one entry per case, and
    its log side is the trace, so equal counts mean every case has the same fitness and cost."""
    from collections import Counter

    rows = ours.cases.join(ours.variants.select("variant_index", "variant"), on="variant_index")
    mine = Counter(
        (tuple(v), f, c) for v, f, c in rows.select("variant", "fitness", "cost").iter_rows()
    )
    pm4py_rows = Counter(
        (tuple(a for a, _ in t["alignment"] if a != ">>"), t["fitness"], t["cost"]) for t in theirs
    )
    return bool(sum(pm4py_rows.values()) == ours.cases.height and mine == pm4py_rows)


def _warm_up(frame: pl.DataFrame, model: Any) -> None:
    """Load (or compile) the numba kernels on a few cases before any timing."""
    _our_fitness(frame.head(30), model)


def test_alignment_fitness_ours(benchmark: BenchmarkFixture, receipt: pl.DataFrame) -> None:
    model = read_model(SHARED / "models" / "receipt.bpmn")
    _warm_up(receipt, model)
    ours, _ = benchmark.pedantic(_our_fitness, args=(receipt, model), rounds=1, iterations=1)
    assert 0 < ours["log_fitness"] <= 1


@pytest.mark.peer
def test_alignment_fitness_speed_ratio(receipt: pl.DataFrame) -> None:
    """Both computed in the same run on the same log and model; the figures and the per-case
    fitness and cost must be equal."""
    model = read_model(SHARED / "models" / "receipt.bpmn")
    _warm_up(receipt, model)
    ours_s, (ours, aligned) = _best(lambda: _our_fitness(receipt, model), 1)
    theirs_s, (theirs, per_trace) = _best(lambda: _pm4py_fitness(receipt, model), 1)
    equal = ours == theirs and _same_per_case(aligned, per_trace)
    record_ratio(
        issue=6,
        comparison="alignment fitness",
        data=f"receipt.csv ({receipt.get_column(CASE).n_unique():,} cases) on receipt.bpmn, "
        "per-case fitness and cost compared",
        ours=ours_s,
        peer="pm4py.fitness_alignments",
        theirs=theirs_s,
        target=5,
        equal_answers=equal,
    )
    assert equal
    print(
        f"\nalignment fitness, receipt ({receipt.get_column(CASE).n_unique():,} cases): ours "
        f"{ours_s:.2f} s, pm4py.fitness_alignments {theirs_s:.2f} s, "
        f"ratio {theirs_s / ours_s:.1f}x; log_fitness {ours['log_fitness']:.6f} both"
    )
    if size() == "large":
        assert theirs_s / ours_s >= 5
