"""SipHash-2-4 (Aumasson & Bernstein 2012) of many short strings, by a compiled kernel.

A keyed pseudorandom function for short inputs: here the keyed hashes of blocking-key parts
(the pseudonyms of record ids use the same kernel, :func:`journeys.linkage._kernels.pseudonym_hex`).
The tests check it against the reference test vectors and a plain numpy implementation
(``tests/linkage/siphash_reference.py``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from journeys.linkage._kernels import siphash24_bytes
from journeys.linkage.normalise import string_bytes

__all__ = ["siphash24_strings"]

U64 = npt.NDArray[np.uint64]


def siphash24_strings(values: pl.Series, key: bytes) -> U64:
    """SipHash-2-4 of the UTF-8 bytes of each string (nulls hash as empty strings).

    Runs the compiled kernel on the Arrow bytes.
    """
    k0, k1 = np.frombuffer(key[:16], dtype="<u8")
    offsets, data, _ = string_bytes(values)
    return np.asarray(siphash24_bytes(offsets, data, np.uint64(k0), np.uint64(k1)))
