"""Plotly figures of a mined :class:`ProcessMap` or :class:`AgencyMap` (no Graphviz, no I/O).

The drawing lives in one place, :mod:`journeys.reports.process_map` (the workshop pack's
figures); these functions only turn the mining results into the tables it draws, so a map drawn
from a script looks exactly like the one in the pack.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from journeys import schema
from journeys.mining.maps import ProcessMap
from journeys.mining.views import HANDOFFS, AgencyMap
from journeys.reports._style import agency_colours
from journeys.reports.columns import DURATION_HOURS, FREQUENCY
from journeys.reports.process_map import plot_handoff_map
from journeys.reports.process_map import plot_process_map as _draw_process_map
from journeys.reports.tables import process_map_tables

__all__ = ["agency_colours", "plot_agency_map", "plot_process_map"]

_SECONDS_PER_HOUR = 3600.0


def plot_process_map(process_map: ProcessMap, *, title: str = "Process map") -> go.Figure:
    """The activity map: nodes coloured by the agency that performs them, edges by frequency,
    with the start and end of journeys as edges from and to the edge of the map.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> from journeys.mining.maps import discover_process_map
    >>> ev = pl.DataFrame({"person_id": [1, 1], "activity": ["a", "b"], "agency": ["x", "y"],
    ...     "start": [datetime(2024, 1, 1), datetime(2024, 1, 2)]})
    >>> fig = plot_process_map(discover_process_map(ev))
    >>> sorted(t.name for t in fig.data if t.mode == "markers+text")
    ['start / end', 'x', 'y']
    """
    edges, nodes = process_map_tables(process_map)
    return _draw_process_map(edges, nodes=nodes, title=title)


def plot_agency_map(
    agency_map: AgencyMap, *, title: str = "Hand-offs between agencies"
) -> go.Figure:
    """The agency map: agencies on a circle, hand-offs as arrows with counts and median waits.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import timedelta
    >>> from journeys.mining.views import discover_agency_map
    >>> j = pl.DataFrame({"person_id": [1, 1], "agency": ["probation", "open_door"],
    ...     "prev_agency": [None, "probation"], "handoff": [False, True],
    ...     "wait": [None, timedelta(days=2)]})
    >>> sorted(t.name for t in plot_agency_map(discover_agency_map(j)).data if t.name)
    ['open_door', 'probation']
    """
    handoffs = agency_map.handoffs.select(
        pl.col("source").alias(schema.PREV_AGENCY),
        pl.col("target").alias(schema.AGENCY),
        pl.col(HANDOFFS).cast(pl.Int64).alias(FREQUENCY),
        (pl.col("median_wait") / _SECONDS_PER_HOUR).cast(pl.Float64).alias(DURATION_HOURS),
    )
    return plot_handoff_map(handoffs, title=title)
