"""Blocking on encodings: keyed blocking tokens and Hamming LSH on the CLK bits.

Only records that share a keyed token (or an LSH band) are compared. Blocks larger than
``max_block_size`` are skipped and logged, to bound the number of candidate pairs.

As a population grows, its blocks fill up: the pairs that share a date of birth and an initial
grow with the square of the people, the true matches only with the people. Meta-blocking
(Papadakis, Koutrika, Palpanas and Nejdl, "Meta-Blocking: Taking Entity Resolution to the Next
Level", IEEE TKDE 26(8), 2014) weighs each candidate pair by the blocks it shares and prunes the
light ones before any comparison. The weight here is in the spirit of their ARCS scheme: the
sum, over the keys a pair shares, of 1 / (the other records in that block), so a pair sharing a
key value with one other record weighs 1, a pair in a block of 11 records weighs 0.1, and pairs
sharing several keys add up. Pairs under ``min_pair_weight`` are dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import polars as pl

from journeys.linkage.bits import Words

__all__ = ["BlockingStats", "candidate_pairs", "lsh_keys"]

logger = logging.getLogger(__name__)

Index = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BlockingStats:
    """Size of the blocking result: candidate pairs per key, total and the reduction ratio."""

    records: int
    pairs: int
    pairs_per_key: tuple[tuple[str, int], ...]
    skipped_blocks: int
    #: candidate pairs dropped by weight (meta-blocking) after the keys produced them
    pruned_pairs: int = 0

    @property
    def reduction_ratio(self) -> float:
        """1 - candidate pairs / all pairs."""
        total = self.records * (self.records - 1) // 2
        return 1.0 - self.pairs / total if total else 0.0


def lsh_keys(clk: Words, *, bands: int, bits: int, seed: int) -> dict[str, pl.Series]:
    """Hamming LSH: each band is the value of ``bits`` CLK bits sampled at random positions.

    Records whose CLKs agree on all sampled bits of a band share its key (Indyk & Motwani 1998).
    """
    rng = np.random.default_rng(seed)
    n_bits = clk.shape[1] * 64
    out = {}
    weights = np.uint64(1) << np.arange(bits, dtype=np.uint64)
    for b in range(bands):
        pos = rng.choice(n_bits, size=bits, replace=False)
        sampled = (clk[:, pos >> 6] >> (pos & 63).astype(np.uint64)) & np.uint64(1)
        value = (sampled * weights).sum(axis=1, dtype=np.uint64)
        out[f"lsh_{b}"] = pl.Series(f"lsh_{b}", value)
    return out


def _merge(
    codes: list[npt.NDArray[np.int64]], shares: list[npt.NDArray[np.float32]]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], list[npt.NDArray[np.uint64]]]:
    """The distinct pair codes in order, each one's summed weight, and which keys produced it.

    ``codes[k]`` are the pair codes key ``k`` produced (each at most once), ``shares[k]``
    their weights. Keys that produced a pair are bits of ``uint64`` words, 64 keys a word.
    One (parallel) polars arg-sort of all the codes; the runs of equal codes are then reduced.
    The lists are emptied on the way: with millions of records they are the largest arrays.

    Examples
    --------
    >>> merged, weight, produced = _merge(
    ...     [np.array([7, 3]), np.array([3])],
    ...     [np.array([0.5, 0.5], np.float32), np.array([1.0], np.float32)])
    >>> merged.tolist(), weight.tolist(), produced[0].tolist()
    ([3, 7], [1.5, 0.5], [3, 1])
    """
    keyed = len(codes)
    key = np.concatenate([np.full(len(c), k, dtype=np.int16) for k, c in enumerate(codes)])
    every = np.concatenate(codes) if codes else np.array([], dtype=np.int64)
    share = np.concatenate(shares) if shares else np.array([], dtype=np.float32)
    codes.clear()
    shares.clear()
    if len(every) == 0:
        words = (keyed + 63) // 64
        return every, np.array([], dtype=np.float64), [np.array([], np.uint64)] * words
    order = pl.Series(every).arg_sort().to_numpy()
    every = every[order]
    starts = np.flatnonzero(np.concatenate(([True], every[1:] != every[:-1])))
    merged = every[starts]
    del every
    weight = np.add.reduceat(share[order].astype(np.float64), starts)
    del share
    key = key[order]
    del order
    produced = []
    for first in range(0, keyed, 64):
        in_word = (key >= first) & (key < first + 64)
        bit = np.where(
            in_word, np.left_shift(np.uint64(1), (key - first).clip(0, 63).astype(np.uint64)), 0
        ).astype(np.uint64)
        produced.append(np.bitwise_or.reduceat(bit, starts))
    return merged, weight, produced


def candidate_pairs(
    keys: dict[str, pl.Series],
    *,
    agency: npt.NDArray[np.int64],
    max_block_size: int,
    within_agency: bool = True,
    min_pair_weight: float = 0.0,
) -> tuple[Index, Index, BlockingStats, list[Index]]:
    """Unique candidate pairs ``(i, j)``, ``i < j``, of records sharing any blocking key value.

    Also returns, per key, the indices of the pairs it produced. Pairs whose meta-blocking
    weight (see the module's docstring) is under ``min_pair_weight`` are pruned.

    Examples
    --------
    >>> keys = {"k": pl.Series([1, 1, 2, None], dtype=pl.UInt64)}
    >>> agency = np.array([0, 1, 0, 1])
    >>> i, j, stats, groups = candidate_pairs(keys, agency=agency, max_block_size=10)
    >>> i.tolist(), j.tolist(), stats.pairs
    ([0], [1], 1)

    Two keys: records 0 and 1 share both (weight 1 + 1/2), 0 and 2 one block of three (1/2).

    >>> keys = {"a": pl.Series([1, 1, 1]), "b": pl.Series([5, 5, 6])}
    >>> i, j, stats, _ = candidate_pairs(keys, agency=np.array([0, 1, 2]), max_block_size=10,
    ...                                  min_pair_weight=0.75)
    >>> i.tolist(), j.tolist(), stats.pruned_pairs
    ([0], [1], 2)
    """
    n = len(agency)
    codes: list[npt.NDArray[np.int64]] = []
    shares: list[npt.NDArray[np.float32]] = []
    per_key: list[tuple[str, int]] = []
    skipped = 0
    index = pl.Series("i", np.arange(n, dtype=np.int64))
    for name, values in keys.items():
        frame = pl.DataFrame({"i": index, "k": values}).drop_nulls("k")
        sizes = frame.group_by("k").len()
        big = sizes.filter(pl.col("len") > max_block_size)
        skipped += big.height
        if big.height:
            logger.info(
                "blocking key %s: %d block(s) over %d records skipped",
                name,
                big.height,
                max_block_size,
            )
        kept = frame.join(sizes.filter(pl.col("len").is_between(2, max_block_size)), on="k")
        lazy = kept.select("i", "k", "len").lazy()
        # only the pair code (i * n + j for i < j) and its weight share are materialised
        pairs = (
            lazy.join(lazy.select("i", "k"), on="k", suffix="_r")
            .filter(pl.col("i") < pl.col("i_r"))
            .select(
                (pl.col("i") * n + pl.col("i_r")).alias("c"),
                (1.0 / (pl.col("len") - 1)).cast(pl.Float32).alias("w"),
            )
            .collect()
        )
        code = pairs["c"].to_numpy()
        share = pairs["w"].to_numpy()
        del pairs
        if not within_agency:
            other = agency[code // n] != agency[code % n]
            code, share = code[other], share[other]
        per_key.append((name, len(code)))
        codes.append(code)
        shares.append(share)
    keyed = len(codes)
    merged, weight, produced = _merge(codes, shares)
    pruned = 0
    if min_pair_weight > 0 and len(merged):
        heavy = weight >= min_pair_weight * (1 - 1e-6)  # float32 shares: 1/3 + 1/3 + 1/3
        pruned = int(len(merged) - heavy.sum())
        merged, produced = merged[heavy], [bits[heavy] for bits in produced]
        logger.info(
            "meta-blocking: %d of %d candidate pairs weigh under %.3f and are pruned",
            pruned,
            len(merged) + pruned,
            min_pair_weight,
        )
    # each key's pairs as positions in the merged pairs: int32 while they fit (the caller only
    # indexes with them)
    position_type = np.int32 if len(merged) < 2**31 else np.int64
    groups = cast(
        "list[Index]",
        [
            np.flatnonzero((produced[k // 64] >> np.uint64(k % 64)) & np.uint64(1)).astype(
                position_type
            )
            for k in range(keyed)
        ],
    )
    left, right = merged // n, merged % n
    stats = BlockingStats(
        records=n,
        pairs=len(merged),
        pairs_per_key=tuple(per_key),
        skipped_blocks=skipped,
        pruned_pairs=pruned,
    )
    return left, right, stats, groups
