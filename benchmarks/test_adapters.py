"""Adapters: XES reading against pm4py, and CSV ingest against pandas, side by side.

Sizes (JOURNEYS_BENCH_SIZE):

- XES: small = the running example (42 events), medium and large = BPI Challenge 2012
  (262,200 events). Our reader and ``pm4py.read_xes`` read the same file in the same run; the
  (case, activity, timestamp) columns must be equal, event for event. Target (issue 3): ours at
  least 10 times faster at the large size.
- CSV ingest: an A&E-style extract (UK dates, Europe/London wall clock) of 100,000 events
  (small), 1,000,000 (medium) or 10,000,000 (large), through a mapping, against the pandas
  recipe an analyst would write (``read_csv`` + ``to_datetime`` + ``tz_localize``); the UTC
  timestamps must agree.

Run: ``JOURNEYS_BENCH_SIZE=large pytest benchmarks/test_adapters.py -m benchmark -s``.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._ratios import record_ratio
from benchmarks._sizes import size
from journeys.adapters import ingest, read_xes
from tests.conftest import SHARED_DATA, require_service

pytestmark = pytest.mark.benchmark

CSV_EVENTS = {"small": 100_000, "medium": 1_000_000, "large": 10_000_000}
XES_FILE = {
    "small": "running-example.xes.gz",
    "medium": "bpic2012.xes.gz",
    "large": "bpic2012.xes.gz",
}
KEYS = ["case:concept:name", "concept:name", "time:timestamp"]


def _pm4py_read(path: Path) -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        frame = pm4py.read_xes(str(path))
    return pl.from_pandas(frame[KEYS]).with_columns(
        pl.col("time:timestamp").dt.cast_time_unit("us").dt.convert_time_zone("UTC")
    )


@pytest.fixture(scope="module")
def xes_path() -> Path:
    path = SHARED_DATA / "event_logs" / XES_FILE[size()]
    require_service(path.exists(), str(path))
    return path


def test_xes_ours(benchmark: BenchmarkFixture, xes_path: Path) -> None:
    ours = benchmark(read_xes, xes_path)
    assert ours.select(KEYS).equals(_pm4py_read(xes_path))


def test_xes_pm4py(benchmark: BenchmarkFixture, xes_path: Path) -> None:
    theirs = benchmark.pedantic(_pm4py_read, args=(xes_path,), rounds=1, iterations=1)
    assert theirs.equals(read_xes(xes_path).select(KEYS))


@pytest.mark.peer
def test_xes_speed_ratio(xes_path: Path) -> None:
    """One timed read each, same process, same file (already in the page cache: read once
    untimed first); prints the ratio."""
    read_xes(xes_path)
    started = time.perf_counter()
    ours = read_xes(xes_path)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    theirs = _pm4py_read(xes_path)
    theirs_s = time.perf_counter() - started
    equal = ours.select(KEYS).equals(theirs)
    row = record_ratio(
        issue=3,
        comparison="XES reading",
        data=f"{xes_path.name}, {ours.height:,} events",
        ours=ours_s,
        peer="pm4py.read_xes",
        theirs=theirs_s,
        target=10,
        equal_answers=equal,
    )
    assert equal
    ratio = row.ratio
    print(
        f"\nXES {xes_path.name}: {ours.height:,} events; ours {ours_s:.2f} s, "
        f"pm4py.read_xes {theirs_s:.2f} s, ratio {ratio:.1f}x"
    )
    if size() == "large":
        assert ratio >= 10


@pytest.fixture(scope="module")
def csv_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    n = CSV_EVENTS[size()]
    rng = np.random.default_rng(7)
    start = np.datetime64("2023-01-01T00:00:00") + rng.integers(0, 2 * 365 * 86400, n).astype(
        "timedelta64[s]"
    )
    frame = pl.DataFrame(
        {
            "Patient Ref": pl.Series(rng.integers(1, n // 10 + 2, n)).cast(pl.String),
            "Attendance": pl.int_range(n, eager=True).cast(pl.String),
            "Event Code": pl.Series(rng.choice(["ARR", "TRI", "DTA", "DIS"], n)),
            "Event Date": pl.Series(start.astype("datetime64[us]")).dt.to_string(
                "%d/%m/%Y %H:%M:%S"
            ),
            "Team": pl.Series(rng.integers(1, 9, n)).cast(pl.String),
        }
    )
    folder = tmp_path_factory.mktemp("csv_bench")
    frame.write_csv(folder / "ae.csv")
    mapping = {
        "agency": "ae",
        "source": {"kind": "csv", "path": "ae.csv", "chunk_size": 1_000_000},
        "events": {
            "person_ref": "Patient Ref",
            "event_id": "Attendance",
            "start": {
                "column": "Event Date",
                "format": "%d/%m/%Y %H:%M:%S",
                "ambiguous": "earliest",
            },
            "resource": "Team",
        },
        "codes": {
            "column": "Event Code",
            "map": {
                code: {"activity": name, "service": "emergency_care"}
                for code, name in (
                    ("ARR", "A&E arrival"),
                    ("TRI", "A&E triage"),
                    ("DTA", "Decision to admit"),
                    ("DIS", "A&E discharge"),
                )
            },
        },
    }
    (folder / "ae.yaml").write_text(yaml.safe_dump(mapping))
    return folder


def _pandas_ingest(folder: Path) -> pl.Series:
    import pandas as pd

    frame = pd.read_csv(folder / "ae.csv", dtype=str)
    local = pd.to_datetime(frame["Event Date"], format="%d/%m/%Y %H:%M:%S")
    utc = local.dt.tz_localize("Europe/London", ambiguous=True, nonexistent="NaT").dt.tz_convert(
        "UTC"
    )
    return pl.from_pandas(utc).dt.cast_time_unit("us").alias("start")


def test_csv_ingest_ours(benchmark: BenchmarkFixture, csv_extract: Path) -> None:
    result = benchmark.pedantic(ingest, args=([csv_extract / "ae.yaml"],), rounds=1, iterations=1)
    (account,) = result.accounts
    assert account.balanced
    assert account.read == CSV_EVENTS[size()]
    theirs = _pandas_ingest(csv_extract)
    # pandas turns times in the spring-forward gap into NaT; we quarantine those rows
    assert account.quarantined == theirs.null_count()
    ours = result.events.sort(pl.col("event_id").cast(pl.Int64)).get_column("start")
    assert ours.equals(theirs.drop_nulls(), check_names=False)


def test_csv_ingest_pandas(benchmark: BenchmarkFixture, csv_extract: Path) -> None:
    theirs = benchmark.pedantic(_pandas_ingest, args=(csv_extract,), rounds=1, iterations=1)
    assert theirs.len() == CSV_EVENTS[size()]
