"""Read a clkhash v3 linkage schema as a journeys encoding schema.

An agency that already encodes with clkhash (Data61's CLK tool) has a *linkage schema*: JSON
with ``"version": 3``, a ``clkConfig`` (CLK length ``l``, key derivation ``kdf``, optional
``xorFolds``) and a list of ``features``, each either ignored or with a ``format`` and a
``hashing`` block. :func:`translate_clkhash_schema` turns that schema into an
:class:`~journeys.linkage.settings.EncodingSchema` that hashes the same tokens with the same
number of bits into a CLK of the same length, so the agency's reviewed choices carry over.
``journeys encode --schema clkhash.json`` (and :func:`~journeys.linkage.read_schema`) detect
such a file by its ``clkConfig``/``features`` keys and translate it.

The encodings are *not* bit-compatible with clkhash's CLKs: journeys derives its own keys from
the shared secret and places bits with its own hash. Every agency in one linkage run must
encode with journeys.

What is honoured, key by key
----------------------------
``clkConfig.l``
    The CLK length (``clk_bits``); it must be a multiple of 64.
``clkConfig.xorFolds``
    ``0``: no hardening; ``1``: ``hardening="xor_fold"`` (``l`` is the length after folding,
    as in clkhash, so ``clk_bits`` is ``2 l``). More folds are not supported.
``clkConfig.kdf``
    Checked (``HKDF`` with ``SHA256``/``SHA512``) but not used: each field's key comes from the
    shared secret by journeys' own HKDF. Its ``salt``, ``info`` and ``keySize`` are reported
    as a note.
``features[i].identifier``
    Names the identities column. An identifier that is (after lower-casing, with spaces and
    punctuation as ``_``) one of journeys' identity fields, or a common synonym of one
    (:data:`IDENTIFIER_SYNONYMS`: ``surname`` is ``family_name``, ``dob`` is
    ``date_of_birth``...), maps to it by name. Any other identifier needs an explicit
    mapping: ``field_map={"rec_postcode": "postcode"}``, or on the command line
    ``journeys encode --schema clkhash.json --clkhash-map rec_postcode=postcode``; an
    explicit mapping may name any column of the identities table. ``"ignored": true``
    features are left out.
``features[i].format``
    ``string``, ``integer``, ``date`` and ``enum`` choose how the column is normalised (the
    journeys field kind: the identity field's own kind, otherwise ``text``, ``id`` for
    integers, ``date`` for dates). The checks clkhash makes on raw values (``case``,
    ``minLength``, ``maxLength``, ``pattern``, ``minimum``, ``maximum``, ``values``, the
    ``strptime`` date format) are not made: journeys normalises values and treats what it
    cannot read as missing. Each such check is reported as a note.
``hashing.comparison``
    ``ngram`` with ``n`` is ``tokeniser="ngram", q=n``; ``ngram`` with ``positional`` and
    ``n`` 1 is ``tokeniser="positional"``; ``exact`` is ``tokeniser="exact"``. Positional
    n-grams with ``n`` > 1 and ``numeric`` comparisons are not supported.
``hashing.strategy``
    ``bitsPerToken`` k is ``clk_k=k`` (and ``k`` of the field-level filter, which clkhash
    does not have: its length is journeys' default for the field, else 512 bits).
    ``bitsPerFeature`` (k depending on each value's length) is not supported; with
    ``approximate=True`` it becomes a fixed k for a typical value of the field's kind.
``hashing.hash``
    ``doubleHash`` is honoured (journeys places the k bits by double hashing of a keyed
    BLAKE2b digest, Kirsch & Mitzenmacher 2006, always with a non-zero step, as clkhash's
    ``prevent_singularity``). ``blakeHash`` (clkhash's default when ``hash`` is absent) is not
    supported; with ``approximate=True`` double hashing is used instead, with a note.
``hashing.missingValue``
    A ``sentinel`` is honoured when journeys' normalisation already reads it as missing (an
    empty string; ``N/A``, ``unknown`` and other placeholders for text; anything that is not a
    sex or a UK postcode for those fields); others are not supported (make them nulls in the
    identities table).
    ``replaceWith`` (hash a stand-in value) is not supported; with ``approximate=True``
    missing values stay missing.

Blocking keys are not part of a clkhash schema: the translation keeps the keys of
:func:`~journeys.linkage.settings.default_schema` whose parts are all among the mapped fields.

Everything that cannot be honoured is reported at once in one
:class:`~journeys.exceptions.ConfigError`, each line naming the feature, the key and what to
do; what is honoured differently is returned (and logged) as notes.

Examples
--------
>>> clk = {"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}},
...        "features": [
...            {"identifier": "rec_id", "ignored": True},
...            {"identifier": "Surname", "format": {"type": "string"},
...             "hashing": {"comparison": {"type": "ngram", "n": 2},
...                         "strategy": {"bitsPerToken": 20}, "hash": {"type": "doubleHash"}}},
...        ]}
>>> out = translate_clkhash_schema(clk)
>>> spec = out.schema.fields[0]
>>> spec.column, spec.kind, spec.tokeniser, spec.q, spec.clk_k, out.ignored
('family_name', 'name', 'ngram', 2, 20, ('rec_id',))
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from journeys import schema as s
from journeys.exceptions import ConfigError
from journeys.linkage.normalise import normalise_expr
from journeys.linkage.settings import (
    BIRTH_YEAR,
    EncodingSchema,
    FieldKind,
    FieldSpec,
    Hardening,
    Tokeniser,
    _read,
    default_schema,
)

__all__ = [
    "IDENTIFIER_SYNONYMS",
    "ClkhashTranslation",
    "is_clkhash_schema",
    "read_clkhash_schema",
    "translate_clkhash_schema",
]

logger = logging.getLogger(__name__)

#: clkhash feature identifiers (normalised: lower case, ``_`` for spaces and punctuation)
#: that name one of journeys' identity fields.
IDENTIFIER_SYNONYMS: Final[Mapping[str, str]] = {
    "first_name": s.GIVEN_NAME,
    "firstname": s.GIVEN_NAME,
    "forename": s.GIVEN_NAME,
    "given_name": s.GIVEN_NAME,
    "givenname": s.GIVEN_NAME,
    "family_name": s.FAMILY_NAME,
    "familyname": s.FAMILY_NAME,
    "last_name": s.FAMILY_NAME,
    "lastname": s.FAMILY_NAME,
    "surname": s.FAMILY_NAME,
    "date_of_birth": s.DATE_OF_BIRTH,
    "dob": s.DATE_OF_BIRTH,
    "birth_date": s.DATE_OF_BIRTH,
    "birthdate": s.DATE_OF_BIRTH,
    "sex": s.SEX,
    "gender": s.SEX,
    "postcode": s.POSTCODE,
    "post_code": s.POSTCODE,
    "postal_code": s.POSTCODE,
    "zip": s.POSTCODE,
    "zipcode": s.POSTCODE,
    "national_id": s.NATIONAL_ID,
    "nhs_number": s.NATIONAL_ID,
}

#: Typical normalised length of a value of each kind, for ``approximate`` bitsPerFeature.
_TYPICAL_LENGTH: Final[Mapping[str, int]] = {
    "given_name": 6,
    "name": 7,
    "text": 8,
    "id": 10,
    "uk_postcode": 8,
    "date": 8,
    "sex": 1,
}
_TOP_KEYS: Final = frozenset({"version", "clkConfig", "features"})
_CLK_KEYS: Final = frozenset({"l", "kdf", "xorFolds"})
_KDF_KEYS: Final = frozenset({"type", "hash", "salt", "info", "keySize"})
_FEATURE_KEYS: Final = frozenset({"identifier", "description", "ignored", "format", "hashing"})
_IGNORED_KEYS: Final = frozenset({"identifier", "description", "ignored"})
_FORMAT_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "string": frozenset(
        {"type", "encoding", "case", "minLength", "maxLength", "pattern", "description"}
    ),
    "integer": frozenset({"type", "minimum", "maximum", "description"}),
    "date": frozenset({"type", "format", "description"}),
    "enum": frozenset({"type", "values", "description"}),
}
#: Format keys that are checks on raw values, which journeys does not make.
_CHECKS: Final = frozenset(
    {"case", "minLength", "maxLength", "pattern", "minimum", "maximum", "values", "format"}
)
_ENCODINGS: Final = frozenset({"ascii", "utf-8", "utf-16", "utf-32"})
_HASHING_KEYS: Final = frozenset({"comparison", "strategy", "hash", "missingValue"})
_DEFAULT_BITS: Final = 512


@dataclass(frozen=True)
class ClkhashTranslation:
    """A clkhash v3 linkage schema read as a journeys encoding schema.

    Attributes
    ----------
    schema
        The encoding schema to encode with.
    columns
        clkhash feature identifier -> identities column, for each feature that is encoded.
    ignored
        Identifiers of the features marked ``"ignored": true``.
    notes
        What is honoured differently from clkhash (each names the feature and the key), for
        the governance review; also logged as warnings.
    """

    schema: EncodingSchema
    columns: dict[str, str]
    ignored: tuple[str, ...]
    notes: tuple[str, ...]


def is_clkhash_schema(data: Mapping[str, Any]) -> bool:
    """True when ``data`` looks like a clkhash linkage schema (not a journeys schema).

    >>> is_clkhash_schema({"version": 3, "clkConfig": {}, "features": []})
    True
    >>> is_clkhash_schema(default_schema().to_dict())
    False
    """
    return "clkConfig" in data or "features" in data


def _key_name(identifier: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", identifier.lower()).strip("_")


def _by_name(identifier: str) -> str | None:
    return IDENTIFIER_SYNONYMS.get(_key_name(identifier))


def _int_at_least(value: object, minimum: int) -> int | None:
    """``value`` when it is an integer >= ``minimum`` (JSON has no separate integer type)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    return None


def _honours_sentinel(sentinel: str, kind: FieldKind) -> bool:
    """True when journeys' normalisation already reads ``sentinel`` as missing.

    Dates reach journeys as dates (a CSV column is parsed as dates), so only an empty
    sentinel, read as null, can stand for a missing date.
    """
    if kind == "date":
        return not sentinel.strip()
    value = pl.DataFrame({"v": [sentinel]}).select(normalise_expr("v", kind))["v"][0]
    return value is None


class _Reader:
    """Collects problems and notes while translating, so all are reported at once."""

    def __init__(self, *, approximate: bool) -> None:
        self.approximate = approximate
        self.problems: list[str] = []
        self.notes: list[str] = []

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def unsupported(self, where: str, text: str, *, fix: str, instead: str) -> None:
        """A problem saying how to ``fix`` it, or with ``approximate`` a note saying what is
        done ``instead``."""
        if self.approximate:
            self.notes.append(f"{where}: {text}; approximated: {instead}")
        else:
            self.problem(where, f"{text}; {fix}, or pass approximate=True ({instead})")

    def clk_config(self, raw: object) -> tuple[int, Hardening]:
        where = "clkConfig"
        if not isinstance(raw, Mapping):
            self.problem(where, "is missing or not an object; give at least 'l' and 'kdf'")
            return 1024, "none"
        for key in sorted(set(raw) - _CLK_KEYS):
            self.problem(f"{where}.{key}", f"is not a clkhash v3 key; known: {sorted(_CLK_KEYS)}")
        length = _int_at_least(raw.get("l"), 64)
        if length is None or length % 64:
            self.problem(
                f"{where}.l",
                f"the CLK length must be a positive multiple of 64 bits; got {raw.get('l')!r} "
                "(use 1024, say)",
            )
            length = 1024
        folds = raw.get("xorFolds", 0)
        hardening: Hardening = "none"
        if folds == 1:
            hardening = "xor_fold"
            length *= 2  # clkhash's l is the length after folding
        elif folds != 0:
            self.problem(
                f"{where}.xorFolds",
                f"journeys folds a filter at most once; got {folds!r} (use 0 or 1)",
            )
        self.kdf(raw.get("kdf"))
        return length, hardening

    def kdf(self, raw: object) -> None:
        where = "clkConfig.kdf"
        if not isinstance(raw, Mapping):
            self.problem(where, 'is missing; clkhash v3 requires {"type": "HKDF"}')
            return
        for key in sorted(set(raw) - _KDF_KEYS):
            self.problem(f"{where}.{key}", f"is not a clkhash v3 key; known: {sorted(_KDF_KEYS)}")
        if raw.get("type") != "HKDF":
            self.problem(f"{where}.type", f"must be 'HKDF' in clkhash v3; got {raw.get('type')!r}")
        if raw.get("hash", "SHA256") not in ("SHA256", "SHA512"):
            self.problem(f"{where}.hash", f"must be 'SHA256' or 'SHA512'; got {raw.get('hash')!r}")
        used = sorted(k for k in ("salt", "info", "keySize") if k in raw)
        self.notes.append(
            f"{where}: journeys derives every field's key from the shared secret with its own "
            f"HKDF{'; ' + ', '.join(used) + ' not used' if used else ''}; the CLKs are not "
            "bit-compatible with clkhash's, so every agency must encode with journeys"
        )

    def format_kind(
        self, where: str, raw: object, column: str, canonical: FieldKind | None
    ) -> FieldKind:
        if not isinstance(raw, Mapping) or "type" not in raw:
            self.problem(f"{where}.format", "is missing or has no 'type'")
            return canonical or "text"
        kind_of = raw["type"]
        if kind_of not in _FORMAT_KEYS:
            self.problem(
                f"{where}.format.type",
                f"{kind_of!r} is not a clkhash v3 format; use one of {sorted(_FORMAT_KEYS)}",
            )
            return canonical or "text"
        for key in sorted(set(raw) - _FORMAT_KEYS[kind_of]):
            self.problem(
                f"{where}.format.{key}",
                f"is not a key of a clkhash '{kind_of}' format; known: "
                f"{sorted(_FORMAT_KEYS[kind_of])}",
            )
        if raw.get("encoding", "utf-8") not in _ENCODINGS:
            self.problem(
                f"{where}.format.encoding",
                f"must be one of {sorted(_ENCODINGS)}; got {raw.get('encoding')!r}",
            )
        if kind_of == "date" and "format" not in raw:
            self.problem(f"{where}.format.format", "a clkhash date format needs a strptime format")
        kind: FieldKind = "text"
        if canonical is not None:
            kind = canonical
        elif kind_of == "date":
            kind = "date"
        elif kind_of == "integer":
            kind = "id"
        if canonical is not None and (kind_of == "date") != (kind == "date"):
            self.notes.append(
                f"{where}.format.type: is {kind_of!r}, but '{column}' is an identity field "
                f"that journeys normalises as {kind!r}"
            )
        checks = sorted(k for k in raw if k in _CHECKS)
        if checks:
            self.notes.append(
                f"{where}.format: {checks} are checks clkhash makes on raw values; journeys "
                f"does not make them, it normalises '{column}' as {kind!r} and treats "
                "unreadable values as missing"
            )
        return kind

    def tokeniser(self, where: str, raw: object) -> tuple[Tokeniser, int]:
        """The tokeniser and q of a comparison (("ngram", 2) where it is refused)."""
        kind_of = raw.get("type") if isinstance(raw, Mapping) else None
        n = _int_at_least(raw.get("n"), 1) if isinstance(raw, Mapping) else None
        if not isinstance(raw, Mapping):
            self.problem(f"{where}.comparison", "is missing; clkhash v3 requires it")
        elif kind_of == "exact":
            return "exact", 1
        elif kind_of == "numeric":
            self.problem(
                f"{where}.comparison.type",
                "'numeric' comparisons are not supported; compare the value as text "
                '({"type": "ngram", "n": 2}) or mark the feature "ignored": true',
            )
        elif kind_of != "ngram":
            self.problem(
                f"{where}.comparison.type",
                f"must be 'ngram', 'exact' or 'numeric'; got {kind_of!r}",
            )
        elif n is None:
            self.problem(f"{where}.comparison.n", f"must be an integer >= 1; got {raw.get('n')!r}")
        if not isinstance(raw, Mapping) or kind_of != "ngram" or n is None:
            return "ngram", 2
        if raw.get("positional", False):
            if n != 1:
                self.problem(
                    f"{where}.comparison.positional",
                    f"positional n-grams with n={n} are not supported (journeys' positional "
                    "tokens are single characters with their position); use n 1 with "
                    "positional, or positional false",
                )
            return "positional", 1
        return "ngram", n

    def bits_per_token(
        self, where: str, raw: object, kind: FieldKind, tokeniser: Tokeniser, q: int
    ) -> int:
        if not isinstance(raw, Mapping) or len(raw) != 1:
            self.problem(
                f"{where}.strategy",
                "must hold exactly one of 'bitsPerToken' or 'bitsPerFeature'",
            )
            return 10
        ((key, raw_value),) = raw.items()
        value = _int_at_least(raw_value, 1)
        if key not in ("bitsPerToken", "bitsPerFeature") or value is None:
            self.problem(
                f"{where}.strategy.{key}",
                "must be 'bitsPerToken' or 'bitsPerFeature' with an integer >= 1; "
                f"got {raw_value!r}",
            )
            return 10
        if key == "bitsPerToken":
            return value
        length = _TYPICAL_LENGTH[kind]
        tokens = 1 if tokeniser == "exact" else length + (q - 1 if tokeniser == "ngram" else 0)
        k = max(1, round(value / tokens))
        self.unsupported(
            f"{where}.strategy.bitsPerFeature",
            "gives each value a number of bits per token that depends on its length, and "
            "journeys uses a fixed number per token",
            fix=f"use bitsPerToken: about {k} spreads {value} bits over a typical {kind!r} "
            f"value of {tokens} tokens",
            instead=f"bitsPerToken {k}",
        )
        return k

    def hash_type(self, where: str, raw: object) -> None:
        raw = {"type": "blakeHash"} if raw is None else raw
        if not isinstance(raw, Mapping):
            self.problem(f"{where}.hash", "must be an object with a 'type'")
            return
        kind_of = raw.get("type")
        extra = sorted(set(raw) - {"type", "prevent_singularity"})
        if extra:
            self.problem(f"{where}.hash", f"unknown key(s) {extra}")
        if kind_of == "doubleHash":
            return
        if kind_of == "blakeHash":
            self.unsupported(
                f"{where}.hash.type",
                "'blakeHash' (clkhash's default when 'hash' is absent) is not supported: "
                "journeys places bits by double hashing of a keyed BLAKE2b digest",
                fix='set "hash": {"type": "doubleHash"} after review',
                instead="double hashing",
            )
            return
        self.problem(f"{where}.hash.type", f"must be 'doubleHash' or 'blakeHash'; got {kind_of!r}")

    def missing_value(self, where: str, raw: object, kind: FieldKind, column: str) -> None:
        if raw is None:
            return
        if not isinstance(raw, Mapping) or not isinstance(raw.get("sentinel"), str):
            self.problem(f"{where}.missingValue", "must be an object with a string 'sentinel'")
            return
        extra = sorted(set(raw) - {"sentinel", "replaceWith"})
        if extra:
            self.problem(f"{where}.missingValue", f"unknown key(s) {extra}")
        sentinel = raw["sentinel"]
        if not _honours_sentinel(sentinel, kind):
            self.problem(
                f"{where}.missingValue.sentinel",
                f"{sentinel!r} would be read as a value of '{column}', not as missing; "
                "turn it into a null in the identities table (e.g. in the adapter mapping) "
                'and set "sentinel": ""',
            )
        if "replaceWith" in raw:
            self.unsupported(
                f"{where}.missingValue.replaceWith",
                "hashing a stand-in for missing values is not supported (every record "
                "missing the value would agree on it)",
                fix="remove 'replaceWith'",
                instead="missing values stay missing",
            )


def _feature_spec(reader: _Reader, where: str, raw: Mapping[str, Any], column: str) -> FieldSpec:
    defaults = {f.column: f for f in default_schema().fields}
    canonical = defaults[column].kind if column in defaults else None
    kind = reader.format_kind(where, raw.get("format"), column, canonical)
    hashing = raw.get("hashing")
    if not isinstance(hashing, Mapping):
        reader.problem(f"{where}.hashing", "is missing; clkhash v3 requires it")
        return FieldSpec(column, kind=kind)
    for key in sorted(set(hashing) - _HASHING_KEYS):
        reader.problem(
            f"{where}.hashing.{key}", f"is not a clkhash v3 key; known: {sorted(_HASHING_KEYS)}"
        )
    tokeniser, q = reader.tokeniser(where + ".hashing", hashing.get("comparison"))
    k = reader.bits_per_token(where + ".hashing", hashing.get("strategy"), kind, tokeniser, q)
    reader.hash_type(where + ".hashing", hashing.get("hash"))
    reader.missing_value(where + ".hashing", hashing.get("missingValue"), kind, column)
    bits = defaults[column].bits if column in defaults else _DEFAULT_BITS
    return FieldSpec(column, kind=kind, tokeniser=tokeniser, q=q, bits=bits, k=k, clk_k=k)


def translate_clkhash_schema(
    data: Mapping[str, Any],
    *,
    field_map: Mapping[str, str] | None = None,
    approximate: bool = False,
    source: str = "The clkhash schema",
) -> ClkhashTranslation:
    """Translate a clkhash v3 linkage schema into a journeys encoding schema.

    Parameters
    ----------
    data
        The parsed JSON of the clkhash schema.
    field_map
        clkhash feature identifier -> identities column, for identifiers that do not name a
        journeys identity field (see :data:`IDENTIFIER_SYNONYMS`); overrides the name match.
    approximate
        Accept the closest journeys equivalent of ``bitsPerFeature``, ``blakeHash`` and
        ``missingValue.replaceWith`` (each reported in ``notes``) instead of refusing them.
    source
        Where the schema came from (a file name), for the messages.

    Raises
    ------
    ConfigError
        Listing every part of the schema that cannot be honoured, each with the feature,
        the key and what to do.
    """
    reader = _Reader(approximate=approximate)
    field_map = dict(field_map or {})
    version = data.get("version")
    if version != 3:
        reader.problem(
            "version",
            f"is {version!r}; journeys reads clkhash linkage schemas of version 3 (upgrade "
            "the schema to version 3 first)",
        )
    for key in sorted(set(data) - _TOP_KEYS):
        reader.notes.append(f"{key}: not a clkhash v3 key; ignored")
    clk_bits, hardening = reader.clk_config(data.get("clkConfig"))
    features = data.get("features")
    if not isinstance(features, list) or not features:
        reader.problem("features", "must be a non-empty list of features")
        features = []
    specs: list[FieldSpec] = []
    columns: dict[str, str] = {}
    ignored: list[str] = []
    used: dict[str, str] = {}
    seen: set[str] = set()
    for i, raw in enumerate(features):
        ident = raw.get("identifier") if isinstance(raw, Mapping) else None
        where = f"features[{i}]"
        if not isinstance(ident, str):
            reader.problem(where, "needs a string 'identifier'")
            continue
        where = f"features[{i}] ('{ident}')"
        if ident in seen:
            reader.problem(where, "the identifier appears more than once")
        seen.add(ident)
        if raw.get("ignored") is True:
            for key in sorted(set(raw) - _IGNORED_KEYS):
                reader.problem(f"{where}.{key}", "an ignored feature has no other keys")
            if ident in field_map:
                reader.problem(
                    where, "is ignored in the schema but named in field_map; drop one of them"
                )
            ignored.append(ident)
            continue
        for key in sorted(set(raw) - _FEATURE_KEYS):
            reader.problem(
                f"{where}.{key}", f"is not a clkhash v3 key; known: {sorted(_FEATURE_KEYS)}"
            )
        column = field_map.get(ident) or _by_name(ident)
        if column is None:
            reader.problem(
                where,
                f"no journeys identity field is named '{ident}'; map it to a column of the "
                f"identities table with field_map={{'{ident}': '<column>'}} (journeys encode: "
                f"--clkhash-map '{ident}=<column>') or mark it \"ignored\": true",
            )
            continue
        if column in used:
            reader.problem(
                where,
                f"maps to '{column}' like feature '{used[column]}'; map one of them to "
                "another column",
            )
            continue
        used[column] = ident
        columns[ident] = column
        specs.append(_feature_spec(reader, where, raw, column))
    for ident in sorted(set(field_map) - seen):
        reader.problem(
            f"field_map['{ident}']",
            f"names no feature of the schema; identifiers are {sorted(seen)}",
        )
    if reader.problems:
        raise ConfigError(source, reader.problems)
    mapped = set(columns.values()) | (
        {BIRTH_YEAR} if any(f.kind == "date" for f in specs) else set()
    )
    blocking = tuple(
        b for b in default_schema().blocking if all(p.split(":")[0] in mapped for p in b.parts)
    )
    reader.notes.append(
        f"blocking: clkhash schemas have no blocking keys; kept journeys' default keys "
        f"{[b.name for b in blocking]} over the mapped fields"
        + ("" if blocking else " (none apply: link with lsh_bands > 0)")
    )
    schema = EncodingSchema(
        fields=tuple(specs), clk_bits=clk_bits, hardening=hardening, blocking=blocking
    )
    for note in reader.notes:
        logger.warning("%s: %s", source, note)
    return ClkhashTranslation(schema, columns, tuple(ignored), tuple(reader.notes))


def read_clkhash_schema(
    path: str | Path,
    *,
    field_map: Mapping[str, str] | None = None,
    approximate: bool = False,
) -> ClkhashTranslation:
    """Read a clkhash v3 linkage schema file (JSON) and translate it; see
    :func:`translate_clkhash_schema`."""
    return translate_clkhash_schema(
        _read(path), field_map=field_map, approximate=approximate, source=str(path)
    )
