"""Generation of the synthetic population: time and peak memory.

Target (issue 2): 1,000,000 people (about 10 million events) in under 3 minutes and under
6 GB peak memory on the 2-core reference machine. Run the target size with
``JOURNEYS_BENCH_SIZE=large pytest benchmarks/test_synth.py -m benchmark``.
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from benchmarks._sizes import PEOPLE, run_measured, size
from journeys.synth import generate_population

pytestmark = pytest.mark.benchmark


def test_generate_population(benchmark: BenchmarkFixture) -> None:
    people = PEOPLE[size()]
    pop = benchmark.pedantic(
        generate_population, args=(people,), kwargs={"seed": 7}, rounds=1, iterations=1
    )
    assert pop.people.height == people
    benchmark.extra_info["events"] = pop.events.height
    benchmark.extra_info["records"] = pop.identities.height


def test_generate_population_peak_memory() -> None:
    """Peak resident memory of a fresh process generating the population."""
    people = PEOPLE[size()]
    seconds, peak_mb = run_measured(
        f"from journeys.synth import generate_population; generate_population({people}, seed=7)"
    )
    print(f"\ngenerate {people} people: {seconds:.1f} s, peak {peak_mb:.0f} MB")
    if size() == "large":
        assert seconds < 180
        assert peak_mb < 6 * 1024
