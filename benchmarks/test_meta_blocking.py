"""Meta-blocking: candidate pairs, link time and quality with and without pruning (issue 8).

The synthetic population at the chosen size (10 thousand, 100 thousand or 1 million people,
seed 7: the demo's), encoded with the default schema, linked three times in one process with
``min_pair_weight`` 0 (off), 0.125 (the default) and 0.25, each scored against the planted
truth. Writes ``benchmarks/results/meta_blocking-<size>.csv``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Final

import polars as pl
import pytest

from benchmarks._sizes import PEOPLE, size
from journeys import schema as s
from journeys.linkage import (
    LinkageSettings,
    Secret,
    default_schema,
    encode_identities,
    evaluate_linkage,
    link_encodings,
    pseudonymise_refs,
)
from journeys.synth import generate_population

pytestmark = pytest.mark.benchmark

RESULTS: Final = Path(__file__).resolve().parent / "results"
WEIGHTS: Final = (0.0, 0.125, 0.25)


def test_meta_blocking_prunes_pairs_and_keeps_quality() -> None:
    people = PEOPLE[size()]
    population = generate_population(people, seed=7)
    secret = Secret(b"benchmark secret, not for real data")
    encodings = encode_identities(population.identities, secret=secret, schema=default_schema())
    truth = population.truth.with_columns(
        pseudonymise_refs(population.truth[s.AGENCY], population.truth[s.PERSON_REF], secret=secret)
    )
    encodings.shrink_to_fit()
    rows = []
    link_encodings(encodings.head(2_000))  # compiled kernels loaded before any timing
    for weight in WEIGHTS:
        started = time.perf_counter()
        result = link_encodings(encodings, settings=LinkageSettings(min_pair_weight=weight))
        seconds = time.perf_counter() - started
        metrics = evaluate_linkage(result.crosswalk, truth)
        rows.append(
            {
                "people": people,
                "records": encodings.height,
                "min_pair_weight": weight,
                "candidate_pairs": result.blocking.pairs,
                "pruned_pairs": result.blocking.pruned_pairs,
                "seconds": round(seconds, 2),
                "precision": round(metrics.precision, 5),
                "recall": round(metrics.recall, 5),
                "f1": round(metrics.f1, 5),
                "bcubed_f1": round(metrics.bcubed_f1, 5),
            }
        )
    table = pl.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    table.write_csv(RESULTS / f"meta_blocking-{size()}.csv")
    print(table)
    off, default, strict = table.iter_rows(named=True)
    assert off["pruned_pairs"] == 0
    assert default["candidate_pairs"] + default["pruned_pairs"] == off["candidate_pairs"]
    assert strict["candidate_pairs"] <= default["candidate_pairs"] <= off["candidate_pairs"]
    # pruning must not cost quality: F1 and B-cubed within a thousandth of the unpruned link
    assert default["f1"] >= off["f1"] - 0.001
    assert default["bcubed_f1"] >= off["bcubed_f1"] - 0.001
    assert default["recall"] >= off["recall"] - 0.001
