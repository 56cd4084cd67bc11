"""Encode identities into keyed Bloom filters, run by each agency on its own data.

Per-field Bloom filters (Schnell, Bachteler & Reiher 2009) and a record-level filter, the
cryptographic long-term key or CLK (Schnell 2011). Tokens are q-grams (positional characters
for dates), hashed with keyed BLAKE2b; each field has its own key derived from the secret by
HKDF, and ``k`` positions per token come from double hashing. Hardening: balanced filters
(the filter concatenated with its complement, then permuted by a keyed permutation) or XOR
folding (Schnell, Borgs & Encheva 2016), and salting a field's tokens with a stable attribute.

Speed: tokens repeat heavily, so each DISTINCT value of a field is tokenised and each DISTINCT
token hashed once; records then take their value's filter by index (numpy), packed in uint64.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs in the dev extras

from journeys import schema as s
from journeys.linkage._siphash import siphash24_strings
from journeys.linkage.bits import Words, to_binary
from journeys.linkage.normalise import normalise_identities
from journeys.linkage.secret import Secret, derive_key, pseudonymise_refs
from journeys.linkage.settings import (
    BlockingKey,
    EncodingSchema,
    FieldSpec,
    Hardening,
    default_schema,
)

__all__ = [
    "BLOCK_PREFIX",
    "FILTER_PREFIX",
    "blocking_tokens",
    "encode_identities",
    "encode_normalised",
    "write_encodings",
]

logger = logging.getLogger(__name__)

FILTER_PREFIX: Final = "bf_"
BLOCK_PREFIX: Final = "bk_"
_SEP: Final = "\x1f"
_CHUNK: Final = 65_536
#: column -> (code of each record, distinct values)
_CodeCache = dict[str, tuple[npt.NDArray[np.int64], pl.Series]]


def _codes(values: pl.Series | pl.DataFrame) -> tuple[npt.NDArray[np.int64], pl.DataFrame]:
    """Index of each row in the distinct non-null rows (-1 where any value is null), and those
    distinct rows (hash-based, in order of first appearance)."""
    frame = values.to_frame("v") if isinstance(values, pl.Series) else values
    on = frame.columns
    uniques = frame.drop_nulls().unique(maintain_order=True)
    indexed = uniques.with_row_index("__code")
    codes = frame.join(indexed, on=on, how="left", maintain_order="left")["__code"]
    return codes.cast(pl.Int64).fill_null(-1).to_numpy(), uniques


def _byte_matrix(values: pl.Series) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Values as a zero-padded ``(n, max_len)`` byte matrix and their byte lengths."""
    arr = values.cast(pl.Binary).to_arrow()
    if arr.type != pa.large_binary():
        arr = arr.cast(pa.large_binary())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if n else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 0
    out = np.zeros((n, width), dtype=np.uint8)
    if n and width:
        cols = np.arange(width)
        mask = cols[None, :] < lengths[:, None]
        out[mask] = data[(offsets[:-1, None] + cols[None, :])[mask]]
    return out, lengths


def _token_codes(
    values: pl.Series, spec: FieldSpec
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(row, token code) of every token of every value, vectorised with numpy.

    ``ngram``: the q bytes of each padded q-gram as one integer; ``positional``: position * 256
    + byte; ``exact``: the row itself (one token per distinct value).
    """
    n = values.len()
    if spec.tokeniser == "exact":
        rows = np.arange(n, dtype=np.int64)
        return rows, rows
    if spec.tokeniser == "ngram":
        pad = "_" * (spec.q - 1)
        values = pad + values + pad
    mat, lengths = _byte_matrix(values)
    if spec.tokeniser == "positional":
        width = mat.shape[1]
        pos = np.arange(width, dtype=np.int64)
        codes = pos[None, :] * 256 + mat.astype(np.int64)
        valid = pos[None, :] < lengths[:, None]
    else:
        q = spec.q
        width = max(mat.shape[1] - q + 1, 0)
        codes = np.zeros((n, width), dtype=np.int64)
        for j in range(q):
            codes = codes * 256 + mat[:, j : j + width].astype(np.int64)
        valid = np.arange(width)[None, :] + q <= lengths[:, None]
    rows = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], codes.shape)[valid]
    return rows, codes[valid]


def _token_bytes(code: int, spec: FieldSpec) -> bytes:
    if spec.tokeniser == "positional":
        return b"%d:%c" % (code >> 8, code & 255)
    return code.to_bytes(spec.q, "big")


def _hashes(
    inputs: list[bytes], key: bytes
) -> tuple[
    npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.uint64]
]:
    """Four 64-bit hashes per distinct token (keyed BLAKE2b-256); h2 and h4 are odd."""
    base = hashlib.blake2b(key=key, digest_size=32)

    def one(data: bytes) -> bytes:
        h = base.copy()
        h.update(data)
        return h.digest()

    digest = b"".join(map(one, inputs))
    h = np.frombuffer(digest, dtype=np.uint64).reshape(-1, 4)
    return h[:, 0], h[:, 1] | np.uint64(1), h[:, 2], h[:, 3] | np.uint64(1)


def _bits(
    rows: npt.NDArray[np.int64],
    h1: npt.NDArray[np.uint64],
    h2: npt.NDArray[np.uint64],
    *,
    n_rows: int,
    m: int,
    k: int,
) -> npt.NDArray[np.bool_]:
    """Bool matrix (n_rows, m) with positions ``(h1 mod m + i (h2 mod m)) mod m``, i < k, set
    for each row (double hashing, Kirsch & Mitzenmacher 2006)."""
    out = np.zeros((n_rows, m), dtype=np.bool_)
    a = (h1 % np.uint64(m)).astype(np.int64)
    b = (h2 % np.uint64(m)).astype(np.int64)
    pos = (a[:, None] + np.arange(k, dtype=np.int64)[None, :] * b[:, None]) % m
    out[np.repeat(rows, k), pos.ravel()] = True
    return out


def _permutation(secret: Secret, purpose: str, size: int) -> npt.NDArray[np.int64]:
    seed = int.from_bytes(derive_key(secret, purpose, length=16), "little")
    return np.random.default_rng(seed).permutation(size)


def _harden(
    bits: npt.NDArray[np.bool_], hardening: Hardening, secret: Secret, purpose: str
) -> npt.NDArray[np.bool_]:
    if hardening == "balance":
        both = np.concatenate([bits, ~bits], axis=1)
        return both[:, _permutation(secret, f"balance/{purpose}", both.shape[1])]
    if hardening == "xor_fold":
        half = bits.shape[1] // 2
        return bits[:, :half] ^ bits[:, half:]
    return bits


def _pack(bits: npt.NDArray[np.bool_]) -> Words:
    return np.ascontiguousarray(np.packbits(bits, axis=1, bitorder="little")).view(np.uint64)


def _token_matrix(
    rows: npt.NDArray[np.int64], token_index: npt.NDArray[np.int64], n_rows: int, *, pad: int
) -> npt.NDArray[np.int64]:
    """``(n_rows, max_tokens)`` matrix of token indices per row, padded with ``pad``.

    ``rows`` must be sorted ascending.
    """
    counts = np.bincount(rows, minlength=n_rows) if len(rows) else np.zeros(n_rows, np.int64)
    starts = np.cumsum(counts) - counts
    width = int(counts.max()) if n_rows else 0
    out = np.full((n_rows, max(width, 1)), pad, dtype=np.int64)
    out[rows, np.arange(len(rows)) - starts[rows]] = token_index
    return out


def _or_rows(table: Words, index: npt.NDArray[np.int64]) -> Words:
    """OR of ``table`` rows ``index[i, :]`` for each ``i``: a filter from its tokens' bits."""
    out = table[index[:, 0]].copy()
    for j in range(1, index.shape[1]):
        out |= table[index[:, j]]
    return out


def _harden_words(words: Words, hardening: Hardening, secret: Secret, purpose: str) -> Words:
    """Balance or XOR-fold packed filters (see :func:`_harden`)."""
    if hardening == "none":
        return words
    if hardening == "xor_fold":
        half = words.shape[1] // 2
        return words[:, :half] ^ words[:, half:]
    out = np.empty((words.shape[0], words.shape[1] * 2), dtype=np.uint64)
    for lo in range(0, words.shape[0], _CHUNK):
        chunk = np.unpackbits(words[lo : lo + _CHUNK].view(np.uint8), axis=1, bitorder="little")
        out[lo : lo + _CHUNK] = _pack(_harden(chunk.astype(np.bool_), "balance", secret, purpose))
    return out


def _encode_field(
    norm: pl.DataFrame,
    spec: FieldSpec,
    *,
    schema: EncodingSchema,
    secret: Secret,
    clk: Words,
    cache: _CodeCache,
) -> tuple[pl.Series, int]:
    """The field's Binary filter column; ORs its CLK contribution into ``clk`` in place.

    Work is done once per distinct (salt, value) and once per distinct token.
    """
    if spec.salt is None:
        codes, values = _column_codes(norm, spec.column, cache)
        salts = (
            pl.Series("s", [""], dtype=pl.String).extend_constant("", values.len() - 1)
            if values.len()
            else pl.Series("s", [], dtype=pl.String)
        )
        salt_codes = np.zeros(values.len(), dtype=np.int64)
        salt_values = pl.Series("v", [""], dtype=pl.String)
    else:
        salt = pl.col(spec.salt).fill_null("")
        codes, uniques = _codes(norm.select(salt.alias("s"), pl.col(spec.column).alias("v")))
        values, salts = uniques["v"], uniques["s"]
        salt_codes, salt_uniques = _codes(salts)
        salt_values = salt_uniques["v"]
    rows, tokens = _token_codes(values, spec)
    shift = 8 * spec.q if spec.tokeniser == "ngram" else 24
    if spec.tokeniser == "exact":
        distinct, token_index = tokens, tokens
        inputs = [f"{a}{_SEP}{b}".encode() for a, b in zip(salts, values, strict=True)]
    else:
        combined = (salt_codes[rows] << shift) | tokens
        distinct, token_index = np.unique(combined, return_inverse=True)
        salt_list = [v.encode() + _SEP.encode() for v in salt_values.to_list()]
        mask = (1 << shift) - 1
        inputs = [salt_list[c >> shift] + _token_bytes(c & mask, spec) for c in distinct.tolist()]
    key = derive_key(secret, f"bf/{spec.column}")
    h1, h2, h3, h4 = _hashes(inputs, key)
    n_values = values.len()
    n_tokens = len(distinct)
    # each distinct token's packed bits, plus an all-zero row that pads the token matrix
    every = np.arange(n_tokens, dtype=np.int64)
    tok_field = np.zeros((n_tokens + 1, spec.bits // 64), dtype=np.uint64)
    tok_field[:n_tokens] = _pack(_bits(every, h1, h2, n_rows=n_tokens, m=spec.bits, k=spec.k))
    tokmat = _token_matrix(rows, token_index, n_values, pad=n_tokens)
    value_words = _or_rows(tok_field, tokmat)
    value_words = _harden_words(value_words, schema.hardening, secret, f"bf/{spec.column}")
    width = value_words.shape[1] * 64
    if spec.clk_k:
        tok_clk = np.zeros((n_tokens + 1, schema.clk_bits // 64), dtype=np.uint64)
        tok_clk[:n_tokens] = _pack(
            _bits(every, h3, h4, n_rows=n_tokens, m=schema.clk_bits, k=spec.clk_k)
        )
        clk_contrib = _or_rows(tok_clk, tokmat)
    valid = codes >= 0
    words = np.zeros((len(codes), width // 64), dtype=np.uint64)
    words[valid] = value_words[codes[valid]]
    if spec.clk_k:
        clk[valid] |= clk_contrib[codes[valid]]
    return to_binary(FILTER_PREFIX + spec.column, words, valid), len(distinct)


def _harden_clk(clk: Words, hardening: Hardening, secret: Secret) -> Words:
    return _harden_words(clk, hardening, secret, "clk")


def _block_part(part: str) -> pl.Expr:
    column, _, prefix = part.partition(":")
    expr = pl.col(column)
    return expr.str.slice(0, int(prefix)) if prefix else expr


def _keyed_u64(values: pl.Series, key: bytes) -> npt.NDArray[np.uint64]:
    """Keyed 64-bit hash (SipHash-2-4) of each string."""
    return siphash24_strings(values, key[:16])


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The splitmix64 finaliser: a bijective scrambling of 64-bit words."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _column_codes(
    norm: pl.DataFrame, column: str, cache: _CodeCache
) -> tuple[npt.NDArray[np.int64], pl.Series]:
    """Codes and distinct values of one normalised column, computed once per encoding run."""
    if column not in cache:
        codes, uniques = _codes(norm[column])
        cache[column] = (codes, uniques["v"])
    return cache[column]


def _part_hashes(
    norm: pl.DataFrame,
    part: str,
    secret: Secret,
    cache: dict[str, tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]],
    codes_cache: _CodeCache,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    if part not in cache:
        column, _, prefix = part.partition(":")
        col_codes, col_values = _column_codes(norm, column, codes_cache)
        if prefix:
            # a prefix of each distinct value, then its own distinct values (few)
            pre_codes, pre_uniques = _codes(col_values.str.slice(0, int(prefix)))
            codes = np.where(col_codes >= 0, pre_codes[np.maximum(col_codes, 0)], -1)
            uniques = pre_uniques["v"]
        else:
            codes, uniques = col_codes, col_values
        hashes = _keyed_u64(uniques, derive_key(secret, f"block-part/{part}"))
        valid = codes >= 0
        out = np.zeros(len(codes), dtype=np.uint64)
        out[valid] = hashes[codes[valid]]
        cache[part] = (out, valid)
    return cache[part]


def blocking_tokens(
    norm: pl.DataFrame,
    key: BlockingKey,
    *,
    secret: Secret,
    cache: dict[str, tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]] | None = None,
    codes_cache: _CodeCache | None = None,
) -> pl.Series:
    """The keyed blocking token (UInt64, null when a part is missing) of each normalised record.

    Each part's distinct values are hashed once with SipHash-2-4 (a key per part derived
    from the secret); the parts' hashes and a per-key secret salt are then combined with the
    splitmix64 finaliser. Records that share a token become candidate pairs; without the
    secret a token reveals nothing about its parts.
    """
    cache = {} if cache is None else cache
    codes_cache = {} if codes_cache is None else codes_cache
    salt = np.frombuffer(derive_key(secret, f"block/{key.name}", length=8), dtype=np.uint64)[0]
    token = np.full(norm.height, salt, dtype=np.uint64)
    valid = np.ones(norm.height, dtype=np.bool_)
    for part in key.parts:
        hashes, ok = _part_hashes(norm, part, secret, cache, codes_cache)
        token = _mix(token ^ hashes)
        valid &= ok
    series = pl.Series(BLOCK_PREFIX + key.name, token)
    return pl.select(pl.when(pl.lit(pl.Series(valid))).then(series))[BLOCK_PREFIX + key.name]


def encode_normalised(
    norm: pl.DataFrame, *, secret: Secret, schema: EncodingSchema | None = None
) -> pl.DataFrame:
    """Encode an already normalised frame (see :func:`encode_identities`)."""
    schema = schema or default_schema()
    n = norm.height
    clk = np.zeros((n, schema.clk_bits // 64), dtype=np.uint64)
    columns: list[pl.Series] = [
        norm[s.AGENCY],
        pseudonymise_refs(norm[s.AGENCY], norm[s.PERSON_REF], secret=secret),
    ]
    filters = []
    codes_cache: _CodeCache = {}
    for spec in schema.fields:
        series, n_tokens = _encode_field(
            norm, spec, schema=schema, secret=secret, clk=clk, cache=codes_cache
        )
        logger.debug("field %s: %d distinct tokens hashed", spec.column, n_tokens)
        filters.append(series)
    columns.append(to_binary(s.CLK, _harden_clk(clk, schema.hardening, secret)))
    columns += filters
    cache: dict[str, tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]] = {}
    columns += [
        blocking_tokens(norm, key, secret=secret, cache=cache, codes_cache=codes_cache)
        for key in schema.blocking
    ]
    logger.info(
        "encoded %d records (%d fields, hardening=%s)", n, len(schema.fields), schema.hardening
    )
    return pl.DataFrame(columns)


def encode_identities(
    data: pl.DataFrame | pl.LazyFrame,
    *,
    secret: Secret,
    schema: EncodingSchema | None = None,
) -> pl.DataFrame:
    """Encode an identities table into the encodings table (no identifier in any form).

    Returns ``agency``, ``person_ref`` (keyed pseudonym), ``clk`` (record-level filter),
    ``bf_<field>`` (field-level filters, null when the value is missing) and ``bk_<key>``
    (keyed blocking tokens, UInt64).

    Examples
    --------
    >>> import datetime as dt
    >>> ids = pl.DataFrame({"agency": ["gp"], "person_ref": ["p1"], "given_name": ["Ann"],
    ...     "family_name": ["Lee"], "date_of_birth": [dt.date(1980, 1, 2)], "sex": ["F"],
    ...     "postcode": ["LS1 4AP"], "national_id": [None]})
    >>> enc = encode_identities(ids, secret=Secret(b"an example secret only"))
    >>> enc.columns[:4], enc["clk"].bin.size()[0]
    (['agency', 'person_ref', 'clk', 'bf_given_name'], 128)
    """
    schema = schema or default_schema()
    norm = normalise_identities(data, schema=schema).collect()
    return encode_normalised(norm, secret=secret, schema=schema)


def write_encodings(encodings: pl.DataFrame, path: str | Path) -> Path:
    """Write the encodings table to parquet after checking it holds no identifier column."""
    s.validate_encodings(encodings)
    path = Path(path)
    encodings.write_parquet(path)
    return path
