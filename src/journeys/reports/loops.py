"""Loops that hurt: repeated admissions, duplicate attempts, ping-pong; counts and examples."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from journeys.disclosure import JOURNEY, START_DAY
from journeys.reports._checks import require_columns
from journeys.reports._style import base_layout, format_count
from journeys.reports.columns import OCCURRENCES, PEOPLE
from journeys.schema import ACTIVITY, AGENCY, PATTERN

__all__ = ["plot_loop_counts", "plot_loop_examples"]

_PATTERN_COLOURS = ("#CC6677", "#4477AA", "#DDAA33", "#117733", "#AA4499", "#88CCEE")


def plot_loop_counts(
    counts: pl.DataFrame | pl.LazyFrame,
    *,
    title: str = "Loops by agency",
    suppressed_label: str = "*",
) -> go.Figure:
    """Grouped bars: people caught in each loop pattern, by agency.

    Parameters
    ----------
    counts
        One row per (pattern, agency): ``pattern`` (String, e.g. "revolving_door"),
        ``agency`` (String), ``people`` (integer; null = suppressed) and optionally
        ``occurrences`` (integer; null = suppressed).

    Examples
    --------
    >>> import polars as pl
    >>> c = pl.DataFrame({"pattern": ["ping_pong", "ping_pong"], "agency": ["police", "ae"],
    ...                   "people": [15, None]})
    >>> plot_loop_counts(c).data[0].text
    ('15', '*')
    """
    frame = counts.collect() if isinstance(counts, pl.LazyFrame) else counts
    require_columns(frame, (PATTERN, AGENCY, PEOPLE), "plot_loop_counts")
    fig = go.Figure()
    agencies = sorted(frame.get_column(AGENCY).drop_nulls().unique().to_list())
    for i, pattern in enumerate(sorted(frame.get_column(PATTERN).drop_nulls().unique().to_list())):
        part = frame.filter(pl.col(PATTERN) == pattern)
        people = part.get_column(PEOPLE).to_list()
        hover = [
            f"{pattern} at {a}<br>people: {format_count(p, suppressed_label)}"
            + (
                f"<br>occurrences: {format_count(o, suppressed_label)}"
                if OCCURRENCES in part.columns
                else ""
            )
            for a, p, o in zip(
                part.get_column(AGENCY),
                people,
                part.get_column(OCCURRENCES) if OCCURRENCES in part.columns else people,
                strict=True,
            )
        ]
        fig.add_trace(
            go.Bar(
                x=part.get_column(AGENCY).to_list(),
                y=[0 if p is None else p for p in people],
                text=[format_count(p, suppressed_label) for p in people],
                textposition="outside",
                name=pattern.replace("_", " "),
                marker={"color": _PATTERN_COLOURS[i % len(_PATTERN_COLOURS)]},
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.update_layout(
        barmode="group",
        xaxis={"categoryorder": "array", "categoryarray": agencies, "title": {"text": "agency"}},
        yaxis={"title": {"text": "people"}},
        legend={"title": {"text": "Loop"}},
    )
    return base_layout(fig, title, height=440)


def plot_loop_examples(
    examples: pl.DataFrame | pl.LazyFrame,
    *,
    title: str = "Examples of loops (de-identified)",
    max_steps: int = 12,
) -> go.Figure:
    """A table with one line per example loop: the path through agencies with relative days.

    Parameters
    ----------
    examples
        De-identified evidence events (see :func:`journeys.disclosure.deidentify_journeys`)
        with a ``pattern`` column: ``pattern``, ``journey``, ``agency``, ``activity``,
        ``start_day``. One example = one (pattern, journey).

    Examples
    --------
    >>> import polars as pl
    >>> e = pl.DataFrame({"pattern": ["ping_pong"] * 2, "journey": [1, 1],
    ...                   "agency": ["police", "ae"], "activity": ["Detention", "Arrival"],
    ...                   "start_day": [0.0, 0.25]})
    >>> plot_loop_examples(e).data[0].cells.values[2][0]
    'day 0.0 police: Detention \u2192 day 0.2 ae: Arrival'
    """
    frame = examples.collect() if isinstance(examples, pl.LazyFrame) else examples
    require_columns(frame, (PATTERN, JOURNEY, AGENCY, ACTIVITY, START_DAY), "plot_loop_examples")
    grouped = (
        frame.sort(PATTERN, JOURNEY, START_DAY)
        .group_by(PATTERN, JOURNEY, maintain_order=True)
        .agg(
            pl.format(
                "day {} {}: {}", pl.col(START_DAY).round(1), pl.col(AGENCY), pl.col(ACTIVITY)
            ).alias("steps"),
            pl.col(START_DAY).max().sub(pl.col(START_DAY).min()).alias("span"),
        )
    )
    paths = []
    for steps in grouped.get_column("steps").to_list():
        shown = steps[:max_steps]
        more = len(steps) - len(shown)
        paths.append(" \u2192 ".join(shown) + (f" \u2192 ... ({more} more)" if more else ""))
    fig = go.Figure(
        go.Table(
            columnwidth=[1.2, 0.6, 6, 0.8],
            header={
                "values": ["loop", "journey", "path", "days"],
                "fill": {"color": "#E8EEF5"},
                "align": "left",
            },
            cells={
                "values": [
                    [p.replace("_", " ") for p in grouped.get_column(PATTERN).to_list()],
                    grouped.get_column(JOURNEY).to_list(),
                    paths,
                    [f"{s:.1f}" for s in grouped.get_column("span").to_list()],
                ],
                "align": "left",
            },
        )
    )
    return base_layout(fig, title, height=max(220, 30 * grouped.height + 140))
