"""A plain numpy SipHash-2-4 (Aumasson & Bernstein 2012): the tests' oracle for the compiled one.

Examples
--------
>>> key = bytes(range(16))
>>> msg = np.frombuffer(bytes(range(15)), dtype=np.uint8)[None, :]
>>> hex(int(siphash24(key, msg, np.array([15]))[0]))
'0xa129ca6149be45e5'
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
_C0: Final = np.uint64(0x736F6D6570736575)
_C1: Final = np.uint64(0x646F72616E646F6D)
_C2: Final = np.uint64(0x6C7967656E657261)
_C3: Final = np.uint64(0x7465646279746573)


def _rotl(x: U64, b: int) -> U64:
    return (x << np.uint64(b)) | (x >> np.uint64(64 - b))


def _rounds(v0: U64, v1: U64, v2: U64, v3: U64, n: int) -> tuple[U64, U64, U64, U64]:
    for _ in range(n):
        v0 = v0 + v1
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = v2 + v3
        v3 = _rotl(v3, 16) ^ v2
        v0 = v0 + v3
        v3 = _rotl(v3, 21) ^ v0
        v2 = v2 + v1
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash24(key: bytes, data: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64]) -> U64:
    """SipHash-2-4 of each row of a zero-padded byte matrix (``lengths`` bytes used per row)."""
    k0, k1 = np.frombuffer(key[:16], dtype="<u8")
    n = data.shape[0]
    width = (int(lengths.max()) // 8 + 1) * 8 if n else 8
    padded = np.zeros((n, width), dtype=np.uint8)
    padded[:, : data.shape[1]] = data[:, :width]
    words = padded.view("<u8").astype(np.uint64)
    full = lengths // 8
    with np.errstate(over="ignore"):
        v0 = np.full(n, k0 ^ _C0, dtype=np.uint64)
        v1 = np.full(n, k1 ^ _C1, dtype=np.uint64)
        v2 = np.full(n, k0 ^ _C2, dtype=np.uint64)
        v3 = np.full(n, k1 ^ _C3, dtype=np.uint64)
        # the last word holds the tail bytes and the length in its top byte
        tail_len = (lengths.astype(np.uint64) & np.uint64(255)) << np.uint64(56)
        last: U64 = np.asarray(words[np.arange(n), full] | tail_len, dtype=np.uint64)
        for i in range(words.shape[1]):
            active = i < full
            if not active.any():
                break
            m = words[:, i]
            a0, a1, a2, a3 = _rounds(v0, v1, v2, v3 ^ m, 2)
            a0 = a0 ^ m
            v0 = np.where(active, a0, v0)
            v1 = np.where(active, a1, v1)
            v2 = np.where(active, a2, v2)
            v3 = np.where(active, a3, v3)
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3 ^ last, 2)
        v0 = v0 ^ last
        v2 = v2 ^ np.uint64(0xFF)
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3, 4)
        return np.asarray(v0 ^ v1 ^ v2 ^ v3, dtype=np.uint64)
