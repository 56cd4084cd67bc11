"""Planted truth: every planted loop of the synthetic population is found, and little else.

With the synthetic truth as the crosswalk (``person_id = true_person_id``), an occurrence is a
true positive when its evidence shares an event with a planted pattern of the same kind for the
same person; a planted pattern is found when some occurrence shares an event with it.
"""

from __future__ import annotations

import polars as pl
import pytest

from journeys.patterns import (
    detect_duplicate_attempts,
    detect_ping_pong,
    detect_revolving_door,
    summarise_by_agency,
)
from journeys.schema import EVIDENCE, PATTERN, PERSON_ID, TRUE_PERSON_ID
from journeys.synth import generate_population
from journeys.traces import build_journeys

PEOPLE = 15_000


@pytest.fixture(scope="module")
def population_journeys() -> tuple[pl.DataFrame, pl.DataFrame]:
    pop = generate_population(people=PEOPLE, seed=7)
    crosswalk = pop.truth.rename({TRUE_PERSON_ID: PERSON_ID})
    journeys = build_journeys(pop.events, crosswalk).collect()
    assert journeys.height == pop.events.height
    assert journeys.filter(pl.col("person_id") < 0).is_empty()  # every record is in the truth
    return journeys, pop.planted.rename({TRUE_PERSON_ID: PERSON_ID})


def recall_precision(found: pl.DataFrame, planted: pl.DataFrame) -> tuple[float, float, int]:
    occ = found.with_row_index("_occ").select("_occ", PERSON_ID, EVIDENCE).explode(EVIDENCE)
    truth = planted.with_row_index("_plant").select("_plant", PERSON_ID, EVIDENCE).explode(EVIDENCE)
    hits = occ.join(truth, on=[PERSON_ID, EVIDENCE])
    recall = hits["_plant"].n_unique() / planted.height
    precision = hits["_occ"].n_unique() / max(found.height, 1)
    return recall, precision, planted.height


@pytest.mark.parametrize(
    ("pattern", "detector"),
    [
        ("revolving_door", detect_revolving_door),
        ("duplicate_housing", detect_duplicate_attempts),
        ("ping_pong", detect_ping_pong),
    ],
)
def test_every_planted_pattern_is_found(
    population_journeys: tuple[pl.DataFrame, pl.DataFrame], pattern: str, detector: object
) -> None:
    journeys, planted = population_journeys
    truth = planted.filter(pl.col(PATTERN) == pattern)
    found = detector(journeys).collect()  # type: ignore[operator]
    assert truth.height > 50  # the population is big enough to mean something
    assert set(found[PATTERN]) == {pattern}
    recall, precision, _ = recall_precision(found, truth)
    assert recall == 1.0
    assert precision >= 0.99
    # one occurrence per planted case, and the summary counts each agency involved
    assert found.height == truth.height
    summary = summarise_by_agency(found).collect()
    assert summary["occurrences"].sum() == found["agencies"].list.len().sum()


@pytest.mark.slow
def test_planted_patterns_with_the_encoded_linkage_crosswalk() -> None:
    """The same figures when people are linked from Bloom-filter encodings, not the truth.

    Occurrences are matched to planted cases through their evidence events only (linkage
    person ids differ from the true ones). Linkage is not perfect (pairwise F1 about 0.995), so
    a planted case whose records were not all linked can be missed: recall is reported and
    must stay at or above 0.95 (measured: revolving door and ping-pong 1.0, duplicate housing
    95 of 96 at 10,000 people, seed 7).
    """
    from journeys.linkage import Secret, encode_identities, link_encodings, pseudonymise_events

    pop = generate_population(people=10_000, seed=7)
    secret = Secret(b"a test secret, never used for real data")
    linked = link_encodings(encode_identities(pop.identities, secret=secret))
    events = pseudonymise_events(pop.events, secret=secret)
    journeys = build_journeys(events, linked.crosswalk).collect()
    assert journeys.height == pop.events.height
    for pattern, detector in (
        ("revolving_door", detect_revolving_door),
        ("duplicate_housing", detect_duplicate_attempts),
        ("ping_pong", detect_ping_pong),
    ):
        found = detector(journeys).collect().with_row_index("_occ")
        truth = pop.planted.filter(pl.col(PATTERN) == pattern).with_row_index("_plant")
        hits = (
            found.select("_occ", EVIDENCE)
            .explode(EVIDENCE)
            .join(truth.select("_plant", EVIDENCE).explode(EVIDENCE), on=EVIDENCE)
        )
        recall = hits["_plant"].n_unique() / truth.height
        precision = hits["_occ"].n_unique() / found.height
        print(f"{pattern}: recall {recall:.4f}, precision {precision:.4f}")  # noqa: T201
        assert recall >= 0.95, pattern
        assert precision >= 0.99, pattern
