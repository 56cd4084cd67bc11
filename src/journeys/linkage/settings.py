"""Encoding and linkage settings: frozen dataclasses that round-trip to a reviewable file.

An information governance officer reviews the encoding schema before any agency encodes, so
the schema is plain data with a format version, saved as JSON (or read from TOML).
:func:`read_schema` also reads a clkhash v3 linkage schema, translated by
:mod:`journeys.linkage.clkhash_schema`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Final, Literal, get_args

from journeys import schema as s
from journeys.exceptions import ConfigError

__all__ = [
    "FORMAT_VERSION",
    "BlockingKey",
    "EncodingSchema",
    "FieldKind",
    "FieldSpec",
    "Hardening",
    "LinkageSettings",
    "Scoring",
    "Tokeniser",
    "default_schema",
    "read_schema",
    "read_settings",
    "write_schema",
    "write_settings",
]

#: Version of the schema file format; bumped on any incompatible change.
FORMAT_VERSION: Final = 1

FieldKind = Literal["given_name", "name", "text", "id", "uk_postcode", "date", "sex"]
Tokeniser = Literal["ngram", "positional", "exact"]
Hardening = Literal["none", "balance", "xor_fold"]
Scoring = Literal["fellegi_sunter", "threshold"]

_KINDS: Final = frozenset(get_args(FieldKind))
_TOKENISERS: Final = frozenset(get_args(Tokeniser))
#: Longest q-gram: the encoder codes a q-gram in 8 bits a character within a 63-bit integer, and
#: a salted one beside the salt's number (5 characters leave 23 bits: 8 million salt values).
MAX_Q: Final = 7
MAX_SALTED_Q: Final = 5
_HARDENINGS: Final = frozenset(get_args(Hardening))
_SCORINGS: Final = frozenset(get_args(Scoring))
#: A derived, stable attribute that can salt a field or take part in a blocking key.
BIRTH_YEAR: Final = "birth_year"


@dataclass(frozen=True)
class FieldSpec:
    """How one identifier column is normalised and hashed into Bloom filters.

    Parameters
    ----------
    column
        Column of the identities table.
    kind
        Normalisation rule (``given_name`` also maps nicknames to one form).
    tokeniser
        ``ngram`` (padded q-grams), ``positional`` (character with its position, for dates,
        Schnell 2011) or ``exact`` (the whole value is one token).
    q
        Length of the q-grams.
    bits
        Length of the field-level filter in bits (a multiple of 64).
    k
        Hash positions per token in the field-level filter.
    clk_k
        Hash positions per token in the record-level filter (CLK); 0 leaves the field out.
        Bits per token per field weight fields inside the CLK (Schnell 2011).
    salt
        Another field (or ``birth_year``) whose value salts this field's tokens, so the same
        token hashes differently for different salts (hardening against frequency attacks).
    """

    column: str
    kind: FieldKind = "text"
    tokeniser: Tokeniser = "ngram"
    q: int = 2
    bits: int = 512
    k: int = 10
    clk_k: int = 10
    salt: str | None = None


@dataclass(frozen=True)
class BlockingKey:
    """A keyed blocking token: the keyed hash of normalised parts.

    For example ``BlockingKey("names", ("family_name", "given_name:1"))``.

    A part is a field's column, optionally with ``:n`` to keep only its first ``n`` characters,
    or ``birth_year``. Records sharing a token become candidate pairs.
    """

    name: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class EncodingSchema:
    """The settings every agency uses to encode: fields, CLK size, hardening, blocking keys.

    Examples
    --------
    >>> schema = default_schema()
    >>> EncodingSchema.from_dict(schema.to_dict()) == schema
    True
    """

    fields: tuple[FieldSpec, ...]
    clk_bits: int = 1024
    hardening: Hardening = "none"
    blocking: tuple[BlockingKey, ...] = ()
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        problems = _schema_problems(self)
        if problems:
            raise ConfigError("The encoding schema", problems)

    def field(self, column: str) -> FieldSpec:
        """The spec of ``column``."""
        for spec in self.fields:
            if spec.column == column:
                return spec
        names = ", ".join(f.column for f in self.fields)
        raise ConfigError("The encoding schema", [f"no field '{column}'; fields are {names}"])

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON/TOML."""
        out = asdict(self)
        out["blocking"] = [{"name": b.name, "parts": list(b.parts)} for b in self.blocking]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EncodingSchema:
        """Build from plain data, reporting every unknown key at once."""
        problems: list[str] = []
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            problems.append(f"'version' is {version!r}; this journeys reads {FORMAT_VERSION}")
        known = {f.name for f in fields(cls)}
        problems += [
            f"unknown key '{k}'; known keys: {sorted(known)}" for k in data if k not in known
        ]
        spec_keys = {f.name for f in fields(FieldSpec)}
        specs: list[FieldSpec] = []
        for i, raw in enumerate(data.get("fields", [])):
            bad = [k for k in raw if k not in spec_keys]
            if bad:
                problems.append(f"fields[{i}] has unknown key(s) {bad}; known: {sorted(spec_keys)}")
                continue
            specs.append(FieldSpec(**raw))
        if problems:
            raise ConfigError("The encoding schema", problems)
        blocking = tuple(
            BlockingKey(name=b["name"], parts=tuple(b["parts"])) for b in data.get("blocking", [])
        )
        return cls(
            fields=tuple(specs),
            clk_bits=int(data.get("clk_bits", 1024)),
            hardening=data.get("hardening", "none"),
            blocking=blocking,
            version=int(version),
        )


def _schema_problems(schema: EncodingSchema) -> list[str]:
    problems: list[str] = []
    if not schema.fields:
        problems.append("'fields' is empty; name at least one identifier column")
    columns = [f.column for f in schema.fields]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        problems.append(f"field(s) {dupes} appear more than once; keep one spec per column")
    if schema.clk_bits <= 0 or schema.clk_bits % 64:
        problems.append(f"'clk_bits' must be a positive multiple of 64; got {schema.clk_bits}")
    if schema.hardening not in _HARDENINGS:
        problems.append(
            f"'hardening' must be one of {sorted(_HARDENINGS)}; got {schema.hardening!r}"
        )
    if schema.hardening == "xor_fold" and schema.clk_bits % 128:
        problems.append("'xor_fold' halves filters, so 'clk_bits' must be a multiple of 128")
    salts = set(columns) | {BIRTH_YEAR}
    for i, f in enumerate(schema.fields):
        where = f"fields[{i}] ('{f.column}')"
        if f.kind not in _KINDS:
            problems.append(f"{where}: 'kind' must be one of {sorted(_KINDS)}; got {f.kind!r}")
        if f.tokeniser not in _TOKENISERS:
            problems.append(f"{where}: 'tokeniser' must be one of {sorted(_TOKENISERS)}")
        if f.bits <= 0 or f.bits % 64 or (schema.hardening == "xor_fold" and f.bits % 128):
            problems.append(
                f"{where}: 'bits' must be a positive multiple of 64 (128 with "
                f"xor_fold); got {f.bits}"
            )
        if f.k < 1 or f.clk_k < 0 or f.q < 1:
            problems.append(
                f"{where}: need k >= 1, clk_k >= 0 and q >= 1; got k={f.k}, "
                f"clk_k={f.clk_k}, q={f.q}"
            )
        longest = MAX_SALTED_Q if f.salt is not None else MAX_Q
        if f.tokeniser == "ngram" and f.q > longest:
            problems.append(
                f"{where}: q-grams longer than {longest} characters are not supported"
                f"{' in a salted field' if f.salt is not None else ''} (a q-gram is coded in "
                f"8 bits a character, beside the salt's number); got q={f.q}. Use q between 2 "
                f"and 4, as in most Bloom filter linkage"
            )
        if f.salt is not None and (f.salt not in salts or f.salt == f.column):
            problems.append(
                f"{where}: 'salt' must be another field or 'birth_year'; got {f.salt!r}"
            )
    names = [b.name for b in schema.blocking]
    if len(set(names)) != len(names):
        problems.append("blocking key names must be unique")
    for b in schema.blocking:
        for part in b.parts:
            base = part.split(":", 1)[0]
            if base not in salts:
                problems.append(
                    f"blocking key '{b.name}': part '{part}' names no field; "
                    f"use one of {sorted(salts)}"
                )
    return problems


def default_schema(*, hardening: Hardening = "none", salt_names: bool = False) -> EncodingSchema:
    """The schema for the canonical identities table (names, date of birth, sex, postcode, id).

    ``salt_names`` salts the given and family name filters with the year of birth, which
    defeats frequency attacks on whole name filters (at the cost of missing links where the
    year of birth differs between agencies).

    Examples
    --------
    >>> [f.column for f in default_schema().fields][:2]
    ['given_name', 'family_name']
    """
    salt = BIRTH_YEAR if salt_names else None
    return EncodingSchema(
        fields=(
            FieldSpec(s.GIVEN_NAME, kind="given_name", bits=512, k=15, clk_k=15, salt=salt),
            FieldSpec(s.FAMILY_NAME, kind="name", bits=512, k=15, clk_k=15, salt=salt),
            FieldSpec(
                s.DATE_OF_BIRTH, kind="date", tokeniser="positional", bits=256, k=15, clk_k=15
            ),
            FieldSpec(s.SEX, kind="sex", tokeniser="exact", bits=128, k=5, clk_k=5),
            FieldSpec(s.POSTCODE, kind="uk_postcode", bits=512, k=10, clk_k=10),
            FieldSpec(s.NATIONAL_ID, kind="id", bits=512, k=10, clk_k=10),
        ),
        clk_bits=1024,
        hardening=hardening,
        blocking=(
            BlockingKey("dob_given", (s.DATE_OF_BIRTH, f"{s.GIVEN_NAME}:1")),
            BlockingKey("dob_family", (s.DATE_OF_BIRTH, f"{s.FAMILY_NAME}:1")),
            BlockingKey("names_year", (s.FAMILY_NAME, s.GIVEN_NAME, BIRTH_YEAR)),
            BlockingKey("family_year_initial", (s.FAMILY_NAME, BIRTH_YEAR, f"{s.GIVEN_NAME}:1")),
            BlockingKey("given_postcode", (s.GIVEN_NAME, s.POSTCODE)),
            BlockingKey("family_postcode", (s.FAMILY_NAME, s.POSTCODE)),
            BlockingKey("national_id", (s.NATIONAL_ID,)),
        ),
    )


@dataclass(frozen=True)
class LinkageSettings:
    """Settings of the linkage step (which sees encodings only).

    Parameters
    ----------
    scoring
        ``fellegi_sunter`` (default: field-level Dice bands, m/u by EM) or ``threshold`` (a
        threshold on the record-level Dice of the CLKs).
    bands
        Lower edges of the similarity bands that make the comparison levels of every field.
    threshold
        Match weight (log2 Bayes factor with the prior) above which a pair is a link; for
        ``threshold`` scoring, the CLK Dice above which a pair is a link.
    u_method
        ``sampling`` (default): EM over the candidate pairs estimates m (with u free, since
        candidate pairs share a blocking key and their non-matches agree more often than
        random pairs), and pairs are scored with u from random pairs and the prior among all
        pairs; ``em``: score with the u and prior of the candidate pairs.
    max_block_size
        Blocks larger than this are skipped (logged), to bound the candidate pairs.
    min_pair_weight
        Meta-blocking: candidate pairs whose weight (the sum, over the keys they share, of
        1 / the other records in the block) is under this are pruned before comparison; 0
        keeps every pair. The default 0.125 keeps a pair that shares one key value with at
        most 8 other records, or two with at most 16. On 1 million synthetic people
        (benchmarks/test_meta_blocking.py) it cut the candidate pairs from 22.9 million to
        8.4 million; recall went from 0.9947 to 0.9943 and F1 from 0.9925 to 0.9941.
    lsh_bands, lsh_bits
        Hamming LSH on the CLK: ``lsh_bands`` groups of ``lsh_bits`` sampled bits (0 = off).
    one_to_one
        Each record links to at most one record of each other agency (use when every source is
        deduplicated, e.g. FEBRL4).
    within_agency
        Compare records of the same agency too (duplicate registrations).
    """

    scoring: Scoring = "fellegi_sunter"
    bands: tuple[float, ...] = (0.95, 0.85, 0.7)
    threshold: float = 0.0
    u_method: Literal["sampling", "em"] = "sampling"
    u_sample_pairs: int = 200_000
    em_iterations: int = 50
    max_block_size: int = 200
    min_pair_weight: float = 0.125
    lsh_bands: int = 0
    lsh_bits: int = 32
    one_to_one: bool = False
    within_agency: bool = True
    seed: int = 42

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.scoring not in _SCORINGS:
            problems.append(f"'scoring' must be one of {sorted(_SCORINGS)}; got {self.scoring!r}")
        if list(self.bands) != sorted(self.bands, reverse=True) or not all(
            0 < b <= 1 for b in self.bands
        ):
            problems.append(f"'bands' must be decreasing values in (0, 1]; got {self.bands}")
        if self.u_method not in ("sampling", "em"):
            problems.append(f"'u_method' must be 'sampling' or 'em'; got {self.u_method!r}")
        if self.max_block_size < 2:
            problems.append(f"'max_block_size' must be >= 2; got {self.max_block_size}")
        if not self.min_pair_weight >= 0:  # NaN too
            problems.append(f"'min_pair_weight' must be >= 0; got {self.min_pair_weight}")
        if problems:
            raise ConfigError("The linkage settings", problems)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON/TOML."""
        out = asdict(self)
        out["bands"] = list(self.bands)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkageSettings:
        """Build from plain data, reporting unknown keys."""
        known = {f.name for f in fields(cls)}
        bad = [k for k in data if k not in known]
        if bad:
            raise ConfigError(
                "The linkage settings", [f"unknown key(s) {bad}; known: {sorted(known)}"]
            )
        data = dict(data)
        if "bands" in data:
            data["bands"] = tuple(data["bands"])
        return cls(**data)


def _read(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(str(path), [f"cannot be read ({error}); check the path"]) from error
    try:
        data: dict[str, Any] = (
            tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
        )
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(str(path), [f"is not valid {path.suffix or 'JSON'}: {error}"]) from error
    return data


def write_schema(schema: EncodingSchema, path: str | Path) -> Path:
    """Write ``schema`` as indented JSON, for review; returns the path."""
    path = Path(path)
    path.write_text(json.dumps(schema.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def read_schema(
    path: str | Path,
    *,
    field_map: Mapping[str, str] | None = None,
    approximate: bool = False,
) -> EncodingSchema:
    """Read an encoding schema from JSON or TOML, or translate a clkhash v3 linkage schema.

    A file with clkhash's ``clkConfig``/``features`` keys is translated by
    :func:`journeys.linkage.clkhash_schema.translate_clkhash_schema`, with ``field_map``
    (clkhash identifier -> identities column) and ``approximate``; those two options are an
    error for a journeys schema.
    """
    from journeys.linkage.clkhash_schema import (  # this module is imported by that one
        is_clkhash_schema,
        translate_clkhash_schema,
    )

    data = _read(path)
    if is_clkhash_schema(data):
        translation = translate_clkhash_schema(
            data, field_map=field_map, approximate=approximate, source=str(path)
        )
        return translation.schema
    if field_map or approximate:
        raise ConfigError(
            str(path),
            [
                "'field_map' and 'approximate' apply to clkhash linkage schemas only, and this "
                "is a journeys encoding schema (no 'clkConfig' or 'features' key)"
            ],
        )
    return EncodingSchema.from_dict(data)


def write_settings(settings: LinkageSettings, path: str | Path) -> Path:
    """Write linkage settings as indented JSON; returns the path."""
    path = Path(path)
    path.write_text(json.dumps(settings.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def read_settings(path: str | Path) -> LinkageSettings:
    """Read linkage settings from JSON or TOML."""
    return LinkageSettings.from_dict(_read(path))
