"""The compiled helpers of the linkage package against plain Python or numpy oracles."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs in the dev extras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.linkage import _kernels
from journeys.linkage._siphash import siphash24_strings
from journeys.linkage.normalise import _string_views, factorise, string_bytes

from .siphash_reference import siphash24

_TEXT = st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["", "a", "ab", "a" * 13]))


@settings(max_examples=60, deadline=None)
@given(st.lists(_TEXT, max_size=40), st.integers(0, 3))
def test_string_bytes_are_the_utf8_bytes(values: list[str | None], skip: int) -> None:
    series = pl.Series(values, dtype=pl.String).slice(min(skip, len(values)))
    offsets, data, valid = string_bytes(series)
    expected = series.to_list()
    assert valid.tolist() == [v is not None for v in expected]
    got = [bytes(data[offsets[i] : offsets[i + 1]]) for i in range(len(expected))]
    assert got == [b"" if v is None else v.encode() for v in expected]


def _oracle_codes(values: list[object]) -> tuple[list[int], list[int]]:
    seen: dict[object, int] = {}
    codes, first = [], []
    for i, v in enumerate(values):
        if v is None:
            codes.append(-1)
            continue
        if v not in seen:
            seen[v] = len(seen)
            first.append(i)
        codes.append(seen[v])
    return codes, first


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["x", "y", "zz", "é", "a" * 20])), max_size=50)
)
def test_factorise_strings_matches_a_dict(values: list[str | None]) -> None:
    codes, first = factorise(pl.Series(values, dtype=pl.String))
    assert (codes.tolist(), first.tolist()) == _oracle_codes(list(values))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)), max_size=50))
def test_factorise_integers_matches_a_dict(values: list[int | None]) -> None:
    codes, first = factorise(pl.Series(values, dtype=pl.Int64))
    assert (codes.tolist(), first.tolist()) == _oracle_codes(list(values))


def test_factorise_integers_that_differ_only_in_high_bits() -> None:
    """Keys like ``i << 40`` (salt numbers above a token, dates as integers) fill the table
    through its growth and stay exact: a slot depends on every bit of the key."""
    values = [int(i) << 40 for i in range(20_000)] + [5 << 40, None, 19_999 << 40]
    codes, first = factorise(pl.Series(values, dtype=pl.Int64))
    assert (codes.tolist(), first.tolist()) == _oracle_codes(list(values))


@pytest.mark.parametrize("collide", [False, True])
def test_factorise_is_exact_even_when_hashes_collide(
    monkeypatch: pytest.MonkeyPatch, *, collide: bool
) -> None:
    """Strings are coded by their bytes, never by a hash alone: a constant polars hash (no
    longer used) changes nothing, and strings over 12 bytes that share their length and
    first bytes are still told apart."""
    values = ["abcd-long-value-1", "abcd-long-value-2", None, "abcd-long-value-1", "short", "x"]
    if collide:

        def constant_hash(self: pl.Series, seed: int = 0) -> pl.Series:
            return pl.Series([7 + 0 * seed] * self.len(), dtype=pl.UInt64)

        monkeypatch.setattr(pl.Series, "hash", constant_hash)
    codes, first = factorise(pl.Series(values))
    assert (codes.tolist(), first.tolist()) == _oracle_codes(list(values))
    sliced = pl.Series(["zz", *values]).slice(1)
    assert factorise(sliced)[0].tolist() == codes.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=16), st.sampled_from(["a" * 13, "b"]))))
def test_views_table_matches_a_dict(values: list[str | None]) -> None:
    series = pl.Series(values, dtype=pl.String)
    codes, first = _kernels.factorise_views(*_string_views(series))
    assert (np.asarray(codes).tolist(), np.asarray(first).tolist()) == _oracle_codes(list(values))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=20))
def test_siphash_kernel_matches_the_numpy_reference(messages: list[bytes]) -> None:
    key = bytes(range(3, 19))
    lengths = np.array([len(m) for m in messages], dtype=np.int64)
    data = np.zeros((len(messages), max(1, int(lengths.max()))), dtype=np.uint8)
    for row, m in enumerate(messages):
        data[row, : len(m)] = np.frombuffer(m, dtype=np.uint8)
    got = siphash24_strings(pl.Series(messages, dtype=pl.Binary), key)
    assert np.array_equal(got, siphash24(key, data, lengths))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="ab_", max_size=6), min_size=1, max_size=8), st.integers(1, 4))
def test_ngram_tokens_match_python(values: list[str], q: int) -> None:
    offsets, data, _ = string_bytes(pl.Series(values))
    starts, tokens = _kernels.ngram_tokens(offsets, data, q, ord("_"))
    for i, v in enumerate(values):
        padded = ("_" * (q - 1) + v + "_" * (q - 1)).encode()
        want = [int.from_bytes(padded[j : j + q], "big") for j in range(len(padded) - q + 1)]
        assert tokens[starts[i] : starts[i + 1]].tolist() == want


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser in numpy (the numpy implementation the kernel replaced)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-1, 4), min_size=1, max_size=30), st.integers(0, 2**64 - 1))
def test_mix_tokens_matches_numpy(codes: list[int], salt: int) -> None:
    hashes = np.random.default_rng(len(codes)).integers(0, 2**63, size=5).astype(np.uint64)
    code_arr = np.array(codes, dtype=np.int64)
    token = np.full(len(codes), salt, dtype=np.uint64)
    want = _splitmix64(token ^ np.where(code_arr >= 0, hashes[code_arr], np.uint64(0)))
    _kernels.mix_tokens(token, hashes, code_arr)
    assert np.array_equal(token, want)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 300), max_size=60))
def test_direct_table_factorises_as_the_hash_table(values: list[int]) -> None:
    ints = np.array(values, dtype=np.int64)
    want = _kernels.factorise_ints(ints, np.ones(len(ints), dtype=np.bool_))
    got = _kernels.factorise_small(ints, 301)
    assert [np.asarray(g).tolist() for g in got] == [np.asarray(w).tolist() for w in want]
    assert (np.asarray(got[0]).tolist(), np.asarray(got[1]).tolist()) == _oracle_codes(values)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=14)), min_size=1, max_size=12),
    st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=1, max_size=12),
)
def test_pseudonym_kernel_matches_the_numpy_siphash(
    agencies: list[str | None], refs: list[str | None]
) -> None:
    """Two SipHash-2-4 values of ``agency + sep + ref`` as hex, against the numpy reference
    over the concatenated messages (the implementation the kernel replaced)."""
    size = min(len(agencies), len(refs))
    a = pl.Series(agencies[:size], dtype=pl.String)
    b = pl.Series(refs[:size], dtype=pl.String)
    keys = np.array([3, 5, 2**63 + 7, 11], dtype=np.uint64)
    av, ad, ab, avalid = _string_views(a)
    bv, bd, bb, bvalid = _string_views(b)
    valid = avalid & bvalid
    chars = np.asarray(_kernels.pseudonym_hex(av, ad, ab, bv, bd, bb, valid, 31, keys))
    messages = [
        (x or "").encode() + b"\x1f" + (y or "").encode() for x, y in zip(a, b, strict=True)
    ]
    lengths = np.array([len(m) for m in messages], dtype=np.int64)
    data = np.zeros((size, max(1, int(lengths.max()))), dtype=np.uint8)
    for row, m in enumerate(messages):
        data[row, : len(m)] = np.frombuffer(m, dtype=np.uint8)
    high = siphash24(keys[:2].tobytes(), data, lengths)
    low = siphash24(keys[2:].tobytes(), data, lengths)
    for row in np.flatnonzero(valid):
        assert bytes(chars[row]).decode() == f"{int(high[row]):016x}{int(low[row]):016x}"


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(0, 40), st.integers(1, 4), st.integers(0, 2**32))
def test_record_filters_are_the_or_of_their_fields(
    words: int, n: int, fields: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    tables = tuple(
        rng.integers(0, 2**63, (int(rng.integers(1, 6)), words), dtype=np.int64).astype(np.uint64)
        for _ in range(fields)
    )
    codes = np.stack([rng.integers(-1, len(t), n) for t in tables], axis=1).astype(np.int64)
    out = np.full((n, words), 7, dtype=np.uint64)
    _kernels.or_rows_into(tables, np.ascontiguousarray(codes), out)
    want = np.zeros((n, words), dtype=np.uint64)
    for f, table in enumerate(tables):
        hit = codes[:, f] >= 0
        want[hit] |= table[codes[hit, f]]
    assert np.array_equal(out, want)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 20), st.lists(st.integers(-1, 4), max_size=20), st.integers(0, 2**32))
def test_binary_views_read_back_as_the_rows(nbytes: int, codes: list[int], seed: int) -> None:
    raw = np.random.default_rng(seed).integers(0, 256, (5, nbytes), dtype=np.uint8)
    code_array = np.array(codes, dtype=np.int64)
    views = np.asarray(_kernels.binary_views(raw, code_array))
    valid = code_array >= 0
    arr = pa.Array.from_buffers(
        pa.binary_view(),
        len(codes),
        [
            pa.py_buffer(np.packbits(valid, bitorder="little")),
            pa.py_buffer(views),
            pa.py_buffer(raw),
        ],
    )
    assert arr.to_pylist() == [bytes(raw[c]) if c >= 0 else None for c in codes]


def test_views_table_grows_and_stays_exact() -> None:
    """Thousands of distinct strings (the table doubles several times), short and long, with
    repeats and nulls, against a dict."""
    rng = np.random.default_rng(3)
    pool = [f"v{i}" for i in range(3000)] + [f"a-longer-value-{i:06d}" for i in range(3000)]
    picks = rng.integers(0, len(pool) + 1, 20_000)
    values = [None if p == len(pool) else pool[p] for p in picks.tolist()]
    codes, first = factorise(pl.Series(values, dtype=pl.String))
    assert (codes.tolist(), first.tolist()) == _oracle_codes(list(values))
