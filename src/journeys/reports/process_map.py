"""The as-is process map and the agency hand-off map, drawn with plotly only."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import plotly.graph_objects as go
import polars as pl

from journeys.reports._checks import collect, require_columns
from journeys.reports._graph import circle_layout, edge_path, layered_layout
from journeys.reports._style import NEUTRAL, agency_colours, base_layout, format_count, format_hours
from journeys.reports.columns import DURATION_HOURS, FREQUENCY, FROM_ACTIVITY, TO_ACTIVITY
from journeys.schema import ACTIVITY, AGENCY, PREV_AGENCY

__all__ = ["plot_handoff_map", "plot_process_map"]

_START: Final = "\u25b6 start"
_END: Final = "\u25a0 end"
_FREQ_COLOUR: Final = "#4A6FA5"
_COLUMN: Final = 2.2  # horizontal distance between nodes of one layer (a layer is 1 apart)
_PERF_COLOUR: Final = "#C0392B"


def _widths(values: list[float | None], *, low: float = 1.0, high: float = 9.0) -> list[float]:
    known = [v for v in values if v is not None]
    top = max(known) if known else 0.0
    if top <= 0:
        return [low for _ in values]
    return [low if v is None else low + (high - low) * v / top for v in values]


def plot_process_map(
    edges: pl.DataFrame | pl.LazyFrame,
    *,
    nodes: pl.DataFrame | pl.LazyFrame | None = None,
    title: str = "As-is process map",
    detail_steps: Sequence[int] = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100),
    detail: int = 100,
    suppressed_label: str = "*",
) -> go.Figure:
    """A directly-follows process map with a frequency/performance toggle and a detail slider.

    Parameters
    ----------
    edges
        One row per directly-follows edge: ``from_activity`` (String; null = journeys start
        here), ``to_activity`` (String; null = journeys end here), ``frequency`` (integer;
        null = suppressed) and optionally ``duration_hours`` (Float64: typical time between
        the two activities).
    nodes
        Optional, one row per activity: ``activity``, ``agency`` (colours the node) and
        optionally ``frequency``. Activities missing here are drawn in grey.
    detail_steps
        Percentages of edges (most frequent first) offered by the detail slider.
    detail
        The step shown first.
    suppressed_label
        Text shown for a suppressed count.

    Returns
    -------
    go.Figure
        Edge traces first (one per edge, most frequent first), then one node trace per agency.
        A dropdown switches edge labels and widths between frequency and performance; the
        slider shows the top X% of edges.

    Examples
    --------
    >>> import polars as pl
    >>> e = pl.DataFrame({"from_activity": [None, "Arrival"], "to_activity": ["Arrival", None],
    ...                   "frequency": [40, 40]})
    >>> len(plot_process_map(e).data)
    4
    """
    frame = collect(edges)
    require_columns(frame, (FROM_ACTIVITY, TO_ACTIVITY, FREQUENCY), "plot_process_map(edges)")
    if DURATION_HOURS not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(DURATION_HOURS))
    frame = frame.with_columns(
        pl.col(FROM_ACTIVITY).fill_null(_START), pl.col(TO_ACTIVITY).fill_null(_END)
    ).sort(FREQUENCY, descending=True, nulls_last=True, maintain_order=True)
    node_agency: dict[str, str | None] = {}
    node_freq: dict[str, int | None] = {}
    if nodes is not None:
        nf = collect(nodes)
        require_columns(nf, (ACTIVITY, AGENCY), "plot_process_map(nodes)")
        if FREQUENCY in nf.columns:
            nf = nf.sort(FREQUENCY, descending=True, nulls_last=True)
        for row in nf.iter_rows(named=True):
            node_agency.setdefault(row[ACTIVITY], row[AGENCY])
            node_freq.setdefault(row[ACTIVITY], row.get(FREQUENCY))
    rows = frame.select(FROM_ACTIVITY, TO_ACTIVITY, FREQUENCY, DURATION_HOURS).rows()
    names: list[str] = []
    for u, v, _, _ in rows:
        for n in (u, v):
            if n not in names:
                names.append(n)
    ordered = (
        ([_START] if _START in names else [])
        + [n for n in names if n not in (_START, _END)]
        + ([_END] if _END in names else [])
    )
    layered = layered_layout(ordered, [(u, v) for u, v, _, _ in rows])
    if _END in layered:  # the end node alone below the last layer
        last = max(x for x, _ in layered.values())
        layered[_END] = (max(last, layered[_END][0]), 0.0)
    # top to bottom, as in Disco-style maps: layer -> row, slot -> column
    pos = {n: (-y * _COLUMN, -x) for n, (x, y) in layered.items()}
    layers = int(max((x for x, _ in layered.values()), default=0)) + 1
    fig = go.Figure()
    freq_text: list[list[str]] = []
    perf_text: list[list[str]] = []
    freqs = [f for _, _, f, _ in rows]
    hours = [h for _, _, _, h in rows]
    points = 21
    mid = points // 2
    for u, v, f, h in rows:
        (_x0, y0), (_x1, y1) = pos[u], pos[v]
        backward = y1 > y0 or (y1 == y0 and u != v)
        span = abs(y1 - y0)
        bend = 0.35 if backward else (0.12 if span <= 1 else 0.22)
        xs, ys = edge_path(pos[u], pos[v], bend=bend, points=points)
        ft = ["" for _ in xs]
        pt = ["" for _ in xs]
        ft[mid] = format_count(f, suppressed_label)
        pt[mid] = format_hours(h)
        freq_text.append(ft)
        perf_text.append(pt)
        sizes = [0] * (len(xs) - 1) + [11]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers+text",
                line={"width": 1.0, "color": _FREQ_COLOUR, "shape": "spline"},
                marker={
                    "symbol": "arrow",
                    "angleref": "previous",
                    "size": sizes,
                    "color": _FREQ_COLOUR,
                },
                text=ft,
                textposition="top center",
                textfont={"size": 10, "color": "#333"},
                hovertext=(
                    f"{u} \u2192 {v}<br>frequency: {format_count(f, suppressed_label)}"
                    f"<br>typical time: {format_hours(h)}"
                ),
                hoverinfo="text",
                showlegend=False,
                name=f"{u} \u2192 {v}",
            )
        )
    n_edges = len(rows)
    freq_widths = _widths([None if f is None else float(f) for f in freqs])
    perf_widths = _widths(hours)
    for i, w in enumerate(freq_widths):
        fig.data[i].line.width = w
    colours = agency_colours(a for a in node_agency.values())
    groups: dict[str, list[str]] = {}
    for n in ordered:
        key = "start / end" if n in (_START, _END) else (node_agency.get(n) or "unknown agency")
        groups.setdefault(key, []).append(n)
    for key, members in groups.items():
        colour = colours.get(key, NEUTRAL)
        symbol = "circle" if key == "start / end" else "square"
        fig.add_trace(
            go.Scatter(
                x=[pos[n][0] for n in members],
                y=[pos[n][1] for n in members],
                mode="markers+text",
                marker={
                    "symbol": symbol,
                    "size": 22,
                    "color": colour,
                    "line": {"width": 1, "color": "#333"},
                },
                text=members,
                textposition="middle right",
                hovertext=[
                    f"{n}<br>agency: {key}<br>events: "
                    f"{format_count(node_freq.get(n), suppressed_label)}"
                    if n in node_freq
                    else n
                    for n in members
                ],
                hoverinfo="text",
                name=key,
            )
        )
    edge_idx = list(range(n_edges))
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 0.5,
                "y": 1.1,
                "xanchor": "center",
                "showactive": True,
                "buttons": [
                    {
                        "label": "Frequency",
                        "method": "restyle",
                        "args": [
                            {
                                "line.width": freq_widths,
                                "text": freq_text,
                                "line.color": [_FREQ_COLOUR] * n_edges,
                                "marker.color": [_FREQ_COLOUR] * n_edges,
                            },
                            edge_idx,
                        ],
                    },
                    {
                        "label": "Performance",
                        "method": "restyle",
                        "args": [
                            {
                                "line.width": perf_widths,
                                "text": perf_text,
                                "line.color": [_PERF_COLOUR] * n_edges,
                                "marker.color": [_PERF_COLOUR] * n_edges,
                            },
                            edge_idx,
                        ],
                    },
                ],
            }
        ]
        if n_edges
        else [],
    )
    steps = sorted({s for s in detail_steps if 0 < s <= 100} | {100})
    n_nodes = len(fig.data) - n_edges
    slider_steps: list[dict[str, Any]] = []
    for pct in steps:
        keep = max(1, math.ceil(n_edges * pct / 100)) if n_edges else 0
        visible = [i < keep for i in range(n_edges)] + [True] * n_nodes
        slider_steps.append(
            {"label": f"{pct}%", "method": "restyle", "args": [{"visible": visible}]}
        )
    active = min(range(len(steps)), key=lambda i: abs(steps[i] - detail))
    keep_now = max(1, math.ceil(n_edges * steps[active] / 100)) if n_edges else 0
    for i in range(n_edges):
        fig.data[i].visible = i < keep_now
    fig.update_layout(
        sliders=[
            {
                "active": active,
                "currentvalue": {"prefix": "Detail: top ", "suffix": " of edges"},
                "pad": {"t": 30},
                "steps": slider_steps,
            }
        ],
        xaxis={
            "visible": False,
            "range": [
                min((x for x, _ in pos.values()), default=0) - 1.0,
                max((x for x, _ in pos.values()), default=0) + 3.5,
            ],
        },
        yaxis={"visible": False},
        hovermode="closest",
        legend={"title": {"text": "Agency"}},
    )
    return base_layout(fig, title, height=max(480, 78 * layers + 200))


def plot_handoff_map(
    handoffs: pl.DataFrame | pl.LazyFrame,
    *,
    title: str = "Agency hand-off map",
    suppressed_label: str = "*",
) -> go.Figure:
    """Hand-offs between agencies: agencies on a circle, one curved arrow per direction.

    Parameters
    ----------
    handoffs
        One row per (from agency, to agency): ``prev_agency`` (String, the agency handing
        off), ``agency`` (String, the agency receiving), ``frequency`` (integer; null =
        suppressed) and optionally ``duration_hours`` (typical wait between the two).
        Rows where both agencies are the same are ignored (not a hand-off).

    Examples
    --------
    >>> import polars as pl
    >>> h = pl.DataFrame({"prev_agency": ["police", "ae"], "agency": ["ae", "police"],
    ...                   "frequency": [20, 15]})
    >>> len(plot_handoff_map(h).data)
    4
    """
    frame = collect(handoffs)
    require_columns(frame, (PREV_AGENCY, AGENCY, FREQUENCY), "plot_handoff_map(handoffs)")
    if DURATION_HOURS not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(DURATION_HOURS))
    frame = frame.filter(
        pl.col(PREV_AGENCY).is_not_null()
        & pl.col(AGENCY).is_not_null()
        & (pl.col(PREV_AGENCY) != pl.col(AGENCY))
    ).sort(FREQUENCY, descending=True, nulls_last=True, maintain_order=True)
    rows = frame.select(PREV_AGENCY, AGENCY, FREQUENCY, DURATION_HOURS).rows()
    agencies = sorted({a for u, v, _, _ in rows for a in (u, v)})
    pos = circle_layout(agencies)
    widths = _widths([None if f is None else float(f) for _, _, f, _ in rows], high=12.0)
    fig = go.Figure()
    points = 21
    for (u, v, f, h), w in zip(rows, widths, strict=True):
        xs, ys = edge_path(pos[u], pos[v], bend=0.18, trim=0.16, points=points)
        text = ["" for _ in xs]
        text[points // 2] = format_count(f, suppressed_label)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers+text",
                line={"width": w, "color": "rgba(74,111,165,0.75)"},
                marker={
                    "symbol": "arrow",
                    "angleref": "previous",
                    "size": [0] * (len(xs) - 1) + [12],
                    "color": "rgba(74,111,165,0.9)",
                },
                text=text,
                textposition="top center",
                textfont={"size": 10},
                hovertext=(
                    f"{u} \u2192 {v}<br>hand-offs: {format_count(f, suppressed_label)}"
                    f"<br>typical wait: {format_hours(h)}"
                ),
                hoverinfo="text",
                showlegend=False,
            )
        )
    colours = agency_colours(agencies)
    for a in agencies:
        fig.add_trace(
            go.Scatter(
                x=[pos[a][0]],
                y=[pos[a][1]],
                mode="markers+text",
                marker={"size": 34, "color": colours[a], "line": {"width": 1, "color": "#333"}},
                text=[a],
                textposition="top center" if pos[a][1] >= 0 else "bottom center",
                hoverinfo="text",
                hovertext=[a],
                name=a,
            )
        )
    fig.update_layout(
        xaxis={"visible": False, "range": [-1.4, 1.4]},
        yaxis={"visible": False, "range": [-1.35, 1.35], "scaleanchor": "x"},
        legend={"title": {"text": "Agency"}},
    )
    return base_layout(fig, title, height=560)
