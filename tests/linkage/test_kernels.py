"""The compiled helpers of the linkage package against plain Python or numpy oracles."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys.linkage import _kernels
from journeys.linkage._siphash import siphash24, siphash24_strings
from journeys.linkage.normalise import _string_views, factorise, string_bytes

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


@pytest.mark.parametrize("collide", [False, True])
def test_factorise_is_exact_even_when_hashes_collide(
    monkeypatch: pytest.MonkeyPatch, *, collide: bool
) -> None:
    """On a hash collision the byte-comparing table takes over; strings over 12 bytes that
    share their length and first bytes are still told apart."""
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
