"""Data quality and linkage: row accounting, quarantine reasons, match weights, linkage quality."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from journeys.disclosure import DisclosureRule, apply_disclosure
from journeys.reports._checks import require_columns
from journeys.reports._style import base_layout, format_count
from journeys.reports.columns import (
    FREQUENCY,
    METRIC,
    ROWS_FILTERED,
    ROWS_LOADED,
    ROWS_QUARANTINED,
    ROWS_READ,
)
from journeys.schema import MATCH_WEIGHT, REASON, SOURCE, VALUE

__all__ = [
    "match_weight_histogram",
    "plot_linkage_quality",
    "plot_match_weights",
    "plot_quarantine_reasons",
    "plot_row_accounting",
]


def plot_row_accounting(
    accounting: pl.DataFrame | pl.LazyFrame,
    *,
    title: str = "Row accounting per source",
    suppressed_label: str = "*",
) -> go.Figure:
    """Grouped bars per source: rows read, loaded and quarantined.

    Parameters
    ----------
    accounting
        One row per source: ``source`` (String), ``rows_read``, ``rows_loaded``,
        ``rows_quarantined`` and optionally ``rows_filtered`` (integers; null = suppressed).
        See :func:`journeys.reports.row_accounting_table`.

    Examples
    --------
    >>> import polars as pl
    >>> a = pl.DataFrame({"source": ["ae.csv"], "rows_read": [100], "rows_loaded": [95],
    ...                   "rows_quarantined": [5]})
    >>> [t.name for t in plot_row_accounting(a).data]
    ['read', 'loaded', 'quarantined']
    """
    frame = accounting.collect() if isinstance(accounting, pl.LazyFrame) else accounting
    cols = (SOURCE, ROWS_READ, ROWS_LOADED, ROWS_QUARANTINED)
    require_columns(frame, cols, "plot_row_accounting")
    fig = go.Figure()
    bars = [
        ("read", ROWS_READ, "#88CCEE"),
        ("loaded", ROWS_LOADED, "#117733"),
        ("quarantined", ROWS_QUARANTINED, "#CC6677"),
    ]
    if ROWS_FILTERED in frame.columns:
        bars.append(("filtered", ROWS_FILTERED, "#DDCC77"))
    for name, col, colour in bars:
        values = frame.get_column(col).to_list()
        fig.add_trace(
            go.Bar(
                x=frame.get_column(SOURCE).to_list(),
                y=[0 if v is None else v for v in values],
                text=[format_count(v, suppressed_label) for v in values],
                textposition="outside",
                name=name,
                marker={"color": colour},
            )
        )
    fig.update_layout(barmode="group", yaxis={"title": {"text": "rows"}})
    return base_layout(fig, title, height=400)


def plot_quarantine_reasons(
    reasons: pl.DataFrame | pl.LazyFrame,
    *,
    title: str = "Quarantine reasons",
    suppressed_label: str = "*",
) -> go.Figure:
    """Horizontal stacked bars: quarantined rows by reason, one colour per source.

    Parameters
    ----------
    reasons
        Aggregated counts: ``source``, ``reason``, ``frequency`` (integer; null =
        suppressed). Never the raw quarantine table: its ``value`` column may hold identifiers.

    Examples
    --------
    >>> import polars as pl
    >>> r = pl.DataFrame({"source": ["ae.csv"], "reason": ["unparseable date"],
    ...                   "frequency": [10]})
    >>> plot_quarantine_reasons(r).data[0].orientation
    'h'
    """
    frame = reasons.collect() if isinstance(reasons, pl.LazyFrame) else reasons
    require_columns(frame, (SOURCE, REASON, FREQUENCY), "plot_quarantine_reasons")
    fig = go.Figure()
    for source in frame.get_column(SOURCE).unique(maintain_order=True).to_list():
        part = frame.filter(pl.col(SOURCE) == source)
        freq = part.get_column(FREQUENCY).to_list()
        fig.add_trace(
            go.Bar(
                y=part.get_column(REASON).to_list(),
                x=[0 if f is None else f for f in freq],
                text=[format_count(f, suppressed_label) for f in freq],
                textposition="outside",
                orientation="h",
                name=source,
            )
        )
    fig.update_layout(
        barmode="stack",
        xaxis={"title": {"text": "rows quarantined"}},
        yaxis={"automargin": True},
        legend={"title": {"text": "Source"}},
    )
    reasons_n = frame.get_column(REASON).n_unique()
    return base_layout(fig, title, height=max(300, 30 * reasons_n + 160))


def match_weight_histogram(
    weights: pl.DataFrame | pl.LazyFrame,
    *,
    bins: int = 30,
    rule: DisclosureRule | None = None,
) -> pl.DataFrame:
    """Record pairs or records per match-weight band, counts disclosed.

    Parameters
    ----------
    weights
        A table with a ``match_weight`` column (Float64; nulls ignored), e.g. the crosswalk.

    Returns
    -------
    pl.DataFrame
        ``band_from``, ``band_to``, ``frequency`` (null = suppressed).

    Examples
    --------
    >>> import polars as pl
    >>> w = pl.DataFrame({"match_weight": [1.0] * 9 + [9.0] * 20})
    >>> match_weight_histogram(w, bins=2)["frequency"].to_list()
    [10, 20]
    """
    frame = weights.collect() if isinstance(weights, pl.LazyFrame) else weights
    require_columns(frame, (MATCH_WEIGHT,), "match_weight_histogram")
    values = frame.get_column(MATCH_WEIGHT).drop_nulls().cast(pl.Float64).to_numpy()
    if values.size:
        counts, edges = np.histogram(values, bins=bins)
    else:
        counts, edges = np.zeros(bins, dtype=np.int64), np.linspace(0.0, 1.0, bins + 1)
    table = pl.DataFrame(
        {"band_from": edges[:-1], "band_to": edges[1:], FREQUENCY: counts.astype(np.int64)}
    )
    return apply_disclosure(table, [FREQUENCY], rule=rule)


def plot_match_weights(
    weights: pl.DataFrame | pl.LazyFrame,
    *,
    bins: int = 30,
    threshold: float | None = None,
    rule: DisclosureRule | None = None,
    title: str = "Match weight distribution",
) -> go.Figure:
    """Histogram of match weights (counts disclosed) with the link threshold marked.

    Examples
    --------
    >>> import polars as pl
    >>> w = pl.DataFrame({"match_weight": [float(i % 20) for i in range(400)]})
    >>> plot_match_weights(w, threshold=10.0).data[0].type
    'bar'
    """
    rule = rule or DisclosureRule()
    table = match_weight_histogram(weights, bins=bins, rule=rule)
    mids = ((table.get_column("band_from") + table.get_column("band_to")) / 2).to_list()
    counts = table.get_column(FREQUENCY).to_list()
    width = float(table.get_column("band_to")[0] - table.get_column("band_from")[0])
    fig = go.Figure(
        go.Bar(
            x=mids,
            y=[0 if c is None else c for c in counts],
            width=width,
            marker={"color": "#4A6FA5"},
            hovertext=[
                f"{a:.2f} to {b:.2f}: {format_count(c, rule.suppressed_label)}"
                for a, b, c in table.rows()
            ],
            hoverinfo="text",
            name="records",
        )
    )
    if threshold is not None:
        fig.add_vline(x=threshold, line={"color": "#C0392B", "dash": "dash"})
        fig.add_annotation(
            x=threshold, y=1.0, yref="paper", text="link threshold", showarrow=False, xanchor="left"
        )
    fig.update_layout(
        xaxis={"title": {"text": "match weight"}},
        yaxis={"title": {"text": "count"}},
        bargap=0.02,
    )
    return base_layout(fig, title, height=380)


def plot_linkage_quality(
    quality: pl.DataFrame | pl.LazyFrame, *, title: str = "Estimated linkage quality"
) -> go.Figure:
    """A table of linkage quality estimates.

    Parameters
    ----------
    quality
        ``metric`` (String, e.g. "precision (estimated)") and ``value`` (Float64 or String).

    Examples
    --------
    >>> import polars as pl
    >>> q = pl.DataFrame({"metric": ["precision (estimated)"], "value": [0.987]})
    >>> plot_linkage_quality(q).data[0].cells.values[1]
    ['0.987']
    """
    frame = quality.collect() if isinstance(quality, pl.LazyFrame) else quality
    require_columns(frame, (METRIC, VALUE), "plot_linkage_quality")
    values = [
        f"{v:.3f}" if isinstance(v, float) else str(v) for v in frame.get_column(VALUE).to_list()
    ]
    fig = go.Figure(
        go.Table(
            header={"values": ["measure", "value"], "fill": {"color": "#E8EEF5"}, "align": "left"},
            cells={"values": [frame.get_column(METRIC).to_list(), values], "align": "left"},
        )
    )
    return base_layout(fig, title, height=130 + 24 * frame.height)
