"""On the synthetic population: the agency map shows the planted routes and conformance
against examples/to_be.bpmn flags the planted loops at the agencies where they happen."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from journeys import schema, synth, traces
from journeys.mining import (
    check_alignments,
    discover_agency_map,
    find_deviations,
    read_model,
    summarise_deviations,
)

TO_BE = Path(__file__).resolve().parents[2] / "examples" / "to_be.bpmn"


@pytest.fixture(scope="module")
def population() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Journeys of 2,000 people linked by the true identity, and the planted patterns."""
    pop = synth.generate_population(people=2_000, seed=7)
    crosswalk = pop.truth.select(
        schema.AGENCY, schema.PERSON_REF, pl.col(schema.TRUE_PERSON_ID).alias(schema.PERSON_ID)
    )
    journeys = traces.build_journeys(pop.events, crosswalk).collect()
    return journeys, pop.planted


def test_agency_map_shows_probation_to_several_housing_charities(
    population: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    journeys, planted = population
    handoffs = discover_agency_map(journeys).handoffs
    from_probation = handoffs.filter(
        (pl.col("source") == "probation") & pl.col("target").is_in(synth.HOUSING_CHARITIES)
    )
    assert from_probation.height >= 3
    # and charity -> charity hand-offs exist: the duplicate referrals of prison leavers
    between = handoffs.filter(
        pl.col("source").is_in(synth.HOUSING_CHARITIES)
        & pl.col("target").is_in(synth.HOUSING_CHARITIES)
    )
    assert (
        between.get_column("handoffs").sum()
        >= planted.filter(pl.col(schema.PATTERN) == "duplicate_housing").height
    )


def test_conformance_flags_planted_loops_at_the_right_agencies(
    population: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    journeys, planted = population
    care = journeys.filter(pl.col(schema.ACTIVITY) != "GP appointment")  # outside the to-be
    aligned = check_alignments(care, read_model(TO_BE), processes=2, trace_timeout=30)
    assert aligned.timed_out_cases == 0
    deviations = find_deviations(care, aligned)
    evidence = (
        planted.explode(schema.EVIDENCE)
        .join(
            journeys.select(schema.EVENT_ID, schema.AGENCY),
            left_on=schema.EVIDENCE,
            right_on=schema.EVENT_ID,
        )
        .group_by(schema.TRUE_PERSON_ID, schema.PATTERN)
        .agg(pl.col(schema.AGENCY).unique().alias("planted_at"))
        .rename({schema.TRUE_PERSON_ID: schema.PERSON_ID})
    )
    flagged = deviations.group_by(schema.PERSON_ID).agg(
        pl.col(schema.AGENCY).unique().alias("flagged_at")
    )
    hits = evidence.join(flagged, on=schema.PERSON_ID, how="left").with_columns(
        pl.col("planted_at").list.set_intersection(pl.col("flagged_at")).list.len().alias("hit")
    )
    missed = hits.filter(pl.col("hit").fill_null(0) == 0)
    assert missed.height == 0, missed
    # a duplicate referral is an inserted "Housing referral" at a charity, and only planted
    # prison leavers have one
    extra = deviations.filter(
        (pl.col("kind") == "inserted") & (pl.col(schema.ACTIVITY) == "Housing referral")
    )
    assert set(extra.get_column(schema.AGENCY)) <= set(synth.HOUSING_CHARITIES)
    duplicated = set(
        evidence.filter(pl.col(schema.PATTERN) == "duplicate_housing").get_column(schema.PERSON_ID)
    )
    assert set(extra.get_column(schema.PERSON_ID)) == duplicated
    # the planted people fit the to-be process worse than everybody else
    fitness = (
        aligned.cases.with_columns(
            pl.col(schema.PERSON_ID)
            .is_in(evidence.get_column(schema.PERSON_ID).implode())
            .alias("planted")
        )
        .group_by("planted")
        .agg(pl.col("fitness").mean())
    )
    by_group = dict(fitness.iter_rows())
    assert by_group[True] < by_group[False]
    summary = summarise_deviations(deviations)
    assert summary.get_column("deviations").sum() == deviations.height
