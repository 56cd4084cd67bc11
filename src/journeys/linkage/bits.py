"""Bloom filters as packed ``uint64`` words: conversion to and from Binary columns, and Dice.

Dice on packed words runs in compiled kernels (``_kernels``: numba, hardware popcount).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs in the dev extras
from numba import parallel_chunksize

from journeys.exceptions import LinkageError
from journeys.linkage import _kernels as _k

__all__ = [
    "dice_matrix",
    "dice_pairs",
    "from_binary",
    "popcount",
    "to_binary",
    "to_binary_coded",
]

Words = npt.NDArray[np.uint64]
#: pairs from which :func:`dice_pairs` runs in parallel (a threshold chosen from one-off timings
#: on a 2-core machine, where fewer pairs did not repay starting the threads)
_PARALLEL_PAIRS: Final = 1_000_000


def to_binary(name: str, words: Words, valid: npt.NDArray[np.bool_] | None = None) -> pl.Series:
    """A Binary series of fixed-width filters from an ``(n, w)`` uint64 matrix.

    Rows where ``valid`` is False become nulls.

    Examples
    --------
    >>> to_binary("bf", np.array([[1], [2]], dtype=np.uint64)).to_list()[0]
    b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'
    """
    n = words.shape[0]
    codes = np.arange(n, dtype=np.int64)
    if valid is not None:
        codes[~np.asarray(valid, dtype=np.bool_)] = -1
    return to_binary_coded(name, words, codes)


def to_binary_coded(name: str, table: Words, codes: npt.NDArray[np.int64]) -> pl.Series:
    """A Binary series whose row ``r`` is the filter ``table[codes[r]]`` (null where the code
    is -1), built from Arrow binary views over ``table``'s own memory: records that share a
    value share its bytes, and no ``(n, w)`` matrix is materialised.

    Examples
    --------
    >>> s = to_binary_coded("bf", np.array([[7], [9]], dtype=np.uint64), np.array([1, -1, 1]))
    >>> [None if v is None else v[0] for v in s.to_list()]
    [9, None, 9]
    """
    table = np.ascontiguousarray(table, dtype=np.uint64)
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    n = len(codes)
    m, w = table.shape
    valid = codes >= 0
    validity = None
    if not bool(valid.all()):
        validity = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    if m * 8 * w >= 2**31 or w == 0:  # views address a buffer with int32 offsets
        rows = table[np.maximum(codes, 0)] if m else np.zeros((n, w), dtype=np.uint64)
        arr = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(8 * w), n, [validity, pa.py_buffer(rows.tobytes())]
        )
    else:
        views = _k.binary_views(table.view(np.uint8).reshape(m, 8 * w), codes)
        arr = pa.Array.from_buffers(
            pa.binary_view(), n, [validity, pa.py_buffer(views), pa.py_buffer(table)]
        )
    series = pl.from_arrow(arr)
    assert isinstance(series, pl.Series)
    return series.cast(pl.Binary).rename(name)


def from_binary(series: pl.Series) -> tuple[Words, npt.NDArray[np.bool_]]:
    """The ``(n, w)`` uint64 matrix of a Binary filter column and its validity mask.

    Nulls become all-zero rows. Raises :class:`LinkageError` when lengths differ.
    """
    valid = series.is_not_null().to_numpy()
    lengths = series.bin.size().drop_nulls().unique()
    if lengths.len() > 1:
        raise LinkageError(
            f"Column '{series.name}' holds filters of different lengths {lengths.to_list()}; "
            f"all agencies must encode with the same schema"
        )
    nbytes = int(lengths[0]) if lengths.len() else 8
    if nbytes % 8:
        raise LinkageError(
            f"Column '{series.name}' holds {nbytes}-byte filters; expected a multiple of 8 bytes"
        )
    arr = series.fill_null(bytes(nbytes)).to_arrow()
    if arr.type != pa.large_binary():
        arr = arr.cast(pa.large_binary())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    start = int(offsets[0]) if n else 0
    raw = data[start : start + n * nbytes]
    words = np.frombuffer(raw.tobytes(), dtype=np.uint64).reshape(n, nbytes // 8)
    return words, valid


def popcount(words: Words) -> npt.NDArray[np.int64]:
    """Number of set bits per row."""
    words = _c_words(words)
    out = np.empty(words.shape[0], dtype=np.int64)
    if words.shape[1]:
        _k.popcount_kernel(words, out)
    else:
        out[:] = 0
    return out


def _c_words(words: npt.ArrayLike) -> Words:
    """C-contiguous 2-d uint64 words (a view when they already are)."""
    out = np.ascontiguousarray(words, dtype=np.uint64)
    if out.ndim != 2:
        raise LinkageError(f"Bloom filters must be an (n, words) uint64 matrix; got {out.shape}")
    return out


def _counts(words: Words, counts: npt.NDArray[np.int64] | None) -> npt.NDArray[np.int64]:
    if counts is None:
        return popcount(words)
    return np.ascontiguousarray(counts, dtype=np.int64)


def dice_pairs(
    a: Words,
    b: Words,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    *,
    count_a: npt.NDArray[np.int64] | None = None,
    count_b: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.float32]:
    """Dice coefficient ``2|A&B| / (|A|+|B|)`` of rows ``a[left[i]]`` and ``b[right[i]]``.

    Pairs where both filters are empty get 0. One compiled loop over the pairs (parallel),
    reading both rows in place: no gathered copies. The ratio is computed in float64 and
    rounded to float32.

    Examples
    --------
    >>> f = np.array([[0b1011], [0b0011]], dtype=np.uint64)
    >>> [round(float(x), 3) for x in dice_pairs(f, f, np.array([0]), np.array([1]))]
    [0.8]
    """
    a = _c_words(a)
    b = _c_words(b)
    count_a = _counts(a, count_a)
    count_b = count_a if count_b is None and b is a else _counts(b, count_b)
    left = np.ascontiguousarray(left, dtype=np.int64)
    right = np.ascontiguousarray(right, dtype=np.int64)
    if left.shape != right.shape or left.ndim != 1:
        raise LinkageError(
            f"dice_pairs: 'left' and 'right' must be 1-d of one length; got {left.shape} "
            f"and {right.shape}"
        )
    # the kernel reads rows of both in place without bounds checks: widths and counts must fit
    if a.shape[1] != b.shape[1]:
        raise LinkageError(
            f"dice_pairs: filters of {64 * a.shape[1]} and {64 * b.shape[1]} bits cannot be "
            f"compared; encode both sides with the same schema"
        )
    if count_a.shape != (a.shape[0],) or count_b.shape != (b.shape[0],):
        raise LinkageError("dice_pairs: 'count_a' and 'count_b' need one count per filter row")
    n = len(left)
    if n and (
        min(int(left.min()), int(right.min())) < 0
        or int(left.max()) >= a.shape[0]
        or int(right.max()) >= b.shape[0]
    ):
        raise LinkageError("dice_pairs: a pair index is out of range of the filters")
    out = np.empty(n, dtype=np.float32)
    if n >= _PARALLEL_PAIRS:
        _k.dice_pairs_parallel_kernel(a, b, left, right, count_a, count_b, out)
    elif n:
        _k.dice_pairs_kernel(a, b, left, right, count_a, count_b, out)
    return out


def _min_common(bits: int, threshold: float) -> npt.NDArray[np.int64]:
    """Fewest shared bits a pair needs, by ``|a| + |b|``: the smallest ``c`` with
    ``2.0 * c / (|a| + |b|) >= threshold`` in float64 (``bits + 1`` when none reaches it).

    The same float rule as anonlink's ``dice_coefficient_accelerated``; since the rounded
    ratio grows with ``c``, ``common >= table[total]`` selects exactly the same pairs.
    """
    total = np.arange(2 * bits + 1, dtype=np.float64)
    start = np.clip(np.floor(threshold * total / 2.0) - 2.0, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = sum(
            (2.0 * (start + step) / total < threshold).astype(np.int64) for step in range(8)
        )
        common = start + below
        reach = (2.0 * common / total >= threshold) & (common <= total / 2.0)
    out = np.where(reach, common, bits + 1).astype(np.int64)
    out[0] = 0 if threshold <= 0 else bits + 1  # two empty filters: Dice 0
    return out


def dice_matrix(
    a: Words, b: Words, *, threshold: float, chunk_rows: int = 64
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """All pairs ``(i, j)`` of rows of ``a`` and ``b`` whose Dice is at least ``threshold``.

    The all-to-all comparison of anonlink's ``dice_coefficient_accelerated``, exact, with the
    same float rule (``2.0 * common / total >= threshold`` in float64). A compiled kernel
    (numba, parallel over chunks of ``chunk_rows`` rows of ``a``) popcounts the AND of
    packed words and skips a pair as soon as an upper bound on its shared bits cannot reach
    the threshold: ``min(|a|, |b|)`` first (the popcount bound), then the bits shared so far
    plus the fewer bits either filter has left. Pairs come out in row-major order; Dice as
    float32. Candidate pairs from blocking use :func:`dice_pairs`.

    Examples
    --------
    >>> f = np.array([[0b1011, 0], [0b0011, 0], [0b1100, 0]], dtype=np.uint64)
    >>> i, j, d = dice_matrix(f, f, threshold=0.75)
    >>> list(zip(i.tolist(), j.tolist()))
    [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)]
    """
    a = _c_words(a)
    b = _c_words(b)
    if a.shape[1] != b.shape[1]:
        raise LinkageError(
            f"dice_matrix: filters of {64 * a.shape[1]} and {64 * b.shape[1]} bits cannot be "
            f"compared; encode both sides with the same schema"
        )
    n, w = a.shape
    count_a = popcount(a)
    count_b = popcount(b)
    need = _min_common(64 * w, float(threshold))
    chunk = max(1, int(chunk_rows))
    # set bits after the first 7 words: the kernel's second pruning bound
    rest_a = popcount(a[:, 7:]) if w >= 8 else None
    rest_b = popcount(b[:, 7:]) if w >= 8 else None

    def run(chunk_ids: npt.NDArray[np.int64], capacity: int) -> tuple[npt.NDArray[Any], ...]:
        shape = (len(chunk_ids), capacity)
        out_i = np.empty(shape, dtype=np.int64)
        out_j = np.empty(shape, dtype=np.int64)
        out_c = np.empty(shape, dtype=np.int64)
        found = np.zeros(len(chunk_ids), dtype=np.int64)
        if not len(chunk_ids) or not b.shape[0]:
            return out_i, out_j, out_c, found
        # tasks handed out one by one, so a core slowed by other work takes fewer of them
        with parallel_chunksize(1):
            if rest_a is not None and rest_b is not None:
                _k.dice_matrix_kernel(
                    a, b, count_a, count_b, rest_a, rest_b, need, chunk, chunk_ids,
                    capacity, out_i, out_j, out_c, found,
                )  # fmt: skip
            else:
                _k.dice_matrix_short_kernel(
                    a, b, count_a, count_b, need, chunk, chunk_ids, capacity,
                    out_i, out_j, out_c, found,
                )  # fmt: skip
        return out_i, out_j, out_c, found

    chunk_ids = np.arange((n + chunk - 1) // chunk, dtype=np.int64)
    out_i, out_j, out_c, found = run(chunk_ids, 4 * chunk)
    over = np.flatnonzero(found > 4 * chunk)
    keep = np.arange(4 * chunk)[None, :] < np.minimum(found, 4 * chunk)[:, None]
    keep[over] = False
    parts = [(out_i[keep], out_j[keep], out_c[keep])]
    if len(over):  # chunks with more pairs than room: run those again with room for all
        more_i, more_j, more_c, more_found = run(chunk_ids[over], int(found[over].max()))
        room = np.arange(more_i.shape[1])[None, :] < more_found[:, None]
        parts.append((more_i[room], more_j[room], more_c[room]))
    ci = np.concatenate([p[0] for p in parts])
    cj = np.concatenate([p[1] for p in parts])
    common = np.concatenate([p[2] for p in parts])
    if len(over):  # back to row-major order
        order = np.lexsort((cj, ci))
        ci, cj, common = ci[order], cj[order], common[order]
    total = count_a[ci] + count_b[cj]
    dice = np.where(total > 0, 2.0 * common / np.maximum(total, 1), 0.0).astype(np.float32)
    return ci, cj, dice
