"""Individual journey maps: one pseudonymous person's timeline, one lane per agency."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from journeys.disclosure import END_DAY, JOURNEY, START_DAY
from journeys.exceptions import DataError
from journeys.reports._checks import require_columns
from journeys.reports._style import NEUTRAL, agency_colours, base_layout
from journeys.schema import ACTIVITY, AGENCY, PERSON_ID, START

__all__ = ["plot_journey_map"]


def plot_journey_map(
    journey: pl.DataFrame | pl.LazyFrame,
    *,
    number: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """A timeline of one de-identified journey: one lane per agency, days since first event.

    Parameters
    ----------
    journey
        Rows of :func:`journeys.disclosure.deidentify_journeys`: ``journey`` (UInt32),
        ``agency``, ``activity``, ``start_day`` and ``end_day`` (Float64 days since the
        person's first event; ``end_day`` null for instant events). Raw journeys with dates
        or ids are refused.
    number
        Which journey to draw when the frame holds several (default: the first).

    Examples
    --------
    >>> import polars as pl
    >>> j = pl.DataFrame({"journey": [1, 1], "agency": ["ae", "acute"],
    ...                   "activity": ["Arrival", "Emergency admission"],
    ...                   "start_day": [0.0, 0.2], "end_day": [None, 3.5]})
    >>> fig = plot_journey_map(j)
    >>> sorted(t.name for t in fig.data if t.name)
    ['acute', 'ae']
    """
    frame = journey.collect() if isinstance(journey, pl.LazyFrame) else journey
    leaked = [c for c in (PERSON_ID, START) if c in frame.columns]
    if leaked:
        raise DataError(
            f"plot_journey_map: the table has column(s) {leaked}, which identify a person or a "
            "date; pass journeys.disclosure.deidentify_journeys(...) output instead."
        )
    require_columns(frame, (JOURNEY, AGENCY, ACTIVITY, START_DAY, END_DAY), "plot_journey_map")
    if frame.is_empty():
        raise DataError("plot_journey_map: the journey table has no rows; pass at least one event")
    chosen = int(frame.get_column(JOURNEY).min()) if number is None else number  # type: ignore[arg-type]
    rows = frame.filter(pl.col(JOURNEY) == chosen).sort(START_DAY)
    if rows.is_empty():
        raise DataError(f"plot_journey_map: journey {number} is not in the table")
    lanes = list(dict.fromkeys(rows.get_column(AGENCY).to_list()))
    colours = agency_colours(lanes)
    fig = go.Figure()
    # the path through the agencies, in time order
    fig.add_trace(
        go.Scatter(
            x=rows.get_column(START_DAY).to_list(),
            y=rows.get_column(AGENCY).to_list(),
            mode="lines",
            line={"color": NEUTRAL, "width": 1, "dash": "dot"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for agency in lanes:
        part = rows.filter(pl.col(AGENCY) == agency)
        spans = part.filter(pl.col(END_DAY).is_not_null() & (pl.col(END_DAY) > pl.col(START_DAY)))
        if spans.height:
            fig.add_trace(
                go.Bar(
                    base=spans.get_column(START_DAY).to_list(),
                    x=(spans.get_column(END_DAY) - spans.get_column(START_DAY)).to_list(),
                    y=spans.get_column(AGENCY).to_list(),
                    orientation="h",
                    width=0.45,
                    marker={"color": colours[agency], "opacity": 0.55},
                    customdata=spans.select(ACTIVITY, START_DAY, END_DAY).rows(),
                    hovertemplate=(
                        "%{customdata[0]}<br>day %{customdata[1]:.1f} to %{customdata[2]:.1f}"
                        "<extra></extra>"
                    ),
                    showlegend=False,
                    name="",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=part.get_column(START_DAY).to_list(),
                y=part.get_column(AGENCY).to_list(),
                mode="markers",
                marker={
                    "size": 11,
                    "color": colours[agency],
                    "line": {"width": 1, "color": "#333"},
                },
                customdata=part.select(ACTIVITY, START_DAY).rows(),
                hovertemplate="%{customdata[0]}<br>day %{customdata[1]:.1f}<extra></extra>",
                name=agency,
            )
        )
    fig.update_layout(
        xaxis={"title": {"text": "days since the first event"}, "zeroline": False},
        yaxis={"type": "category", "categoryorder": "array", "categoryarray": lanes[::-1]},
        legend={"title": {"text": "Agency"}},
        barmode="overlay",
    )
    default = f"Journey {chosen}: {rows.height} events across {len(lanes)} agencies"
    return base_layout(fig, title or default, height=max(260, 70 * len(lanes) + 140))
