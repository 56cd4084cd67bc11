"""The demo's native extracts: each fast reading path against the slower one it replaced.

Both paths are still in the package, so they run side by side on the same file and must give
the same frames (issue 8, the ingest stage):

- the GP appointments table of the demo's SQLite database, read in one columnar pass by
  connectorx against the row-by-row ``sqlite3`` cursor (with SQLAlchemy's value processors);
- the acute trust's FHIR Bulk Data export, parsed and flattened with Python's cyclic garbage
  collector paused against the same code with it running.

Sizes: the demo at 10 thousand, 100 thousand or 1 million people (7.3 million GP rows and
314,428 FHIR resources at 1M). Writes ``benchmarks/results/native_readers-<size>.csv``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from benchmarks._sizes import PEOPLE, size
from benchmarks.test_reconstruct import demo_folder
from journeys.adapters import fhir
from journeys.adapters._base import paused_gc
from journeys.adapters.sql import SqlReader

pytestmark = pytest.mark.benchmark

RESULTS: Final = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


def _timed(run: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    out = run()
    return out, time.perf_counter() - started


def test_native_readers_against_the_paths_they_replaced() -> None:
    extracts = demo_folder(PEOPLE[size()]) / "extracts"
    reader = SqlReader(
        f"sqlite:///{extracts / 'agencies.sqlite'}", source="gp", table="gp_activity"
    )
    engine, names = reader._connect(), reader.columns()
    reader._sqlite_columnar(engine, names)  # connectorx loaded before timing
    columnar, columnar_s = _timed(lambda: reader._sqlite_columnar(engine, names))
    rows, rows_s = _timed(
        lambda: pl.concat(
            [b.data.drop("__row__") for b in reader._sqlite_batches(engine, names)],
            how="vertical_relaxed",
        )
    )
    assert columnar is not None
    assert_frame_equal(columnar, rows)

    export = extracts / "acute_fhir"

    def flatten() -> tuple[pl.DataFrame, pl.DataFrame]:
        return fhir._flatten(fhir._resources(export))

    def flatten_paused() -> tuple[pl.DataFrame, pl.DataFrame]:
        with paused_gc():
            return flatten()

    gc.collect()
    paused, paused_s = _timed(flatten_paused)
    gc.collect()
    running, running_s = _timed(flatten)
    assert_frame_equal(paused[0], running[0])
    assert_frame_equal(paused[1], running[1])

    table = pl.DataFrame(
        {
            "reader": ["SQLite table (GP appointments)", "FHIR export (acute trust)"],
            "rows": [columnar.height, paused[0].height + paused[1].height],
            "fast_path": ["connectorx, columnar", "collector paused"],
            "fast_seconds": [round(columnar_s, 2), round(paused_s, 2)],
            "replaced_path": ["sqlite3 cursor, row by row", "collector running"],
            "replaced_seconds": [round(rows_s, 2), round(running_s, 2)],
        }
    ).with_columns(ratio=(pl.col("replaced_seconds") / pl.col("fast_seconds")).round(2))
    RESULTS.mkdir(exist_ok=True)
    table.write_csv(RESULTS / f"native_readers-{size()}.csv")
    print(table)
