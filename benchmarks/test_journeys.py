"""Journeys, every detector and the measures basket on synthetic events: time and memory.

Target (issue 5): 10 million events -> journeys, all detectors and the basket in under
60 seconds and under 6 GB peak memory on the 2-core reference machine. The large size uses
1,000,000 synthetic people (about 10 million events); run it with
``JOURNEYS_BENCH_SIZE=large pytest benchmarks/test_journeys.py -m benchmark -s``.

Peers on the same data, answers compared:

- pandas: the usual analyst's way to build hand-offs (sort, ``groupby().shift()``);
- pm4py: ``get_rework_cases_per_activity`` against :func:`journeys.patterns.detect_rework`
  with ``window="episode"`` (case = person, episode and agency, so that both count the same
  thing; the default 7-day window of ``detect_rework`` is stricter than pm4py's definition).

The population is generated once and written to Parquet; generation is not timed (see
``benchmarks/test_synth.py``). The pipeline's peak memory is measured in a fresh process.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import polars as pl
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._sizes import PEOPLE, run_measured, size
from journeys.measures import run_basket
from journeys.patterns import ReworkSettings, detect_all, detect_rework
from journeys.schema import PERSON_ID
from journeys.traces import build_journeys

pytestmark = pytest.mark.benchmark

#: Seconds and MB allowed at the large size (issue 5).
TARGET_SECONDS = 60
TARGET_MB = 6 * 1024


_WRITE = """
from pathlib import Path
from journeys.synth import generate_population
out = Path({folder!r})
pop = generate_population({people}, seed=7)
pop.events.write_parquet(out / "events.parquet")
pop.truth.rename({{"true_person_id": "person_id"}}).write_parquet(out / "crosswalk.parquet")
pop.planted.rename({{"true_person_id": "person_id"}}).write_parquet(out / "planted.parquet")
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The population's events, truth crosswalk and planted patterns as Parquet files.

    Generated in a separate process so that its memory is returned before the pipeline runs.
    """
    folder = tmp_path_factory.mktemp("journeys_bench")
    run_measured(_WRITE.format(folder=str(folder), people=PEOPLE[size()]))
    return folder


def _cpu() -> float:
    """CPU seconds (user + system, every thread) of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pipeline(folder: Path, *, report: bool = False) -> dict[str, int]:
    """Read events, build journeys, run every detector and the basket; return counts.

    With ``report``, print wall and CPU seconds per step (CPU time is the honest figure on
    a shared machine, where wall time depends on the other processes).
    """
    events = pl.scan_parquet(folder / "events.parquet")
    crosswalk = pl.scan_parquet(folder / "crosswalk.parquet")
    steps: list[tuple[str, float, float]] = []
    wall, cpu = time.perf_counter(), _cpu()

    def lap(name: str) -> None:
        nonlocal wall, cpu
        steps.append((name, time.perf_counter() - wall, _cpu() - cpu))
        wall, cpu = time.perf_counter(), _cpu()

    journeys = build_journeys(events, crosswalk).collect()
    lap("journeys")
    occurrences = detect_all(journeys).collect()
    lap("detectors")
    charted = run_basket(journeys)
    lap("basket")
    if report:
        for name, seconds, used in steps:
            print(f"  {name:<10} {seconds:6.1f} s wall {used:6.1f} s CPU")
    counts = dict(occurrences.group_by("pattern").len().iter_rows())
    return {"events": journeys.height, "measure_points": charted.height, **counts}


def test_journeys_detectors_and_basket(benchmark: BenchmarkFixture, data_dir: Path) -> None:
    counts = benchmark.pedantic(pipeline, args=(data_dir,), rounds=1, iterations=1)
    planted = pl.read_parquet(data_dir / "planted.parquet").group_by("pattern").len()
    expected = dict(planted.iter_rows())
    assert (
        counts["events"]
        == pl.scan_parquet(data_dir / "events.parquet").select(pl.len()).collect().item()
    )
    for pattern in ("revolving_door", "duplicate_housing", "ping_pong"):
        assert counts[pattern] == expected[pattern], pattern
    benchmark.extra_info.update(counts)


def test_pipeline_peak_memory(data_dir: Path) -> None:
    """Time and peak resident memory of the whole pipeline in a fresh process."""
    code = (
        "from pathlib import Path; from benchmarks.test_journeys import pipeline; "
        f"print(pipeline(Path({str(data_dir)!r}), report=True))"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, peak_mb = run_measured(code)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    load = os.getloadavg()[0]
    print(
        f"\njourneys+detectors+basket ({size()}): {seconds:.1f} s wall, {cpu:.1f} s CPU, "
        f"peak {peak_mb:.0f} MB (load average {load:.1f} on {os.cpu_count()} cores)"
    )
    if size() == "large":
        assert seconds < TARGET_SECONDS
        assert peak_mb < TARGET_MB


def test_handoffs_side_by_side_with_pandas(data_dir: Path) -> None:
    """Hand-offs per person: polars journeys against a pandas sort/shift, same answer."""
    if size() == "large":
        pytest.skip("pandas needs more than the memory budget for 10 million events")
    events = pl.read_parquet(data_dir / "events.parquet")
    crosswalk = pl.read_parquet(data_dir / "crosswalk.parquet")
    started = time.perf_counter()
    ours = (
        build_journeys(events, crosswalk)
        .group_by(PERSON_ID)
        .agg(pl.col("handoff").sum().cast(pl.Int64))
        .collect()
    )
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    df = events.to_pandas().merge(crosswalk.to_pandas(), on=["agency", "person_ref"], how="left")
    df = df.sort_values([PERSON_ID, "start", "end", "agency", "event_id"], na_position="last")
    prev = df.groupby(PERSON_ID)["agency"].shift(1)
    df["handoff"] = prev.notna() & (prev != df["agency"])
    theirs = df.groupby(PERSON_ID)["handoff"].sum()
    pandas_s = time.perf_counter() - started
    print(f"\nhand-offs: polars {ours_s:.2f} s, pandas {pandas_s:.2f} s")
    ours_map = dict(ours.iter_rows())
    assert ours_map == {int(k): int(v) for k, v in theirs.items()}


def test_rework_side_by_side_with_pm4py(data_dir: Path) -> None:
    """Rework cases per activity: journeys against pm4py, same answer."""
    if size() == "large":
        pytest.skip("pm4py's pandas implementation is not run on 10 million events")
    import pm4py

    journeys = build_journeys(
        pl.scan_parquet(data_dir / "events.parquet"),
        pl.scan_parquet(data_dir / "crosswalk.parquet"),
    ).collect()
    started = time.perf_counter()
    whole = ReworkSettings(window="episode")
    ours = detect_rework(journeys, settings=whole).collect().group_by("activity").len()
    ours_s = time.perf_counter() - started
    log = journeys.select(
        pl.format("{}|{}|{}", PERSON_ID, "episode", "agency").alias("case:concept:name"),
        pl.col("activity").alias("concept:name"),
        pl.col("start").alias("time:timestamp"),
    ).to_pandas()
    started = time.perf_counter()
    theirs = pm4py.get_rework_cases_per_activity(log)
    pm4py_s = time.perf_counter() - started
    print(f"\nrework: journeys {ours_s:.2f} s, pm4py {pm4py_s:.2f} s")
    assert dict(ours.iter_rows()) == {k: v for k, v in theirs.items() if v}
