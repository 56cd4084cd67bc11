"""Plotly figures of process maps and agency maps (no Graphviz, no I/O).

Nodes are laid out in layers by breadth-first distance from the start activities (a simple
Sugiyama-style ranking: Sugiyama, Tagawa & Toda, IEEE SMC 1981), agencies on a circle; edges are
arrows whose width grows with their frequency.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Final

import plotly.graph_objects as go
import polars as pl
from plotly.colors import qualitative

from journeys import schema
from journeys.mining.maps import CASES, EVENTS, SOURCE, TARGET, ProcessMap
from journeys.mining.views import HANDOFFS, AgencyMap

__all__ = ["agency_colours", "plot_agency_map", "plot_process_map"]

_PALETTE: Final = tuple(qualitative.Safe) + tuple(qualitative.Pastel)
_MAX_WIDTH: Final = 8.0


def agency_colours(agencies: Sequence[str]) -> dict[str, str]:
    """A stable colour per agency (alphabetical order over a colour-blind-safe palette).

    Examples
    --------
    >>> agency_colours(["gp", "ae"])["ae"] == agency_colours(["ae"])["ae"]
    True
    """
    return {a: _PALETTE[i % len(_PALETTE)] for i, a in enumerate(sorted(set(agencies)))}


def _layers(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], starts: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """x = breadth-first layer from the start nodes, y = order within the layer."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        if s in succ and t in succ:
            succ[s].append(t)
    layer: dict[str, int] = {}
    queue = deque(s for s in starts if s in succ)
    for s in queue:
        layer[s] = 0
    while queue:
        node = queue.popleft()
        for nxt in succ[node]:
            if nxt not in layer:
                layer[nxt] = layer[node] + 1
                queue.append(nxt)
    deepest = max(layer.values(), default=-1)
    for n in nodes:
        layer.setdefault(n, deepest + 1)
    by_layer: dict[int, list[str]] = {}
    for n in nodes:
        by_layer.setdefault(layer[n], []).append(n)
    pos: dict[str, tuple[float, float]] = {}
    for x, members in by_layer.items():
        for i, n in enumerate(members):
            pos[n] = (float(x), (len(members) - 1) / 2 - i)
    return pos


def _arrows(
    fig: go.Figure,
    pos: Mapping[str, tuple[float, float]],
    rows: Sequence[tuple[str, str, int, str]],
) -> None:
    """Draw each edge as an arrow; hover text sits on an invisible marker at its middle."""
    top = max((r[2] for r in rows), default=1) or 1
    mid_x: list[float] = []
    mid_y: list[float] = []
    texts: list[str] = []
    for source, target, count, text in rows:
        (x0, y0), (x1, y1) = pos[source], pos[target]
        width = 1 + (_MAX_WIDTH - 1) * count / top
        if source == target:
            fig.add_shape(
                type="circle",
                x0=x0 - 0.12,
                x1=x0 + 0.12,
                y0=y0 + 0.1,
                y1=y0 + 0.35,
                line={"width": width, "color": "rgba(90,90,90,0.6)"},
            )
            mid_x.append(x0)
            mid_y.append(y0 + 0.35)
        else:
            bend = 0.15 if (x1 < x0 or (x1 == x0 and y1 > y0)) else 0.0
            fig.add_annotation(
                x=x1,
                y=y1 + bend,
                ax=x0,
                ay=y0 + bend,
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                showarrow=True,
                arrowhead=2,
                arrowsize=0.8,
                arrowwidth=width,
                arrowcolor="rgba(90,90,90,0.6)",
                standoff=14,
                startstandoff=14,
                text="",
            )
            mid_x.append((x0 + x1) / 2)
            mid_y.append((y0 + y1) / 2 + bend)
        texts.append(text)
    fig.add_trace(
        go.Scatter(
            x=mid_x,
            y=mid_y,
            mode="markers",
            hoverinfo="text",
            hovertext=texts,
            marker={"size": 10, "opacity": 0},
            showlegend=False,
            name="edges",
        )
    )


def _hours(seconds: float | None) -> str:
    return "n/a" if seconds is None or math.isnan(seconds) else f"{seconds / 3600:.1f} h"


def plot_process_map(process_map: ProcessMap, *, title: str = "Process map") -> go.Figure:
    """The activity map: nodes coloured by the agency that performs them, edges by frequency.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> from journeys.mining.maps import discover_process_map
    >>> ev = pl.DataFrame({"person_id": [1, 1], "activity": ["a", "b"], "agency": ["x", "y"],
    ...     "start": [datetime(2024, 1, 1), datetime(2024, 1, 2)]})
    >>> fig = plot_process_map(discover_process_map(ev))
    >>> sorted(t.name for t in fig.data if t.name != "edges")
    ['x', 'y']
    """
    acts = process_map.activities
    name = acts.columns[0]
    nodes = acts.get_column(name).to_list()
    edges = process_map.edges
    pos = _layers(
        nodes,
        list(zip(edges.get_column(SOURCE), edges.get_column(TARGET), strict=True)),
        process_map.start.get_column(process_map.start.columns[0]).to_list(),
    )
    fig = go.Figure()
    rows = [
        (
            r[SOURCE],
            r[TARGET],
            int(r[EVENTS]),
            f"{r[SOURCE]} → {r[TARGET]}<br>{r[EVENTS]} times, {r[CASES]} cases"
            + (
                f"<br>median wait {_hours(r['median'])}, p90 {_hours(r['p90'])}"
                if "median" in r
                else ""
            ),
        )
        for r in edges.iter_rows(named=True)
    ]
    _arrows(fig, pos, rows)
    has_agency = schema.AGENCY in acts.columns
    groups = (
        acts.partition_by(schema.AGENCY, as_dict=False, maintain_order=True)
        if has_agency
        else [acts]
    )
    colours = agency_colours(
        acts.get_column(schema.AGENCY).drop_nulls().to_list() if has_agency else []
    )
    for group in groups:
        agency = group.get_column(schema.AGENCY)[0] if has_agency else "activities"
        fig.add_trace(
            go.Scatter(
                x=[pos[n][0] for n in group.get_column(name)],
                y=[pos[n][1] for n in group.get_column(name)],
                mode="markers+text",
                text=group.get_column(name).to_list(),
                textposition="top center",
                name=str(agency),
                marker={
                    "size": 22,
                    "color": colours.get(agency, _PALETTE[0]),
                    "line": {"width": 1, "color": "#333"},
                },
                hovertext=[
                    f"{n}<br>{e} events, {c} cases"
                    for n, e, c in group.select(name, EVENTS, CASES).iter_rows()
                ],
                hoverinfo="text",
            )
        )
    _tidy(fig, title)
    return fig


def plot_agency_map(
    agency_map: AgencyMap, *, title: str = "Hand-offs between agencies"
) -> go.Figure:
    """The agency map: agencies on a circle, hand-offs as arrows with counts and waits.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import timedelta
    >>> from journeys.mining.views import discover_agency_map
    >>> j = pl.DataFrame({"person_id": [1, 1], "agency": ["probation", "open_door"],
    ...     "prev_agency": [None, "probation"], "handoff": [False, True],
    ...     "wait": [None, timedelta(days=2)]})
    >>> len(plot_agency_map(discover_agency_map(j)).layout.annotations)
    1
    """
    agencies = agency_map.agencies.get_column(schema.AGENCY).to_list()
    n = max(len(agencies), 1)
    pos = {
        a: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
        for i, a in enumerate(sorted(agencies))
    }
    fig = go.Figure()
    rows = [
        (
            r["source"],
            r["target"],
            int(r[HANDOFFS]),
            f"{r['source']} → {r['target']}<br>{r[HANDOFFS]} hand-offs, {r['people']} people"
            f"<br>median wait {_hours(r['median_wait'])}, p90 {_hours(r['p90_wait'])}",
        )
        for r in agency_map.handoffs.iter_rows(named=True)
        if r["source"] in pos and r["target"] in pos
    ]
    _arrows(fig, pos, rows)
    colours = agency_colours(agencies)
    frame: pl.DataFrame = agency_map.agencies
    fig.add_trace(
        go.Scatter(
            x=[pos[a][0] for a in frame.get_column(schema.AGENCY)],
            y=[pos[a][1] for a in frame.get_column(schema.AGENCY)],
            mode="markers+text",
            text=frame.get_column(schema.AGENCY).to_list(),
            textposition="top center",
            name="agencies",
            marker={
                "size": 26,
                "color": [colours[a] for a in frame.get_column(schema.AGENCY)],
                "line": {"width": 1, "color": "#333"},
            },
            hovertext=[f"{a}<br>{e} events, {p} people" for a, e, p in frame.iter_rows()],
            hoverinfo="text",
            showlegend=False,
        )
    )
    _tidy(fig, title)
    return fig


def _tidy(fig: go.Figure, title: str) -> None:
    fig.update_layout(
        title=title,
        plot_bgcolor="white",
        hovermode="closest",
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        margin={"l": 20, "r": 20, "t": 50, "b": 20},
    )
