"""Field-level similarities of candidate pairs: Dice of Bloom filters, or rapidfuzz in plaintext.

Missing values (a null filter or value on either side) give NaN.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from journeys.linkage.bits import Words, dice_pairs

__all__ = ["PlainMethod", "compare_filters", "compare_strings"]

Index = npt.NDArray[np.int64]
Sims = npt.NDArray[np.float32]
PlainMethod = Literal["jaro_winkler", "levenshtein", "exact"]


def compare_filters(
    words: Words,
    valid: npt.NDArray[np.bool_],
    left: Index,
    right: Index,
    *,
    counts: npt.NDArray[np.int64] | None = None,
) -> Sims:
    """Dice similarity of the field filters of each pair (NaN where either is missing).

    Examples
    --------
    >>> w = np.array([[3], [1], [0]], dtype=np.uint64)
    >>> compare_filters(w, np.array([True, True, False]), np.array([0, 0]), np.array([1, 2]))
    array([0.6666667,       nan], dtype=float32)
    """
    sims = dice_pairs(words, words, left, right, count_a=counts, count_b=counts)
    sims[~(valid[left] & valid[right])] = np.nan
    return sims


def compare_strings(
    values: pl.Series, left: Index, right: Index, *, method: PlainMethod = "jaro_winkler"
) -> Sims:
    """Plaintext similarity in [0, 1] of each pair with rapidfuzz (NaN where either is missing)."""
    a = values.gather(left)
    b = values.gather(right)
    missing = (a.is_null() | b.is_null()).to_numpy()
    if method == "exact":
        sims = (a == b).fill_null(False).to_numpy().astype(np.float32)
    else:
        scorer = (JaroWinkler if method == "jaro_winkler" else Levenshtein).normalized_similarity
        sims = process.cpdist(
            a.fill_null("").to_list(),
            b.fill_null("").to_list(),
            scorer=scorer,
            workers=1,
            dtype=np.float32,
        ).astype(np.float32)
    sims[missing] = np.nan
    return sims
