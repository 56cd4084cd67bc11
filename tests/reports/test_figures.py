"""Figure builders: each draws what its input table says (oracles are the tables themselves)."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.disclosure import DisclosureRule, deidentify_journeys
from journeys.exceptions import DataError
from journeys.reports import (
    chart_measures,
    fitness_histogram,
    match_weight_histogram,
    plot_deviations,
    plot_fitness,
    plot_handoff_map,
    plot_journey_map,
    plot_linkage_quality,
    plot_loop_counts,
    plot_loop_examples,
    plot_match_weights,
    plot_measures_summary,
    plot_process_map,
    plot_quarantine_reasons,
    plot_row_accounting,
    plot_spc,
    plot_value_stream,
    summarise_measures,
    summarise_value_stream,
)
from journeys.reports._graph import edge_path, layered_layout
from journeys.reports.columns import (
    ACTIVITY_RATIO,
    FITNESS,
    FREQUENCY,
    LEAD_HOURS,
    PERIOD,
    PROCESS_HOURS,
    WAIT_HOURS,
    N,
)
from journeys.reports.spc import LCL, MEAN, SPECIAL_CAUSE, UCL
from journeys.reports.value_stream import TOTAL
from journeys.schema import ACTIVITY, AGENCY, MATCH_WEIGHT, PATTERN, VALUE

from . import _fixtures as fx


# --- process map -----------------------------------------------------------------------------
def test_process_map_draws_every_edge_and_node() -> None:
    edges = fx.edges()
    fig = plot_process_map(edges, nodes=fx.nodes())
    n = edges.height
    assert isinstance(fig, go.Figure)
    edge_traces, node_traces = fig.data[:n], fig.data[n:]
    # node traces: one per agency plus start/end; every activity drawn once
    assert {t.name for t in node_traces} == {"ae", "acute", "asc", "police", "start / end"}
    drawn = [label for t in node_traces for label in t.text]
    assert sorted(drawn) == sorted([*fx.nodes().get_column(ACTIVITY), "\u25b6 start", "\u25a0 end"])
    # edges are ordered most frequent first, with the frequency as the label
    labels = ["".join(t.text) for t in edge_traces]
    expected = sorted(edges.get_column(FREQUENCY).to_list(), reverse=True)
    assert labels == [str(f) for f in expected]
    # the arrow head sits on the last point only
    for t in edge_traces:
        assert list(t.marker.size).count(0) == len(t.x) - 1


def test_process_map_slider_shows_top_share_of_edges() -> None:
    edges = fx.edges()
    fig = plot_process_map(edges, detail=50)
    n = edges.height
    slider = fig.layout.sliders[0]
    freqs = sorted(edges.get_column(FREQUENCY).to_list(), reverse=True)
    for step in slider.steps:
        pct = int(step.label.rstrip("%"))
        visible = step.args[0]["visible"]
        keep = math.ceil(n * pct / 100)
        assert sum(visible[:n]) == keep
        assert all(visible[n:])  # nodes always shown
        shown = [f for f, v in zip(freqs, visible[:n], strict=True) if v]
        assert shown == freqs[:keep]  # the most frequent edges
    assert slider.steps[slider.active].label == "50%"
    assert sum(t.visible is not False for t in fig.data[:n]) == math.ceil(n / 2)


def test_process_map_toggle_switches_to_performance() -> None:
    edges = fx.edges()
    fig = plot_process_map(edges)
    freq_btn, perf_btn = fig.layout.updatemenus[0].buttons
    assert (freq_btn.label, perf_btn.label) == ("Frequency", "Performance")
    n = edges.height
    assert list(perf_btn.args[1]) == list(range(n)) == list(freq_btn.args[1])
    perf_labels = ["".join(t) for t in perf_btn.args[0]["text"]]
    ordered = edges.sort(FREQUENCY, descending=True, maintain_order=True)
    hours = ordered.get_column("duration_hours").to_list()
    assert perf_labels[0] == "n/a"
    assert hours[0] is None
    assert "3.5 h" in perf_labels
    assert "16.7 d" in perf_labels
    # widths grow with the value shown
    widths = perf_btn.args[0]["line.width"]
    longest = max(range(n), key=lambda i: -1 if hours[i] is None else hours[i])
    assert widths[longest] == max(widths)


def test_process_map_suppressed_counts_show_the_label() -> None:
    edges = fx.edges().with_columns(pl.lit(None, dtype=pl.Int64).alias(FREQUENCY))
    fig = plot_process_map(edges, suppressed_label="<8")
    assert all("".join(t.text) == "<8" for t in fig.data[: edges.height])


def test_process_map_needs_its_columns() -> None:
    with pytest.raises(DataError, match="to_activity"):
        plot_process_map(pl.DataFrame({"from_activity": ["a"], FREQUENCY: [1]}))


graphs = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(pairs=graphs)
def test_layout_places_every_node_once_and_acyclic_edges_forward(
    pairs: list[tuple[int, int]],
) -> None:
    nodes = sorted({str(n) for p in pairs for n in p})
    edges = [(str(a), str(b)) for a, b in pairs]
    pos = layered_layout(nodes, edges)
    assert set(pos) == set(nodes)
    assert len(set(pos.values())) == len(nodes)
    dag = [(str(min(a, b)), str(max(a, b))) for a, b in pairs if a != b]
    dag_nodes = sorted({n for e in dag for n in e}, key=int)
    if dag:
        p2 = layered_layout(dag_nodes, dag)
        assert all(p2[u][0] < p2[v][0] for u, v in dag)


def test_edge_path_ends_near_the_target() -> None:
    xs, ys = edge_path((0.0, 0.0), (2.0, 0.0), bend=0.2)
    assert len(xs) == 21
    assert xs[-1] > 1.8
    assert xs[0] < 0.2
    assert ys[10] > 0  # bent to the left of travel (upwards going right)


# --- hand-off map -----------------------------------------------------------------------------
def test_handoff_map_one_arrow_per_direction_and_no_self_handoffs() -> None:
    hand = fx.handoffs()
    fig = plot_handoff_map(hand)
    real = hand.filter(pl.col("prev_agency") != pl.col(AGENCY))
    agencies = set(real.get_column("prev_agency")) | set(real.get_column(AGENCY))
    edge_traces = fig.data[: real.height]
    assert {t.name for t in fig.data[real.height :]} == agencies
    assert sorted(int("".join(t.text)) for t in edge_traces) == sorted(
        real.get_column(FREQUENCY).to_list()
    )
    node_pos = {t.name: (t.x[0], t.y[0]) for t in fig.data[real.height :]}
    for t, (u, v) in zip(
        edge_traces,
        real.sort(FREQUENCY, descending=True).select("prev_agency", AGENCY).rows(),
        strict=True,
    ):
        end = (t.x[-1], t.y[-1])
        assert math.dist(end, node_pos[v]) < math.dist(end, node_pos[u])


# --- value stream ------------------------------------------------------------------------------
def test_value_stream_totals() -> None:
    table = summarise_value_stream(fx.value_stream())
    total = table.row(-1, named=True)
    assert total[ACTIVITY] == TOTAL
    assert total[PROCESS_HOURS] == pytest.approx(0.5 + 96 + 2 + 0.25)
    assert total[WAIT_HOURS] == pytest.approx(1.5 + 4 + 48 + 120)
    assert total[LEAD_HOURS] == pytest.approx(98.75 + 173.5)
    assert total[ACTIVITY_RATIO] == pytest.approx(98.75 / 272.25)
    first = table.row(0, named=True)
    assert first[LEAD_HOURS] == 2.0
    assert first[ACTIVITY_RATIO] == 0.25
    fig = plot_value_stream(fx.value_stream())
    assert [t.type for t in fig.data] == ["bar", "bar", "table"]
    assert list(fig.data[0].y) == [1.5, 4.0, 48.0, 120.0]


# --- journey map -------------------------------------------------------------------------------
def test_journey_map_lanes_and_relative_days() -> None:
    deid = deidentify_journeys(fx.journeys(), order=[11, 12, 13])
    fig = plot_journey_map(deid, number=1)
    marker_traces = [t for t in fig.data if t.type == "scatter" and t.name]
    assert {t.name for t in marker_traces} == {"ae", "acute", "asc"}
    days = sorted(x for t in marker_traces for x in t.x)
    assert days[0] == 0.0
    assert days == pytest.approx(sorted(h / 24 for h in (0, 4, 100, 130, 400, 405, 520)))
    bars = [t for t in fig.data if t.type == "bar"]
    spans = sorted(v for t in bars for b, w in zip(t.base, t.x, strict=True) for v in (b, b + w))
    assert spans == pytest.approx([h / 24 for h in (4, 100, 130, 132, 405, 520)])
    assert "Journey 1" in fig.layout.title.text


def test_journey_map_refuses_identifiable_rows() -> None:
    with pytest.raises(DataError, match="deidentify_journeys"):
        plot_journey_map(fx.journeys())


# --- loops -------------------------------------------------------------------------------------
def test_loop_counts_one_bar_group_per_pattern() -> None:
    counts = fx.loop_counts().with_columns(
        pl.when(pl.col("people") < 8).then(None).otherwise(pl.col("people")).alias("people")
    )
    fig = plot_loop_counts(counts)
    assert {t.name for t in fig.data} == {"revolving door", "ping pong", "duplicate housing"}
    housing = next(t for t in fig.data if t.name == "duplicate housing")
    assert list(housing.text) == ["*", "9"]


def test_loop_examples_paths() -> None:
    ex = fx.loop_examples()
    deid = deidentify_journeys(ex.filter(pl.col(PATTERN) == "ping_pong")).with_columns(
        pl.lit("ping_pong").alias(PATTERN)
    )
    fig = plot_loop_examples(deid)
    path = fig.data[0].cells.values[2][0]
    assert path.count("\u2192") == 3
    assert path.startswith("day 0.0 police: Detention")


# --- SPC ---------------------------------------------------------------------------------------
def _one(measures: pl.DataFrame, measure: str) -> pl.DataFrame:
    return measures.filter((pl.col("measure") == measure) & pl.col(AGENCY).is_null())


def test_spc_draws_the_limits_it_is_given() -> None:
    charted = _one(fx.measures(), "time to social care").sort(PERIOD)
    fig = plot_spc(charted)
    by_name = {t.name: t for t in fig.data}
    assert list(by_name["value"].y) == charted.get_column(VALUE).to_list()
    assert list(by_name["upper limit"].y) == charted.get_column(UCL).to_list()
    assert list(by_name["lower limit"].y) == charted.get_column(LCL).to_list()
    assert list(by_name["mean"].y) == charted.get_column(MEAN).to_list()
    flagged = charted.filter(pl.col(SPECIAL_CAUSE))
    assert len(by_name["special cause"].x) == flagged.height > 0
    # the review period starts at the first non-baseline week
    first_review = charted.filter(~pl.col("baseline")).get_column(PERIOD)[0]
    assert fig.layout.shapes[0].x0 == first_review
    assert "time to social care (hours)" in fig.layout.title.text


def test_spc_charts_raw_measures_itself() -> None:
    raw = _one(fx.measures_raw(), "readmission rate")
    charted = chart_measures(raw)
    assert {"mean", "lcl", "ucl", "special_cause"} <= set(charted.columns)
    # the week at 0.45 is outside the limits computed over every week
    spike = charted.filter(pl.col(VALUE) == 0.45)
    assert spike.get_column(SPECIAL_CAUSE).to_list() == [True]
    assert 0.45 in plot_spc(raw).data[4].y


def test_spc_leaves_gaps_for_suppressed_values() -> None:
    charted = _one(fx.measures(), "time to social care").with_columns(
        pl.when(pl.col(N) < 8).then(None).otherwise(pl.col(VALUE)).alias(VALUE)
    )
    fig = plot_spc(charted)
    assert fig.data[0].y[5] is None
    assert fig.data[0].connectgaps is False


def test_measures_summary_compares_periods() -> None:
    table = summarise_measures(fx.measures())
    row = table.filter(pl.col("measure") == "time to social care").row(0, named=True)
    waits = fx.measures_raw().filter(pl.col("measure") == "time to social care")
    base = waits.head(12).get_column(VALUE).mean()
    review = waits.tail(12).get_column(VALUE).mean()
    assert row["baseline_mean"] == pytest.approx(base)
    assert row["review_mean"] == pytest.approx(review)
    assert row["relative_change"] == pytest.approx((review - base) / base)
    assert table.height == 3  # two end-to-end series and one agency series
    fig = plot_measures_summary(fx.measures())
    assert sorted(fig.data[0].cells.values[1]) == ["acute", "end to end", "end to end"]


# --- conformance -------------------------------------------------------------------------------
def test_fitness_histogram_counts_and_disclosure() -> None:
    raw = fitness_histogram(fx.fitness(), rule=DisclosureRule(enabled=False))
    assert raw.get_column(FREQUENCY).sum() == fx.fitness().height
    assert raw.get_column(FREQUENCY).to_list()[-1] == 85  # 60 x 1.0 and 25 x 0.95
    disclosed = fitness_histogram(fx.fitness())
    assert disclosed.get_column(FREQUENCY).to_list()[-1] == 85
    assert disclosed.get_column(FREQUENCY).to_list()[2] is None  # 3 x 0.3
    fig = plot_fitness(fx.fitness())
    assert fig.data[0].text[2] == "*"


def test_deviations_top_n_in_order() -> None:
    fig = plot_deviations(fx.deviations(), top=3)
    shown = [(t.name, x) for t in fig.data for x in t.x]
    assert sorted(x for _, x in shown) == [17, 30, 41]
    assert fig.layout.yaxis.categoryarray[-1] == "asc: Assessment (skipped)"


# --- quality -----------------------------------------------------------------------------------
def test_row_accounting_and_reasons() -> None:
    fig = plot_row_accounting(fx.row_accounting())
    assert list(fig.data[0].y) == fx.row_accounting().get_column("rows_read").to_list()
    fig2 = plot_quarantine_reasons(fx.quarantine_reasons())
    assert sum(sum(t.x) for t in fig2.data) == fx.quarantine_reasons()[FREQUENCY].sum()


def test_match_weight_histogram() -> None:
    raw = match_weight_histogram(fx.match_weights(), rule=DisclosureRule(enabled=False))
    assert raw.get_column(FREQUENCY).sum() == fx.match_weights().height
    lo, hi = fx.match_weights()[MATCH_WEIGHT].min(), fx.match_weights()[MATCH_WEIGHT].max()
    assert raw["band_from"][0] == lo
    assert raw["band_to"][-1] == hi
    fig = plot_match_weights(fx.match_weights(), threshold=6.0)
    assert fig.layout.shapes[0].x0 == 6.0
    assert all(y == 0 or y % 5 == 0 for y in fig.data[0].y)


def test_linkage_quality_table() -> None:
    fig = plot_linkage_quality(fx.linkage_quality())
    assert fig.data[0].cells.values[1] == ["0.991", "0.962", "8,420"]


def test_fitness_needs_its_column() -> None:
    with pytest.raises(DataError, match=FITNESS):
        plot_fitness(pl.DataFrame({"x": [1.0]}))
