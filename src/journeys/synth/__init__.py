"""A synthetic population of people whose lives cross agencies, with ground truth.

The project's embedded default: the demo runs on it, the tests check against its truth and the
benchmarks scale it to millions of people.
"""

from __future__ import annotations

from journeys.synth._agencies import ACTIVITIES, AGENCIES, HOUSING_CHARITIES, Agency
from journeys.synth._config import NoiseConfig, SegmentConfig, SynthConfig
from journeys.synth._identities import NOISE_KINDS
from journeys.synth._population import Population, generate_population, write_population

__all__ = [
    "ACTIVITIES",
    "AGENCIES",
    "HOUSING_CHARITIES",
    "NOISE_KINDS",
    "Agency",
    "NoiseConfig",
    "Population",
    "SegmentConfig",
    "SynthConfig",
    "generate_population",
    "write_population",
]
