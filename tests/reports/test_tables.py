"""Table builders: checked against counts made independently on the same journeys."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from types import SimpleNamespace

import polars as pl
import pytest

from journeys.reports import (
    build_handoffs,
    build_value_stream,
    loop_example_rows,
    plot_row_accounting,
    process_map_tables,
    row_accounting_table,
    select_journeys,
    summarise_quarantine,
)
from journeys.reports.columns import (
    DURATION_HOURS,
    FREQUENCY,
    FROM_ACTIVITY,
    PEOPLE,
    PROCESS_HOURS,
    TO_ACTIVITY,
    WAIT_HOURS,
)
from journeys.schema import (
    ACTIVITY,
    AGENCY,
    END,
    EVENT_ID,
    HANDOFF,
    PATTERN,
    PERSON_ID,
    PREV_AGENCY,
    QUARANTINE,
    SEQ,
    START,
    TRUE_PERSON_ID,
    WAIT,
)


@pytest.fixture(scope="module")
def journeys() -> pl.DataFrame:
    from journeys.synth import generate_population
    from journeys.traces import build_journeys

    pop = generate_population(people=300, seed=11)
    crosswalk = pop.truth.rename({TRUE_PERSON_ID: PERSON_ID})
    return build_journeys(pop.events, crosswalk).collect()


def test_handoffs_match_a_plain_count(journeys: pl.DataFrame) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    people: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
    waits: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    for row in journeys.sort(PERSON_ID, SEQ).iter_rows(named=True):
        if row[HANDOFF]:
            key = (row[PREV_AGENCY], row[AGENCY])
            counts[key] += 1
            people[key].add(row[PERSON_ID])
            if row[WAIT] is not None:
                waits[key].append(row[WAIT] / dt.timedelta(hours=1))
    table = build_handoffs(journeys)
    assert table.height == len(counts)
    for prev, agency, freq, n, hours in table.select(
        PREV_AGENCY, AGENCY, FREQUENCY, PEOPLE, DURATION_HOURS
    ).rows():
        assert freq == counts[(prev, agency)]
        assert n == len(people[(prev, agency)])
        assert hours == pytest.approx(statistics.median(waits[(prev, agency)]))


def test_value_stream_steps_match_a_plain_count(journeys: pl.DataFrame) -> None:
    table = build_value_stream(journeys, max_steps=5)
    assert table.height == 5
    steps = Counter(zip(journeys[AGENCY], journeys[ACTIVITY], strict=True))
    top = {k for k, _ in steps.most_common(5)}
    assert set(table.select(AGENCY, ACTIVITY).rows()) == top
    for agency, activity, freq, process in table.select(
        AGENCY, ACTIVITY, FREQUENCY, PROCESS_HOURS
    ).rows():
        rows = journeys.filter((pl.col(AGENCY) == agency) & (pl.col(ACTIVITY) == activity))
        assert freq == steps[(agency, activity)]
        durations = [
            ((e or s) - s) / dt.timedelta(hours=1) for s, e in rows.select(START, END).rows()
        ]
        assert process == pytest.approx(statistics.median(durations))
    assert WAIT_HOURS in table.columns


def test_process_map_tables_from_the_miner(journeys: pl.DataFrame) -> None:
    from journeys.mining.maps import discover_process_map

    pm = discover_process_map(journeys)
    edges, nodes = process_map_tables(pm)
    inner = edges.filter(pl.col(FROM_ACTIVITY).is_not_null() & pl.col(TO_ACTIVITY).is_not_null())
    assert inner.height == pm.edges.height
    assert inner.get_column(FREQUENCY).to_list() == pm.edges.get_column("events").to_list()
    assert inner.get_column(DURATION_HOURS).to_list() == pytest.approx(
        (pm.edges.get_column("median") / 3600).to_list()
    )
    starts = edges.filter(pl.col(FROM_ACTIVITY).is_null())
    assert starts.get_column(FREQUENCY).sum() == journeys.get_column(PERSON_ID).n_unique()
    assert set(nodes.get_column(ACTIVITY)) == set(journeys.get_column(ACTIVITY))


def test_process_map_tables_without_performance() -> None:
    pm = SimpleNamespace(
        activities=pl.DataFrame({ACTIVITY: ["a"], "events": [2], "cases": [1]}),
        edges=pl.DataFrame({"source": ["a"], "target": ["a"], "events": [1], "cases": [1]}),
        start=pl.DataFrame({ACTIVITY: ["a"], "cases": [1]}),
        end=pl.DataFrame({ACTIVITY: ["a"], "cases": [1]}),
    )
    edges, nodes = process_map_tables(pm)
    assert edges.get_column(DURATION_HOURS).null_count() == 3
    assert nodes.get_column(AGENCY).to_list() == [None]


def test_select_journeys_ranks_people(journeys: pl.DataFrame) -> None:
    chosen = select_journeys(journeys, by="agencies", n=4)
    agencies = journeys.group_by(PERSON_ID).agg(pl.col(AGENCY).n_unique().alias("k"))
    best = agencies.get_column("k").max()
    assert len(chosen) == 4
    first = agencies.filter(pl.col(PERSON_ID) == chosen[0]).get_column("k")[0]
    assert first == best
    admissions = select_journeys(journeys, by="admissions", n=1)
    per_person = journeys.filter(pl.col("service") == "inpatient").group_by(PERSON_ID).len()
    assert (
        per_person.filter(pl.col(PERSON_ID) == admissions[0])["len"][0] == per_person["len"].max()
    )


def test_loop_examples_follow_the_evidence(journeys: pl.DataFrame) -> None:
    from journeys.patterns import detect_all

    occ = detect_all(journeys).collect()
    rows = loop_example_rows(journeys, occ, per_pattern=1)
    assert set(rows.get_column(PATTERN)) == set(occ.get_column(PATTERN))
    evidence = {e for ids in occ.get_column("event_ids").to_list() for e in ids}
    assert set(rows.get_column(EVENT_ID)) <= evidence
    assert (
        rows.group_by(PATTERN).agg(pl.col(PERSON_ID).n_unique()).get_column(PERSON_ID).to_list()
        == [1] * rows.get_column(PATTERN).n_unique()
    )


def test_quarantine_summary_drops_values() -> None:
    q = pl.DataFrame(
        {
            "source": ["a", "a", "b"],
            "row": [1, 2, 3],
            "column": ["dob"] * 3,
            "reason": ["bad date", "bad date", "missing id"],
            "value": ["1931-05-17", "x", ""],
        },
        schema=QUARANTINE,
    )
    out = summarise_quarantine(q)
    assert out.columns == ["source", "reason", FREQUENCY]
    assert out.rows() == [("a", "bad date", 2), ("b", "missing id", 1)]


def test_row_accounting_from_the_ingest_accounts() -> None:
    from journeys.adapters.ingest import SourceAccount

    accounts = [
        SourceAccount("ae.csv", "ae", read=120, loaded=100, quarantined=15, filtered=5),
        SourceAccount("asc.sql", "asc", read=40, loaded=40, quarantined=0, filtered=0),
    ]
    table = row_accounting_table(accounts)
    assert table.rows() == [("ae.csv", 120, 100, 15, 5), ("asc.sql", 40, 40, 0, 0)]
    fig = plot_row_accounting(table)
    assert [t.name for t in fig.data] == ["read", "loaded", "quarantined", "filtered"]
