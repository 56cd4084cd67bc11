"""One table of every side-by-side ratio against a peer tool, from one pytest run.

Each peer comparison calls :func:`record_ratio` once with what it measured; at the end of the
session ``benchmarks/conftest.py`` writes the rows of that run to
``benchmarks/results/ratios-<size>.csv`` and ``.md`` (one file per size, replaced by the next
run at that size). Every row carries the run's start time and the load average when it was
measured, so a table can be checked to come from one run on a quiet machine. Reproduce with::

    JOURNEYS_BENCH_SIZE=large .venv/bin/pytest benchmarks -m peer -s -p no:cacheprovider
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import polars as pl

from benchmarks._sizes import size

RESULTS: Final = Path(__file__).resolve().parent / "results"
RUN_STARTED: Final = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Ratio:
    """One side-by-side comparison: ``ratio`` is how many times faster (or more) we are.

    ``equal_answers``: both tools gave the same answer (same events, pairs, graphs, fitness);
    for encodings, which differ by design, ours separate true duplicates from random pairs at
    least as well as the peer's (the ``data`` text gives both).
    """

    issue: int
    comparison: str
    data: str
    ours: float
    peer: str
    theirs: float
    unit: str
    ratio: float
    target: float
    equal_answers: bool
    size: str
    run_started: str
    load_1min: float

    @property
    def met(self) -> bool:
        return self.equal_answers and self.ratio >= self.target


_ROWS: list[Ratio] = []


def record_ratio(
    *,
    issue: int,
    comparison: str,
    data: str,
    ours: float,
    peer: str,
    theirs: float,
    target: float,
    equal_answers: bool,
    unit: str = "s",
    higher_is_better: bool = False,
) -> Ratio:
    """Keep one comparison of this run. ``ours`` and ``theirs`` are seconds (lower is better)
    unless ``higher_is_better`` (a throughput such as records per second)."""
    ratio = ours / theirs if higher_is_better else theirs / ours
    row = Ratio(
        issue=issue,
        comparison=comparison,
        data=data,
        ours=round(ours, 4),
        peer=peer,
        theirs=round(theirs, 4),
        unit=unit,
        ratio=round(ratio, 2),
        target=target,
        equal_answers=equal_answers,
        size=size(),
        run_started=RUN_STARTED,
        load_1min=round(os.getloadavg()[0], 2),
    )
    _ROWS.append(row)
    return row


def write_ratios() -> Path | None:
    """Write this run's rows (if any) as CSV and a Markdown table; return the CSV path."""
    if not _ROWS:
        return None
    RESULTS.mkdir(exist_ok=True)
    frame = pl.DataFrame([{**asdict(r), "met": r.met} for r in _ROWS]).sort("issue", "comparison")
    path = RESULTS / f"ratios-{size()}.csv"
    frame.write_csv(path)
    header = (
        "| issue | comparison | data | ours | peer | theirs | ratio | target | answers agree "
        "| met |"
    )
    lines = [header, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += [
        f"| {r['issue']} | {r['comparison']} | {r['data']} | {r['ours']:g} {r['unit']} | "
        f"{r['peer']} | {r['theirs']:g} {r['unit']} | {r['ratio']:g}x | >= {r['target']:g}x | "
        f"{'yes' if r['equal_answers'] else 'NO'} | {'yes' if r['met'] else 'no'} |"
        for r in frame.iter_rows(named=True)
    ]
    loads = frame.get_column("load_1min")
    lines.append(
        f"\nOne run started {RUN_STARTED} at size {size()}; load average (1 min) while "
        f"measuring: {loads.min()} to {loads.max()} on {os.cpu_count()} cores."
    )
    (RESULTS / f"ratios-{size()}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
