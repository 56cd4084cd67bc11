"""Bloom filters as packed ``uint64`` words: conversion to and from Binary columns, and Dice.

Dice on packed words uses ``np.bitwise_count`` (vectorised popcount).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs in the dev extras

from journeys.exceptions import LinkageError

__all__ = ["dice_matrix", "dice_pairs", "from_binary", "popcount", "to_binary", "unpack_bits"]

Words = npt.NDArray[np.uint64]


def to_binary(name: str, words: Words, valid: npt.NDArray[np.bool_] | None = None) -> pl.Series:
    """A Binary series of fixed-width filters from an ``(n, w)`` uint64 matrix.

    Rows where ``valid`` is False become nulls.

    Examples
    --------
    >>> to_binary("bf", np.array([[1], [2]], dtype=np.uint64)).to_list()[0]
    b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00'
    """
    words = np.ascontiguousarray(words, dtype=np.uint64)
    n, w = words.shape
    validity = None
    if valid is not None and not bool(valid.all()):
        validity = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    arr = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(8 * w), n, [validity, pa.py_buffer(words.tobytes())]
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
    return np.asarray(np.bitwise_count(words).sum(axis=1, dtype=np.int64), dtype=np.int64)


def dice_pairs(
    a: Words,
    b: Words,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    *,
    count_a: npt.NDArray[np.int64] | None = None,
    count_b: npt.NDArray[np.int64] | None = None,
    chunk: int = 262_144,
) -> npt.NDArray[np.float32]:
    """Dice coefficient ``2|A&B| / (|A|+|B|)`` of rows ``a[left[i]]`` and ``b[right[i]]``.

    Pairs where both filters are empty get 0.

    Examples
    --------
    >>> f = np.array([[0b1011], [0b0011]], dtype=np.uint64)
    >>> [round(float(x), 3) for x in dice_pairs(f, f, np.array([0]), np.array([1]))]
    [0.8]
    """
    count_a = popcount(a) if count_a is None else count_a
    count_b = popcount(b) if count_b is None else count_b
    out = np.empty(len(left), dtype=np.float32)
    for lo in range(0, len(left), chunk):
        li = left[lo : lo + chunk]
        ri = right[lo : lo + chunk]
        common = np.bitwise_count(a[li] & b[ri]).sum(axis=1, dtype=np.int64)
        total = count_a[li] + count_b[ri]
        out[lo : lo + chunk] = np.where(total > 0, 2.0 * common / np.maximum(total, 1), 0.0)
    return out


def unpack_bits(words: Words, dtype: type = np.float32) -> npt.NDArray[Any]:
    """0/1 matrix ``(n, 64 w)`` of packed filters (bit ``p`` of word ``p // 64``)."""
    return np.unpackbits(
        np.ascontiguousarray(words).view(np.uint8), axis=1, bitorder="little"
    ).astype(dtype)


def dice_matrix(
    a: Words, b: Words, *, threshold: float, chunk_rows: int = 2048
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """All pairs ``(i, j)`` of rows of ``a`` and ``b`` whose Dice is at least ``threshold``.

    The all-to-all comparison of anonlink's ``dice_coefficient_accelerated``, exact. The
    shared bits of every pair over the first half of the words come from one matrix product
    of 0/1 bit matrices (exact in float32, BLAS speed); a pair can reach the threshold only if
    those plus the set bits of ``b``'s second half reach ``t/2 (|a|+|b|)``. The few
    pairs that pass this bound get their exact Dice from :func:`dice_pairs` (popcount of
    packed words). Candidate pairs from blocking use :func:`dice_pairs` directly.

    Examples
    --------
    >>> f = np.array([[0b1011, 0], [0b0011, 0], [0b1100, 0]], dtype=np.uint64)
    >>> i, j, d = dice_matrix(f, f, threshold=0.75)
    >>> list(zip(i.tolist(), j.tolist()))
    [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)]
    """
    half = max(1, a.shape[1] // 2)
    count_a = popcount(a)
    count_b = popcount(b)
    rest_b = (count_b - popcount(b[:, :half])).astype(np.float32)
    need_a = np.float32(threshold / 2) * count_a.astype(np.float32)
    need_b = np.float32(threshold / 2) * count_b.astype(np.float32)
    bits_b = unpack_bits(b[:, :half])
    slack_b = rest_b - need_b
    out_i: list[npt.NDArray[np.int64]] = []
    out_j: list[npt.NDArray[np.int64]] = []
    for lo in range(0, a.shape[0], chunk_rows):
        bound = unpack_bits(a[lo : lo + chunk_rows, :half]) @ bits_b.T
        bound += slack_b[None, :]
        flat = np.flatnonzero(bound >= need_a[lo : lo + chunk_rows, None] - 1e-3)
        ii, jj = np.divmod(flat, bound.shape[1])
        out_i.append((ii + lo).astype(np.int64))
        out_j.append(jj.astype(np.int64))
    ci = np.concatenate(out_i) if out_i else np.array([], dtype=np.int64)
    cj = np.concatenate(out_j) if out_j else np.array([], dtype=np.int64)
    dice = dice_pairs(a, b, ci, cj, count_a=count_a, count_b=count_b)
    keep = dice >= np.float32(threshold)
    return ci[keep], cj[keep], dice[keep]
