"""Agency map and figures, on journeys frames built by hand in the schema.JOURNEYS shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
import polars as pl
import pytest

from journeys import schema
from journeys.exceptions import DataError
from journeys.mining import (
    agency_colours,
    discover_agency_map,
    discover_process_map,
    plot_agency_map,
    plot_process_map,
)


def _journeys(paths: dict[int, list[tuple[str, str, float]]]) -> pl.DataFrame:
    """person -> [(agency, activity, hours since previous event)] in the JOURNEYS shape."""
    rows = []
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for person, steps in paths.items():
        when = base
        previous = None
        for seq, (agency, activity, hours) in enumerate(steps):
            when = when + timedelta(hours=hours)
            rows.append(
                {
                    schema.PERSON_ID: person,
                    schema.SEQ: seq,
                    schema.AGENCY: agency,
                    schema.EVENT_ID: f"{person}-{seq}",
                    schema.ACTIVITY: activity,
                    schema.START: when,
                    schema.PREV_AGENCY: previous,
                    schema.HANDOFF: previous is not None and previous != agency,
                    schema.WAIT: None if seq == 0 else timedelta(hours=hours),
                }
            )
            previous = agency
    return pl.DataFrame(
        rows,
        schema={
            schema.PERSON_ID: pl.Int64,
            schema.SEQ: pl.UInt32,
            schema.AGENCY: pl.String,
            schema.EVENT_ID: pl.String,
            schema.ACTIVITY: pl.String,
            schema.START: schema.TIMESTAMP,
            schema.PREV_AGENCY: pl.String,
            schema.HANDOFF: pl.Boolean,
            schema.WAIT: pl.Duration("us"),
        },
    )


@pytest.fixture
def journeys() -> pl.DataFrame:
    release = ("probation", "Release from custody", 0.0)
    return _journeys(
        {
            1: [
                release,
                ("open_door", "Housing referral", 24),
                ("safe_steps", "Housing referral", 12),
                ("probation", "Probation supervision", 48),
            ],
            2: [release, ("open_door", "Housing referral", 48)],
            3: [
                release,
                ("probation", "Probation induction", 2),
                ("haven_housing", "Housing referral", 72),
            ],
        }
    )


def test_agency_map_counts_handoffs_and_waits(journeys: pl.DataFrame) -> None:
    agency_map = discover_agency_map(journeys)
    edges = {
        (s, t): (n, p, med, p90) for s, t, n, p, med, _, p90 in agency_map.handoffs.iter_rows()
    }
    assert edges[("probation", "open_door")] == (
        2,
        2,
        36 * 3600.0,
        pytest.approx((24 + 0.9 * 24) * 3600.0),
    )
    assert edges[("open_door", "safe_steps")][:2] == (1, 1)
    assert edges[("probation", "haven_housing")] == (1, 1, 72 * 3600.0, 72 * 3600.0)
    assert ("probation", "probation") not in edges  # not a hand-off
    assert sum(n for n, *_ in edges.values()) == journeys.get_column(schema.HANDOFF).sum()
    nodes = dict(agency_map.agencies.select(schema.AGENCY, "people").iter_rows())
    assert nodes == {"probation": 3, "open_door": 2, "safe_steps": 1, "haven_housing": 1}


def test_agency_map_needs_the_journeys_columns(journeys: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="handoff"):
        discover_agency_map(journeys.drop(schema.HANDOFF))


def test_figures_draw_every_node_and_edge(journeys: pl.DataFrame) -> None:
    agency_map = discover_agency_map(journeys)
    figure = plot_agency_map(agency_map)
    assert isinstance(figure, go.Figure)
    arrows = [t for t in figure.data if t.mode == "lines+markers+text"]
    assert len(arrows) == agency_map.handoffs.height
    nodes = {t.name for t in figure.data if t.mode == "markers+text"}
    assert nodes == set(agency_map.handoffs.get_column("source")) | set(
        agency_map.handoffs.get_column("target")
    )
    process_map = discover_process_map(journeys)
    figure = plot_process_map(process_map)
    drawn = {t.name for t in figure.data if t.mode == "markers+text"} - {"start / end"}
    assert drawn == set(process_map.activities.get_column(schema.AGENCY))
    arrows = [t for t in figure.data if t.mode == "lines+markers+text"]
    ends = process_map.start.height + process_map.end.height
    assert len(arrows) == process_map.edges.height + ends
    colours = agency_colours(["safe_steps", "open_door"])
    assert colours == agency_colours(["open_door", "safe_steps", "open_door"])
