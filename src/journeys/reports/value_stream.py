"""Value stream map: process time, wait time, lead time and activity ratio per agency step."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from journeys.reports._checks import require_columns
from journeys.reports._style import NEUTRAL, agency_colours, base_layout, format_count
from journeys.reports.columns import (
    ACTIVITY_RATIO,
    FREQUENCY,
    LEAD_HOURS,
    PEOPLE,
    PROCESS_HOURS,
    WAIT_HOURS,
)
from journeys.schema import ACTIVITY, AGENCY

__all__ = ["TOTAL", "plot_value_stream", "summarise_value_stream"]

#: The ``activity`` label of the total row added by :func:`summarise_value_stream`.
TOTAL = "Total (end to end)"


def summarise_value_stream(steps: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Add lead time and activity ratio to each step, and a total row at the end.

    Parameters
    ----------
    steps
        One row per agency step in journey order: ``agency``, ``activity``,
        ``process_hours`` and ``wait_hours`` (Float64, typical values; null = unknown or
        suppressed), optionally ``frequency`` (integer).

    Returns
    -------
    pl.DataFrame
        The input columns plus ``lead_hours`` (wait + process) and ``activity_ratio``
        (process / lead); the last row (``activity`` = ``TOTAL``) sums the steps.

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"agency": ["ae", "acute"], "activity": ["Triage", "Ward stay"],
    ...                   "process_hours": [1.0, 72.0], "wait_hours": [3.0, 4.0]})
    >>> summarise_value_stream(s).row(-1, named=True)["activity_ratio"]
    0.9125
    """
    frame = steps.collect() if isinstance(steps, pl.LazyFrame) else steps
    require_columns(frame, (AGENCY, ACTIVITY, PROCESS_HOURS, WAIT_HOURS), "plot_value_stream")
    keep = [
        c for c in (AGENCY, ACTIVITY, FREQUENCY, PEOPLE, PROCESS_HOURS, WAIT_HOURS) if c in frame
    ]
    body = (
        frame.select(keep)
        .with_columns(pl.col(PROCESS_HOURS).cast(pl.Float64), pl.col(WAIT_HOURS).cast(pl.Float64))
        .with_columns(
            (pl.col(PROCESS_HOURS) + pl.col(WAIT_HOURS)).alias(LEAD_HOURS),
        )
        .with_columns(
            pl.when(pl.col(LEAD_HOURS) > 0)
            .then(pl.col(PROCESS_HOURS) / pl.col(LEAD_HOURS))
            .otherwise(None)
            .alias(ACTIVITY_RATIO)
        )
    )
    total_process = float(body.get_column(PROCESS_HOURS).sum())
    total_wait = float(body.get_column(WAIT_HOURS).sum())
    lead = total_process + total_wait
    total = {
        AGENCY: None,
        ACTIVITY: TOTAL,
        PROCESS_HOURS: total_process,
        WAIT_HOURS: total_wait,
        LEAD_HOURS: lead,
        ACTIVITY_RATIO: total_process / lead if lead > 0 else None,
    }
    for count in (FREQUENCY, PEOPLE):
        if count in body.columns:
            total[count] = None
    return pl.concat([body, pl.DataFrame([total], schema=body.schema)], how="vertical")


def plot_value_stream(
    steps: pl.DataFrame | pl.LazyFrame,
    *,
    title: str = "Value stream map",
    suppressed_label: str = "*",
) -> go.Figure:
    """Stacked bars of wait and process time per agency step, with the value stream table.

    Parameters
    ----------
    steps
        As for :func:`summarise_value_stream` (one row per step, in journey order).

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"agency": ["ae"], "activity": ["Triage"],
    ...                   "process_hours": [1.0], "wait_hours": [3.0]})
    >>> [t.type for t in plot_value_stream(s).data]
    ['bar', 'bar', 'table']
    """
    table = summarise_value_stream(steps)
    body = table.head(table.height - 1)
    labels = [f"{i + 1}. {a}: {s}" for i, (a, s) in enumerate(body.select(AGENCY, ACTIVITY).rows())]
    colours = agency_colours(body.get_column(AGENCY).to_list())
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.55, 0.45],
        vertical_spacing=0.08,
        specs=[[{"type": "xy"}], [{"type": "table"}]],
    )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=body.get_column(WAIT_HOURS).to_list(),
            name="wait time (h)",
            marker={"color": NEUTRAL},
            hovertemplate="%{x}<br>wait %{y:.1f} h<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=body.get_column(PROCESS_HOURS).to_list(),
            name="process time (h)",
            marker={"color": [colours.get(a, NEUTRAL) for a in body.get_column(AGENCY)]},
            hovertemplate="%{x}<br>process %{y:.1f} h<extra></extra>",
        ),
        row=1,
        col=1,
    )

    def fmt(v: float | None, unit: str = "") -> str:
        return "n/a" if v is None else f"{v:,.1f}{unit}"

    rows = table.to_dicts()
    header = ["step", "agency", "process (h)", "wait (h)", "lead (h)", "activity ratio"]
    cells = [
        [r[ACTIVITY] for r in rows],
        [r[AGENCY] or "" for r in rows],
        [fmt(r[PROCESS_HOURS]) for r in rows],
        [fmt(r[WAIT_HOURS]) for r in rows],
        [fmt(r[LEAD_HOURS]) for r in rows],
        ["n/a" if r[ACTIVITY_RATIO] is None else f"{r[ACTIVITY_RATIO]:.0%}" for r in rows],
    ]
    if FREQUENCY in table.columns:
        header.insert(2, "events")
        cells.insert(
            2,
            [
                "" if r[ACTIVITY] == TOTAL else format_count(r[FREQUENCY], suppressed_label)
                for r in rows
            ],
        )
    fig.add_trace(
        go.Table(
            header={"values": header, "fill": {"color": "#E8EEF5"}, "align": "left"},
            cells={"values": cells, "align": "left"},
        ),
        row=2,
        col=1,
    )
    fig.update_layout(barmode="stack", yaxis={"title": {"text": "hours (typical)"}})
    return base_layout(fig, title, height=700)
