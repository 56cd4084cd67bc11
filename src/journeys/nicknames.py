"""Common given-name variants (William / Bill), one table for the whole project.

Used by the synthetic population to plant nickname noise and by linkage normalisation to map a
variant back to its formal name. The table is ``data/nicknames.csv`` (lower case, one pair a
line), compiled by the journeys engineers from common English usage.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import polars as pl

__all__ = ["load_nicknames"]


@cache
def load_nicknames() -> pl.DataFrame:
    """The ``name, variant`` pairs, lower case, sorted, without duplicates.

    Examples
    --------
    >>> pairs = load_nicknames()
    >>> pairs.filter(pl.col("name") == "william").get_column("variant").to_list()
    ['bill', 'billy', 'liam', 'will']
    """
    text = files("journeys").joinpath("data/nicknames.csv").read_bytes()
    return pl.read_csv(text).unique().sort("name", "variant")
