"""Common given-name variants (William / Bill), one table for the whole project.

Used by the synthetic population to plant nickname noise and by linkage normalisation to map a
variant back to its formal name. The table is ``data/nicknames.csv`` (lower case, one pair a
line), compiled by the journeys engineers from common English usage.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import polars as pl

__all__ = ["load_nicknames", "nickname_map"]


@cache
def load_nicknames() -> pl.DataFrame:
    """The ``name, variant`` pairs, lower case, sorted, without duplicates.

    Examples
    --------
    >>> pairs = load_nicknames()
    >>> pairs.filter(pl.col("name") == "william").get_column("variant").to_list()
    ['bill', 'billy', 'liam', 'wil', 'will', 'willie', 'willy']
    """
    return _pairs().unique().sort("name", "variant")


@cache
def _pairs() -> pl.DataFrame:
    """The pairs in file order (the order decides ambiguous variants, see nickname_map)."""
    text = files("journeys").joinpath("data/nicknames.csv").read_bytes()
    return pl.read_csv(text, schema={"name": pl.String, "variant": pl.String})


@cache
def nickname_map() -> dict[str, str]:
    """Variant -> formal name, and each formal name -> itself, for normalising given names.

    A variant claimed by two formal names (``pat``: Patrick and Patricia) goes to the one
    listed first in the file.

    Examples
    --------
    >>> nickname_map()["bill"], nickname_map()["william"]
    ('william', 'william')
    """
    out: dict[str, str] = {}
    for name, variant in _pairs().iter_rows():
        out.setdefault(name, name)
        out.setdefault(variant, name)
    return out
