"""Linkage of the synthetic population against its planted truth (encoded and plaintext)."""

from __future__ import annotations

import logging

import pytest

from journeys import schema as s
from journeys.linkage import (
    encode_identities,
    evaluate_blocking,
    evaluate_linkage,
    link_encodings,
    link_plaintext,
    pseudonymise_refs,
)

from .conftest import SECRET

logger = logging.getLogger(__name__)


def _run(people: int) -> dict[str, dict[str, float]]:
    from journeys.synth import generate_population

    pop = generate_population(people=people, seed=7)
    assert pop.identities[s.AGENCY].n_unique() >= 8
    enc = encode_identities(pop.identities, secret=SECRET)
    truth = pop.truth.with_columns(
        pseudonymise_refs(pop.truth[s.AGENCY], pop.truth[s.PERSON_REF], secret=SECRET)
    )
    encoded = link_encodings(enc)
    plain = link_plaintext(pop.identities)
    table = {}
    for mode, result, tr in (("encoded", encoded, truth), ("plaintext", plain, pop.truth)):
        m = evaluate_linkage(result.crosswalk, tr)
        b = evaluate_blocking(result, tr)
        table[mode] = {
            "precision": m.precision,
            "recall": m.recall,
            "f1": m.f1,
            "bcubed_f1": m.bcubed_f1,
            "pair_completeness": b.pair_completeness,
            "reduction_ratio": b.reduction_ratio,
        }
    logger.info("synthetic %d people: %s", people, table)
    return table


@pytest.fixture(scope="module")
def small_table() -> dict[str, dict[str, float]]:
    return _run(10_000)


def test_encoded_linkage_of_the_synthetic_population(
    small_table: dict[str, dict[str, float]],
) -> None:
    enc = small_table["encoded"]
    assert enc["f1"] >= 0.99
    assert enc["bcubed_f1"] >= 0.99
    assert enc["pair_completeness"] >= 0.995


def test_plaintext_linkage_of_the_synthetic_population(
    small_table: dict[str, dict[str, float]],
) -> None:
    plain = small_table["plaintext"]
    assert plain["f1"] >= 0.99
    assert plain["bcubed_f1"] >= 0.99
    # encoding costs little quality against plaintext comparison
    assert small_table["encoded"]["f1"] >= plain["f1"] - 0.01


def test_crosswalk_joins_pseudonymised_events() -> None:
    from journeys.linkage import pseudonymise_events
    from journeys.synth import generate_population

    pop = generate_population(people=500, seed=11)
    enc = encode_identities(pop.identities, secret=SECRET)
    result = link_encodings(enc)
    events = pseudonymise_events(pop.events, secret=SECRET).collect()
    joined = events.join(result.crosswalk, on=[s.AGENCY, s.PERSON_REF], how="left")
    assert joined[s.PERSON_ID].null_count() == 0
    assert joined.height == pop.events.height
    assert set(events[s.PERSON_REF]).isdisjoint(set(pop.events[s.PERSON_REF]))


@pytest.mark.slow
def test_synthetic_population_100k() -> None:
    table = _run(100_000)
    assert table["encoded"]["f1"] >= 0.99
    assert table["encoded"]["bcubed_f1"] >= 0.99
    assert table["plaintext"]["f1"] >= 0.99
