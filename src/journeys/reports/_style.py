"""Shared look of the figures: agency colours, the suppressed label, number formats."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import plotly.graph_objects as go

__all__ = ["agency_colours", "base_layout", "format_count", "format_hours"]

# Colour-blind safe (Paul Tol's "muted" and "bright" schemes), fixed per known agency so that
# one agency has one colour in every figure of the pack.
_KNOWN: Final[dict[str, str]] = {
    "ae": "#CC6677",
    "acute": "#882255",
    "ambulance": "#EE7733",
    "gp": "#117733",
    "asc": "#44AA99",
    "police": "#332288",
    "probation": "#88CCEE",
    "haven_housing": "#DDCC77",
    "open_door": "#999933",
    "safe_steps": "#AA4499",
}
_SPARE: Final = ("#4477AA", "#66CCEE", "#228833", "#CCBB44", "#EE6677", "#AA3377", "#BBBBBB")
NEUTRAL: Final = "#9A9A9A"


def agency_colours(agencies: Iterable[str | None]) -> dict[str, str]:
    """One colour per agency: fixed for the known agencies, then a spare palette in name order."""
    out: dict[str, str] = {}
    spare = 0
    for name in sorted({a for a in agencies if a is not None}):
        if name in _KNOWN:
            out[name] = _KNOWN[name]
        else:
            out[name] = _SPARE[spare % len(_SPARE)]
            spare += 1
    return out


def format_count(value: int | None, suppressed_label: str) -> str:
    """A count for a label; null means suppressed by disclosure control."""
    return suppressed_label if value is None else f"{value:,}"


def format_hours(hours: float | None) -> str:
    """Hours in the most readable unit (min, h, d)."""
    if hours is None:
        return "n/a"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


_GRID: Final = "#E5E8EC"
_AXIS: Final = {"gridcolor": _GRID, "zeroline": False, "linecolor": "#B8C0CA", "automargin": True}


def base_layout(fig: go.Figure, title: str, *, height: int = 480) -> go.Figure:
    """Common layout: title, light grid, margins, colour-blind safe colourway.

    The styling is set directly instead of through a plotly template: a template is copied
    into every figure (about 6 kB each) and validated again each time, which made building
    the pack several times slower.
    """
    fig.update_layout(
        template="none",
        title={"text": title, "x": 0.01},
        height=height,
        margin={"l": 60, "r": 20, "t": 70, "b": 50},
        font={
            "family": "system-ui, -apple-system, Segoe UI, Arial, sans-serif",
            "size": 12,
            "color": "#2a3f5f",
        },
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(_SPARE),
        xaxis=_AXIS,
        yaxis=_AXIS,
    )
    return fig
