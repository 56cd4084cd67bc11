from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.linkage._siphash import siphash24_strings

from .siphash_reference import siphash24

KEY = bytes(range(16))
#: SipHash-2-4 reference vectors (key 00..0f, message 00..len-1), from the paper's vectors.h
VECTORS = {
    0: 0x726FDB47DD0E0E31,
    7: 0xAB0200F58B01D137,
    8: 0x93F5F5799A932462,
    15: 0xA129CA6149BE45E5,
}


def test_reference_vectors_in_one_batch() -> None:
    lengths = np.array(list(VECTORS), dtype=np.int64)
    data = np.zeros((len(lengths), 16), dtype=np.uint8)
    for row, n in enumerate(lengths):
        data[row, :n] = np.arange(n)
    got = siphash24(KEY, data, lengths)
    assert [int(x) for x in got] == list(VECTORS.values())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=20))
def test_batch_equals_one_at_a_time(values: list[str]) -> None:
    batch = siphash24_strings(pl.Series(values, dtype=pl.String), KEY)
    singles = [int(siphash24_strings(pl.Series([v], dtype=pl.String), KEY)[0]) for v in values]
    assert [int(x) for x in batch] == singles
    other = siphash24_strings(pl.Series(values, dtype=pl.String), bytes(range(1, 17)))
    assert not np.array_equal(batch, other)
