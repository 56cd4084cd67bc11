"""Run ``journeys reconstruct`` at every size and write how each stage grows.

Writes ``benchmarks/results/scaling.csv`` (one row per size and stage) and
``benchmarks/results/scaling.html`` (a log-log plot, plotly.js embedded). Usage::

    python -m benchmarks.scaling            # 10k, 100k and 1M people
    python -m benchmarks.scaling 10000 100000
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import plotly.graph_objects as go
import polars as pl

from benchmarks._sizes import PEOPLE
from benchmarks.test_reconstruct import measure_reconstruct

RESULTS = Path(__file__).resolve().parent / "results"


def main(sizes: list[int]) -> pl.DataFrame:
    rows = []
    for people in sizes:
        result = measure_reconstruct(people)
        stages = result["stages"]
        assert isinstance(stages, dict)
        for stage, seconds in [*stages.items(), ("total", result["seconds"])]:
            rows.append(
                {
                    "people": people,
                    "events": result["events"],
                    "stage": stage,
                    "seconds": float(seconds),
                    "peak_mb": float(result["peak_mb"]),  # type: ignore[arg-type]
                }
            )
        print(f"{people:>9,} people: {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB")
    table = pl.DataFrame(rows)
    # growth exponents (1 = linear): smallest to largest, and each step between two sizes,
    # because a fixed cost at the smallest size can hide a steeper growth at the largest
    ordered = sorted(set(sizes))
    first, last = ordered[0], ordered[-1]

    def exponent(a: int, b: int) -> pl.Expr:
        return (pl.col(str(b)).log() - pl.col(str(a)).log()) / math.log(b / a)

    slopes = table.pivot(on="people", index="stage", values="seconds").with_columns(
        exponent(first, last).alias("exponent"),
        *(
            exponent(a, b).alias(f"exponent_{a}_{b}")
            for a, b in itertools.pairwise(ordered)
            if len(ordered) > 2  # with two sizes the step is the whole range
        ),
    )
    RESULTS.mkdir(exist_ok=True)
    table.write_csv(RESULTS / "scaling.csv")
    slopes.write_csv(RESULTS / "scaling_exponents.csv")
    fig = go.Figure()
    for stage in table.get_column("stage").unique(maintain_order=True):
        part = table.filter(pl.col("stage") == stage)
        fig.add_trace(
            go.Scatter(x=part["people"], y=part["seconds"], name=stage, mode="lines+markers")
        )
    fig.update_xaxes(type="log", title="people")
    fig.update_yaxes(type="log", title="seconds")
    fig.update_layout(title="journeys reconstruct: time per stage against population size")
    fig.write_html(RESULTS / "scaling.html", include_plotlyjs=True)
    print(slopes)
    return table


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or list(PEOPLE.values())
    main(args)
