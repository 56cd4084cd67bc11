"""Conformance against the to-be model: fitness distribution and top deviations by agency."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from journeys.disclosure import DisclosureRule, apply_disclosure
from journeys.reports._checks import require_columns
from journeys.reports._style import NEUTRAL, agency_colours, base_layout, format_count
from journeys.reports.columns import DEVIATION, FITNESS, FREQUENCY, PEOPLE
from journeys.schema import ACTIVITY, AGENCY

__all__ = ["fitness_histogram", "plot_deviations", "plot_fitness"]


def fitness_histogram(
    fitness: pl.DataFrame | pl.LazyFrame,
    *,
    bins: int = 10,
    rule: DisclosureRule | None = None,
) -> pl.DataFrame:
    """Journeys per fitness band, with disclosure applied to the counts.

    Parameters
    ----------
    fitness
        One row per journey: ``fitness`` (Float64 in [0, 1]); nulls are ignored.
    bins
        Equal-width bands over [0, 1]; the last band includes 1.0.
    rule
        Disclosure rule for the counts (default: suppress 1..7, round to 5).

    Returns
    -------
    pl.DataFrame
        ``band_from``, ``band_to`` (Float64), ``frequency`` (Int64; null = suppressed).

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"fitness": [1.0] * 12 + [0.25] * 3})
    >>> fitness_histogram(f, bins=2)["frequency"].to_list()
    [None, 10]
    """
    frame = fitness.collect() if isinstance(fitness, pl.LazyFrame) else fitness
    require_columns(frame, (FITNESS,), "fitness_histogram")
    values = frame.get_column(FITNESS).drop_nulls().cast(pl.Float64).to_numpy()
    counts, edges = np.histogram(np.clip(values, 0.0, 1.0), bins=bins, range=(0.0, 1.0))
    table = pl.DataFrame(
        {"band_from": edges[:-1], "band_to": edges[1:], FREQUENCY: counts.astype(np.int64)}
    )
    return apply_disclosure(table, [FREQUENCY], rule=rule)


def plot_fitness(
    fitness: pl.DataFrame | pl.LazyFrame,
    *,
    bins: int = 10,
    rule: DisclosureRule | None = None,
    title: str = "Fitness of journeys against the to-be model",
) -> go.Figure:
    """Histogram of per-journey fitness, counts disclosed (see :func:`fitness_histogram`).

    Examples
    --------
    >>> import polars as pl
    >>> plot_fitness(pl.DataFrame({"fitness": [1.0] * 20})).data[0].type
    'bar'
    """
    rule = rule or DisclosureRule()
    table = fitness_histogram(fitness, bins=bins, rule=rule)
    counts = table.get_column(FREQUENCY).to_list()
    labels = [f"{a:.1f}\u2013{b:.1f}" for a, b in table.select("band_from", "band_to").rows()]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=[0 if c is None else c for c in counts],
            text=[format_count(c, rule.suppressed_label) for c in counts],
            textposition="outside",
            marker={"color": "#4A6FA5"},
            name="journeys",
            hovertemplate="fitness %{x}<br>journeys: %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"title": {"text": "fitness (1 = fits the to-be model)"}},
        yaxis={"title": {"text": "journeys"}},
    )
    return base_layout(fig, title, height=400)


def plot_deviations(
    deviations: pl.DataFrame | pl.LazyFrame,
    *,
    top: int = 15,
    title: str = "Top deviations from the to-be model, by agency",
    suppressed_label: str = "*",
) -> go.Figure:
    """Horizontal bars of the most frequent deviations, coloured by agency.

    Parameters
    ----------
    deviations
        ``agency``, ``activity``, ``deviation`` (String, e.g. "skipped" or "inserted"),
        ``frequency`` (integer; null = suppressed, sorted last), optionally ``people``
        (journeys with the deviation, shown on hover).

    Examples
    --------
    >>> import polars as pl
    >>> d = pl.DataFrame({"agency": ["asc"], "activity": ["Assessment"],
    ...                   "deviation": ["skipped"], "frequency": [25]})
    >>> plot_deviations(d).data[0].y
    ('asc: Assessment (skipped)',)
    """
    frame = deviations.collect() if isinstance(deviations, pl.LazyFrame) else deviations
    require_columns(frame, (AGENCY, ACTIVITY, DEVIATION, FREQUENCY), "plot_deviations")
    shown = frame.sort(FREQUENCY, descending=True, nulls_last=True, maintain_order=True).head(top)
    colours = agency_colours(shown.get_column(AGENCY).to_list())
    fig = go.Figure()
    for agency in dict.fromkeys(shown.get_column(AGENCY).to_list()):
        part = shown.filter(pl.col(AGENCY) == agency)
        freq = part.get_column(FREQUENCY).to_list()
        has_people = PEOPLE in part.columns
        people = part.get_column(PEOPLE).to_list() if has_people else [None] * part.height
        fig.add_trace(
            go.Bar(
                y=[f"{agency}: {a} ({d})" for a, d in part.select(ACTIVITY, DEVIATION).rows()],
                x=[0 if f is None else f for f in freq],
                text=[format_count(f, suppressed_label) for f in freq],
                textposition="outside",
                orientation="h",
                name=agency,
                hovertext=[
                    f"{format_count(f, suppressed_label)} deviations"
                    + (f" in {format_count(n, suppressed_label)} journeys" if has_people else "")
                    for f, n in zip(freq, people, strict=True)
                ],
                hoverinfo="text+y",
                marker={"color": colours.get(agency, NEUTRAL)},
            )
        )
    order = [f"{g}: {a} ({d})" for g, a, d in shown.select(AGENCY, ACTIVITY, DEVIATION).rows()]
    fig.update_layout(
        yaxis={"categoryorder": "array", "categoryarray": order[::-1], "automargin": True},
        xaxis={"title": {"text": "deviations (moves in the alignments)"}},
        legend={"title": {"text": "Agency"}},
    )
    return base_layout(fig, title, height=max(320, 28 * shown.height + 160))
