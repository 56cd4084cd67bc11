"""Encode identities into keyed Bloom filters, run by each agency on its own data.

Per-field Bloom filters (Schnell, Bachteler & Reiher 2009) and a record-level filter, the
cryptographic long-term key or CLK (Schnell 2011). Tokens are q-grams (positional characters
for dates), hashed with keyed BLAKE2b; each field has its own key derived from the secret by
HKDF, and ``k`` positions per token come from double hashing. Hardening: balanced filters
(the filter concatenated with its complement, then permuted by a keyed permutation) or XOR
folding (Schnell, Borgs & Encheva 2016), and salting a field's tokens with a stable attribute.

Speed: identifiers repeat heavily, so normalisation yields each field as codes and distinct
values (:class:`~journeys.linkage.normalise.CodedColumn`); each distinct (salt, value) is
tokenised once and each distinct (salt, token) hashed once with keyed BLAKE2b (the hashing
itself is unchanged). Compiled kernels (``_kernels``: numba) then set each token's bits in
packed ``uint64`` words, OR them into each distinct value's filter and copy those to the
records by code: no Python loop over records and no numpy gathers of bit matrices.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs in the dev extras

from journeys import schema as s
from journeys._jit import KERNEL_THREADS
from journeys.exceptions import LinkageError
from journeys.linkage import _kernels as _k
from journeys.linkage._siphash import siphash24_strings
from journeys.linkage.bits import Words, to_binary, to_binary_coded
from journeys.linkage.normalise import (
    CodedColumn,
    NormalisedCodes,
    code_column,
    factorise,
    normalise_codes,
    string_bytes,
)
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
    "encode_coded",
    "encode_identities",
    "encode_normalised",
    "write_encodings",
]

logger = logging.getLogger(__name__)

FILTER_PREFIX: Final = "bf_"
BLOCK_PREFIX: Final = "bk_"
_SEP: Final = "\x1f"
_CHUNK: Final = 65_536
_PAD: Final = ord("_")
#: token codes below this are factorised with a direct table (bigrams: 2**16)
_SMALL_TOKENS: Final = 1 << 20
#: column -> its codes and distinct values, computed once per encoding run
_CodeCache = dict[str, CodedColumn]
_PartCache = dict[str, tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]]


def _value_tokens(
    values: pl.Series, spec: FieldSpec
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Tokens of each value as CSR: value ``v`` has ``tokens[starts[v]:starts[v + 1]]``.

    ``ngram``: the q bytes of each q-gram of the value padded with ``q - 1`` underscores, as
    one integer; ``positional``: position * 256 + byte; ``exact``: the value's own index.
    """
    n = values.len()
    if spec.tokeniser == "exact":
        return np.arange(n + 1, dtype=np.int64), np.arange(n, dtype=np.int64)
    offsets, data, _ = string_bytes(values)
    if spec.tokeniser == "positional":
        starts, tokens = _k.positional_tokens(offsets, data)
    else:
        starts, tokens = _k.ngram_tokens(offsets, data, spec.q, _PAD)
    return np.asarray(starts), np.asarray(tokens)


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
    return (
        np.ascontiguousarray(h[:, 0]),
        h[:, 1] | np.uint64(1),
        np.ascontiguousarray(h[:, 2]),
        h[:, 3] | np.uint64(1),
    )


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


def _salted_pairs(
    column: CodedColumn, salt: CodedColumn
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], list[str]]:
    """Distinct (salt, value) pairs of the records with a value: each record's pair code,
    each pair's value and salt index, and the salt strings (a missing salt is "")."""
    salt_strings = [*salt.values.to_list(), ""]
    index: dict[str, int] = {}
    of_code = np.array([index.setdefault(v, len(index)) for v in salt_strings], dtype=np.int64)
    record_salt = of_code[salt.codes]  # code -1 (missing) reads the trailing ""
    n_values = max(column.values.len(), 1)
    valid = column.codes >= 0
    pair = record_salt * n_values + np.maximum(column.codes, 0)
    codes, first = _k.factorise_ints(pair, valid)
    codes, first = np.asarray(codes), np.asarray(first)
    return codes, column.codes[first], record_salt[first], list(index)


def _factorise_tokens(
    tokens: npt.NDArray[np.int64], bound: int | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Code of each token in order of first appearance, and each code's first row.

    ``bound``, when known, is more than any token (and no token is negative).
    """
    if bound is None and len(tokens) and int(tokens.min()) >= 0:
        bound = int(tokens.max()) + 1
    if bound is not None and bound <= _SMALL_TOKENS:
        codes, first = _k.factorise_small(tokens, bound)
    else:
        codes, first = _k.factorise_ints(tokens, np.ones(len(tokens), dtype=np.bool_))
    return np.asarray(codes), np.asarray(first)


def _encode_field(
    column: CodedColumn,
    salt: CodedColumn | None,
    spec: FieldSpec,
    *,
    schema: EncodingSchema,
    secret: Secret,
    clk_parts: list[tuple[Words, npt.NDArray[np.int64]]],
) -> tuple[pl.Series, int]:
    """The field's Binary filter column; appends its CLK contribution (the CLK bits of each
    distinct value, and each record's code) to ``clk_parts``.

    Work is done once per distinct (salt, value) and once per distinct (salt, token).
    """
    values = column.values
    if salt is None:
        codes = column.codes
        pair_value = np.arange(values.len(), dtype=np.int64)
        pair_salt = np.zeros(values.len(), dtype=np.int64)
        salt_strings = [""]
    else:
        codes, pair_value, pair_salt, salt_strings = _salted_pairs(column, salt)
    if spec.tokeniser == "exact":
        texts = values.to_list()
        inputs = [
            f"{salt_strings[a]}{_SEP}{texts[b]}".encode()
            for a, b in zip(pair_salt.tolist(), pair_value.tolist(), strict=True)
        ]
        starts = np.arange(len(inputs) + 1, dtype=np.int64)
        token_index = np.arange(len(inputs), dtype=np.int64)
        n_tokens = len(inputs)
    else:
        value_starts, value_tokens = _value_tokens(values, spec)
        shift = 8 * spec.q if spec.tokeniser == "ngram" else 24
        if salt is not None and len(salt_strings) >= 1 << (63 - shift):
            # a salted token is ``salt number << shift | token`` in 63 bits
            raise LinkageError(
                f"Field '{spec.column}' is salted by '{spec.salt}', which has "
                f"{len(salt_strings):,} distinct values: too many to code beside "
                f"{spec.q}-grams; salt by an attribute with fewer values (e.g. birth_year)"
            )
        if salt is None:  # pairs are the values themselves
            starts, combined = value_starts, value_tokens
        else:
            starts, combined = _k.salted_tokens(
                pair_value, pair_salt, value_starts, value_tokens, shift
            )
        bound = None
        if salt is None and spec.tokeniser == "ngram":  # q bytes
            bound = 1 << shift
        elif salt is None and len(value_starts) > 1:  # position * 256 + byte
            bound = 256 * int(np.diff(value_starts).max())
        token_index, first = _factorise_tokens(np.asarray(combined), bound)
        distinct = np.asarray(combined)[first]
        salt_list = [v.encode() + _SEP.encode() for v in salt_strings]
        mask = (1 << shift) - 1
        inputs = [salt_list[c >> shift] + _token_bytes(c & mask, spec) for c in distinct.tolist()]
        n_tokens = len(inputs)
    key = derive_key(secret, f"bf/{spec.column}")
    h1, h2, h3, h4 = _hashes(inputs, key)
    masks = _k.token_masks(h1, h2, spec.bits, spec.k)
    if spec.clk_k:
        clk_masks = _k.token_masks(h3, h4, schema.clk_bits, spec.clk_k)
        value_words, clk_words = _k.or_tokens_pair(masks, clk_masks, starts, token_index)
        clk_parts.append((np.asarray(clk_words), codes))
    else:
        value_words = _k.or_tokens(masks, starts, token_index)
    value_words = _harden_words(value_words, schema.hardening, secret, f"bf/{spec.column}")
    return to_binary_coded(FILTER_PREFIX + spec.column, value_words, codes), n_tokens


def _assemble_clk(
    parts: list[tuple[Words, npt.NDArray[np.int64]]],
    n: int,
    words: int,
    pool: ThreadPoolExecutor | None = None,
) -> Words:
    """Each record's CLK: the OR of its fields' contributions, in one compiled pass (the
    second half of the records on ``pool`` when given)."""
    if not parts:
        return np.zeros((n, words), dtype=np.uint64)
    clk = np.empty((n, words), dtype=np.uint64)
    codes = np.empty((n, len(parts)), dtype=np.int64)  # record-major: one row per record
    for f, (_, c) in enumerate(parts):
        codes[:, f] = c
    tables = tuple(np.ascontiguousarray(values, dtype=np.uint64) for values, _ in parts)
    half = n // 2 if pool is not None else n
    rest = None if pool is None else pool.submit(_k.or_rows_into, tables, codes[half:], clk[half:])
    _k.or_rows_into(tables, codes[:half], clk[:half])
    if rest is not None:
        rest.result()
    return clk


def _harden_clk(clk: Words, hardening: Hardening, secret: Secret) -> Words:
    return _harden_words(clk, hardening, secret, "clk")


class _Columns:
    """The coded columns of one encoding run: from :func:`normalise_codes`, or factorised
    on first use from an already normalised frame."""

    def __init__(self, norm: pl.DataFrame | None, coded: _CodeCache | None = None) -> None:
        self.norm = norm
        self.coded: _CodeCache = {} if coded is None else coded

    def __getitem__(self, column: str) -> CodedColumn:
        if column not in self.coded:
            if self.norm is None:
                raise KeyError(column)
            self.coded[column] = code_column(self.norm[column])
        return self.coded[column]


def _part_hashes(
    columns: _Columns, part: str, secret: Secret, cache: _PartCache
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Keyed hash of each distinct value of a blocking-key part, and each record's code."""
    if part not in cache:
        column, _, prefix = part.partition(":")
        coded = columns[column]
        codes, uniques = coded.codes, coded.values
        if prefix:
            # a prefix of each distinct value, then its own distinct values (few)
            prefixes = uniques.str.slice(0, int(prefix))
            pre_codes, pre_first = factorise(prefixes)
            codes = np.append(pre_codes, -1)[codes]  # code -1 reads the trailing -1
            uniques = prefixes.gather(pre_first)
        hashes = siphash24_strings(uniques, derive_key(secret, f"block-part/{part}"))
        cache[part] = (np.ascontiguousarray(hashes, dtype=np.uint64), codes)
    return cache[part]


def _blocking_tokens(
    columns: _Columns, n: int, key: BlockingKey, *, secret: Secret, cache: _PartCache
) -> pl.Series:
    salt = np.frombuffer(derive_key(secret, f"block/{key.name}", length=8), dtype=np.uint64)[0]
    token = np.full(n, salt, dtype=np.uint64)
    valid = np.ones(n, dtype=np.bool_)
    for part in key.parts:
        hashes, codes = _part_hashes(columns, part, secret, cache)
        _k.mix_tokens(token, hashes, codes)
        valid &= codes >= 0
    if bool(valid.all()):
        return pl.Series(BLOCK_PREFIX + key.name, token)
    validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    series = pl.from_arrow(pa.Array.from_buffers(pa.uint64(), n, [validity, pa.py_buffer(token)]))
    assert isinstance(series, pl.Series)
    return series.rename(BLOCK_PREFIX + key.name)


def blocking_tokens(
    norm: pl.DataFrame,
    key: BlockingKey,
    *,
    secret: Secret,
    cache: _PartCache | None = None,
    codes_cache: _CodeCache | None = None,
) -> pl.Series:
    """The keyed blocking token (UInt64, null when a part is missing) of each normalised record.

    Each part's distinct values are hashed once with SipHash-2-4 (a key per part derived
    from the secret); the parts' hashes and a per-key secret salt are then combined with the
    splitmix64 finaliser. Records that share a token become candidate pairs; without the
    secret a token reveals nothing about its parts.
    """
    columns = _Columns(norm, codes_cache)
    return _blocking_tokens(
        columns, norm.height, key, secret=secret, cache={} if cache is None else cache
    )


def _encode(
    agency: pl.Series,
    person_ref: pl.Series,
    columns: _Columns,
    *,
    secret: Secret,
    schema: EncodingSchema,
    pseudonyms: Future[pl.Series] | None = None,
) -> pl.DataFrame:
    """The encodings table. Independent parts run two at a time (the compiled kernels and
    polars release the GIL): the pseudonyms, the fields and the blocking tokens; the CLK is
    assembled once every field is done, while the blocking tokens are computed."""
    n = agency.len()
    cache: _PartCache = {}

    def blocks() -> list[pl.Series]:
        return [
            _blocking_tokens(columns, n, key, secret=secret, cache=cache) for key in schema.blocking
        ]

    def field(spec: FieldSpec) -> tuple[pl.Series, list[tuple[Words, npt.NDArray[np.int64]]]]:
        salt = None if spec.salt is None else columns[spec.salt]
        parts: list[tuple[Words, npt.NDArray[np.int64]]] = []
        series, n_tokens = _encode_field(
            columns[spec.column], salt, spec, schema=schema, secret=secret, clk_parts=parts
        )
        logger.debug("field %s: %d distinct tokens hashed", spec.column, n_tokens)
        return series, parts

    with ThreadPoolExecutor(max_workers=KERNEL_THREADS) as pool:
        if pseudonyms is None:
            pseudonyms = pool.submit(pseudonymise_refs, agency, person_ref, secret=secret)
        # the fields with the most distinct values (the longest to run) first
        order = sorted(schema.fields, key=lambda spec: -columns[spec.column].values.len())
        futures = {spec.column: pool.submit(field, spec) for spec in order}
        blocking = pool.submit(blocks)  # last: it overlaps the CLK assembly below
        encoded = [futures[spec.column].result() for spec in schema.fields]
        clk_parts = [part for _, parts in encoded for part in parts]
        clk = _assemble_clk(clk_parts, n, schema.clk_bits // 64, pool)
        out = [agency.rename(s.AGENCY), pseudonyms.result()]
        out.append(to_binary(s.CLK, _harden_clk(clk, schema.hardening, secret)))
        out += [series for series, _ in encoded]
        out += blocking.result()
    logger.info(
        "encoded %d records (%d fields, hardening=%s)", n, len(schema.fields), schema.hardening
    )
    return pl.DataFrame(out)


def encode_normalised(
    norm: pl.DataFrame, *, secret: Secret, schema: EncodingSchema | None = None
) -> pl.DataFrame:
    """Encode an already normalised frame (see :func:`encode_identities`)."""
    schema = schema or default_schema()
    return _encode(norm[s.AGENCY], norm[s.PERSON_REF], _Columns(norm), secret=secret, schema=schema)


def encode_coded(
    coded: NormalisedCodes, *, secret: Secret, schema: EncodingSchema | None = None
) -> pl.DataFrame:
    """Encode identities normalised to coded columns (see :func:`normalise_codes`)."""
    schema = schema or default_schema()
    columns = _Columns(None, dict(coded.columns))
    return _encode(coded.agency, coded.person_ref, columns, secret=secret, schema=schema)


def _encode_raw(frame: pl.DataFrame, *, secret: Secret, schema: EncodingSchema) -> pl.DataFrame:
    """Normalise and encode, with the pseudonyms computed while the fields are normalised."""
    if s.AGENCY not in frame.columns or s.PERSON_REF not in frame.columns:
        return encode_coded(normalise_codes(frame, schema=schema), secret=secret, schema=schema)
    with ThreadPoolExecutor(max_workers=1) as pool:
        refs = frame[s.PERSON_REF].cast(pl.String)
        agency = frame[s.AGENCY].cast(pl.String)
        pseudonyms = pool.submit(pseudonymise_refs, agency, refs, secret=secret)
        coded = normalise_codes(frame, schema=schema)
        columns = _Columns(None, dict(coded.columns))
        return _encode(
            coded.agency, coded.person_ref, columns, secret=secret, schema=schema,
            pseudonyms=pseudonyms,
        )  # fmt: skip


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
    frame = data.collect() if isinstance(data, pl.LazyFrame) else data
    return _encode_raw(frame, secret=secret, schema=schema)


def write_encodings(encodings: pl.DataFrame, path: str | Path) -> Path:
    """Write the encodings table to parquet after checking it holds no identifier column."""
    s.validate_encodings(encodings)
    path = Path(path)
    encodings.write_parquet(path)
    return path
