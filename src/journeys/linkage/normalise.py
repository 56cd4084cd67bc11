"""Normalise identifiers before encoding, vectorised in polars.

Unicode folding (NFKD, combining marks dropped), case, punctuation, titles and suffixes,
common given-name variants, UK postcode format, dates of birth from ``pl.Date``. Missing
values become explicit nulls: empty strings, placeholder words and sentinel dates.

Identifiers repeat heavily, so each column is first factorised (a compiled hash table over
the Arrow buffers gives every record the code of its distinct raw value), the polars rules
run on the distinct raw values only, and the normalised values are factorised again: a
record's normalised value is ``values[codes[record]]`` (:class:`CodedColumn`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from journeys import schema as s
from journeys._jit import KERNEL_THREADS
from journeys.exceptions import SchemaError
from journeys.linkage import _kernels as _k
from journeys.linkage.settings import BIRTH_YEAR, EncodingSchema, FieldKind, default_schema
from journeys.nicknames import nickname_map

__all__ = [
    "CodedColumn",
    "NormalisedCodes",
    "normalise_codes",
    "normalise_expr",
    "normalise_identities",
]

_PLACEHOLDERS: Final = (
    "",
    "unknown",
    "unk",
    "n/a",
    "na",
    "none",
    "null",
    "nil",
    "not known",
    "not stated",
    "-",
    "?",
    "x",
    "xx",
    "xxx",
    "nfa",
    "no fixed abode",
)
_TITLES: Final = r"^(?:(?:mr|mrs|ms|miss|mx|dr|prof|rev|sir|dame|lady|lord|fr|sr)\s+)+"
_SUFFIXES: Final = r"(?:\s+(?:jr|jnr|junior|sr|snr|senior|ii|iii|iv|phd|md|obe|mbe))+$"
_UK_POSTCODE: Final = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"
#: A postcode in the normalised form (upper case, one space before the inward code).
_UK_POSTCODE_SPACED: Final = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"
#: Dates that systems use for "unknown".
_SENTINEL_DATES: Final = ("1900-01-01", "1800-01-01", "1901-01-01", "9999-12-31", "1970-01-01")


def _fold(expr: pl.Expr) -> pl.Expr:
    """Unicode-fold to lower-case ASCII letters, digits and single spaces."""
    return (
        expr.cast(pl.String)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"['`\u2019.]", "")
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )


def _missing(expr: pl.Expr, raw: pl.Expr | None = None) -> pl.Expr:
    """Null where ``expr`` (or the lower-cased raw value) is a placeholder for "not known"."""
    test = expr.is_in(_PLACEHOLDERS)
    if raw is not None:
        test = test | raw.cast(pl.String).str.strip_chars().str.to_lowercase().is_in(_PLACEHOLDERS)
    return pl.when(test | expr.is_null()).then(None).otherwise(expr)


def normalise_expr(column: str, kind: FieldKind) -> pl.Expr:
    """The polars expression that normalises ``column`` as ``kind`` (result: String or null).

    Examples
    --------
    >>> df = pl.DataFrame({"given_name": ["  Dr. Bill ", "Zoë-Ann", "N/A"]})
    >>> df.select(normalise_expr("given_name", "given_name"))["given_name"].to_list()
    ['william', 'zoe', None]
    """
    col = pl.col(column)
    if kind == "date":
        iso = col.cast(pl.Date, strict=False).dt.strftime("%Y-%m-%d")
        return (
            pl.when(iso.is_in(_SENTINEL_DATES))
            .then(None)
            .otherwise(iso.str.replace_all("-", ""))
            .alias(column)
        )
    if kind == "sex":
        first = _fold(col).str.slice(0, 1).str.to_uppercase()
        return pl.when(first.is_in(["F", "M", "X"])).then(first).otherwise(None).alias(column)
    if kind == "uk_postcode":
        flat = col.cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
        spaced = flat.str.slice(0, flat.str.len_chars() - 3) + " " + flat.str.slice(-3)
        return pl.when(flat.str.contains(_UK_POSTCODE)).then(spaced).otherwise(None).alias(column)
    if kind == "id":
        flat = _fold(col).str.replace_all(" ", "")
        return _missing(flat, col).alias(column)
    folded = _missing(_fold(col), col)
    if kind in ("name", "given_name"):
        folded = folded.str.replace(_TITLES, "").str.replace(_SUFFIXES, "")
    if kind == "given_name":
        first = folded.str.split(" ").list.first()
        folded = first.replace(nickname_map())
    elif kind == "name":
        folded = folded.str.replace_all(" ", "")
    return _missing(folded).alias(column)


Codes = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CodedColumn:
    """A column as the code of each record (-1 for null) and its distinct non-null values."""

    codes: Codes
    values: pl.Series

    def materialise(self, name: str) -> pl.Series:
        """The column itself: ``values[codes]``, null where the code is -1."""
        n = len(self.codes)
        if self.values.len() == 0:
            return pl.Series(name, [None] * n, dtype=self.values.dtype)
        valid = self.codes >= 0
        full = self.values.gather(np.where(valid, self.codes, 0)).rename(name)
        if bool(valid.all()):
            return full
        return pl.select(pl.when(pl.lit(pl.Series(valid))).then(full))[name]


@dataclass(frozen=True)
class NormalisedCodes:
    """Normalised identities as coded columns (see :func:`normalise_codes`)."""

    agency: pl.Series
    person_ref: pl.Series
    columns: dict[str, CodedColumn]

    @property
    def height(self) -> int:
        """Number of records."""
        return self.agency.len()


def _string_views(
    series: pl.Series,
) -> tuple[
    npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.bool_]
]:
    """The Arrow string views of a String (or Binary) series without copying them: views
    ``(n, 16)``, the data buffers end to end, where each buffer starts, and validity."""
    if series.dtype not in (pl.String, pl.Binary):
        series = series.cast(pl.String)
    valid = series.is_not_null().to_numpy()
    arr = series.rechunk().to_arrow(compat_level=pl.CompatLevel.newest())
    n = len(arr)
    buffers = arr.buffers()
    raw_views = buffers[1] if n else None
    views = (
        np.frombuffer(raw_views, dtype=np.uint8).reshape(-1, 16)[arr.offset : arr.offset + n]
        if raw_views is not None
        else np.zeros((0, 16), dtype=np.uint8)
    )
    data_buffers = [np.frombuffer(b, dtype=np.uint8) for b in buffers[2:] if b is not None]
    sizes = [len(b) for b in data_buffers]
    base = np.zeros(max(len(sizes), 1), dtype=np.int64)
    base[1 : len(sizes)] = np.cumsum(sizes)[:-1]
    data = np.concatenate(data_buffers) if data_buffers else np.zeros(0, dtype=np.uint8)
    return np.ascontiguousarray(views), data, base, valid


def string_bytes(
    series: pl.Series,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """UTF-8 bytes of a String (or Binary) series: int64 offsets, bytes and validity.

    Reads polars' string views through Arrow; nulls are empty.

    Examples
    --------
    >>> offsets, data, valid = string_bytes(pl.Series(["ab", None, "a long string here"]))
    >>> offsets.tolist(), bytes(data[:2]), valid.tolist()
    ([0, 2, 2, 20], b'ab', [True, False, True])
    """
    views, data, base, valid = _string_views(series)
    offsets, out = _k.views_to_offsets(views, data, base, valid)
    return offsets, out, valid


def factorise(series: pl.Series) -> tuple[Codes, Codes]:
    """The code of each value (-1 for null, codes in order of first appearance) and the row of
    each code's first appearance.

    Strings are keyed by their Arrow string views in a compiled table (a string of up to 12
    bytes is its own key, a longer one is compared byte for byte with its code's first
    value); integers, dates and times by their physical value;
    floats by their bits (so ``-0.0`` and ``0.0`` get different codes: callers only rely on
    equal codes meaning equal values).

    Examples
    --------
    >>> codes, first = factorise(pl.Series(["b", "a", None, "b"]))
    >>> codes.tolist(), first.tolist()
    ([0, 1, -1, 0], [0, 1])
    """
    dtype = series.dtype
    if dtype.is_integer() or dtype.is_temporal() or dtype.is_float() or dtype == pl.Boolean:
        valid = series.is_not_null().to_numpy()
        physical = series.to_physical()
        if physical.dtype.is_float():
            ints = physical.cast(pl.Float64).fill_null(0).to_numpy().view(np.int64)
        else:
            ints = physical.cast(pl.Int64, wrap_numerical=True).fill_null(0).to_numpy()
        codes, first = _k.factorise_ints(np.ascontiguousarray(ints, dtype=np.int64), valid)
        return np.asarray(codes), np.asarray(first)
    # a compiled table over the Arrow string views: exact, no hashing of the values by polars
    codes, first = _k.factorise_views(*_string_views(series))
    return np.asarray(codes), np.asarray(first)


def code_column(series: pl.Series) -> CodedColumn:
    """A column as codes and distinct non-null values."""
    codes, first = factorise(series)
    return CodedColumn(codes, series.gather(first))


def _recode(codes: Codes, mapped: Codes) -> Codes:
    """``mapped[codes]``, keeping -1; ``mapped[-1]`` is the code of a null input."""
    return np.asarray(mapped[codes], dtype=np.int64)


#: Values made of ASCII letters and digits only, which the folding rules leave as they are
#: apart from lower-casing (no marks, punctuation, spaces, titles or suffixes to remove).
_PLAIN: Final = r"^[A-Za-z0-9]+$"
_PLAIN_KINDS: Final = frozenset({"id", "text", "name", "given_name"})
#: rows whose distinct values rank the columns by expected work
_SAMPLE: Final = 2_048


def _normalise_plain(values: pl.Series, kind: FieldKind) -> pl.Series:
    """:func:`normalise_expr` for values matching ``_PLAIN`` of a ``_PLAIN_KINDS`` kind.

    For such a value every rule but lower-casing, the placeholder check and (for given
    names) the nickname map is the identity, so only those run.
    """
    lower = values.str.to_lowercase()
    out = pl.select(pl.when(lower.is_in(_PLACEHOLDERS)).then(None).otherwise(lower)).to_series()
    if kind == "given_name":
        mapped = out.replace(nickname_map())
        out = pl.select(
            pl.when(mapped.is_in(_PLACEHOLDERS)).then(None).otherwise(mapped)
        ).to_series()
    return out


def _normalise_distinct(distinct: pl.Series, column: str, kind: FieldKind) -> pl.Series:
    """:func:`normalise_expr` applied to ``distinct`` values: the full rules run only on the
    values that are not plain (letters and digits for names and ids, an already normalised
    postcode for postcodes)."""

    def full(values: pl.Series) -> pl.Series:
        # lazily, so that the optimiser evaluates each shared subexpression once (the
        # expression nests its folded value in several ``when`` branches)
        frame = pl.LazyFrame({"__raw": values}).select(normalise_expr("__raw", kind))
        return frame.collect()["__raw"].rename(column)

    if distinct.dtype != pl.String or (kind not in _PLAIN_KINDS and kind != "uk_postcode"):
        return full(distinct)
    # a null stays null on either path, so it goes with the plain values
    if kind == "uk_postcode":  # a postcode already in the normalised form stays as it is
        plain = distinct.str.contains(_UK_POSTCODE_SPACED).fill_null(value=True).to_numpy()
    else:
        plain = distinct.str.contains(_PLAIN).fill_null(value=True).to_numpy()

    def shortcut(values: pl.Series) -> pl.Series:
        out = values if kind == "uk_postcode" else _normalise_plain(values, kind)
        return out.rename(column)

    if bool(plain.all()):
        return shortcut(distinct)
    if not bool(plain.any()):
        return full(distinct)
    at_plain = np.flatnonzero(plain)
    at_other = np.flatnonzero(~plain)
    parts = pl.concat([shortcut(distinct.gather(at_plain)), full(distinct.gather(at_other))])
    return parts.gather(np.argsort(np.concatenate([at_plain, at_other]), kind="stable"))


def _factorise_normalised(distinct: pl.Series, normalised: pl.Series) -> tuple[Codes, Codes]:
    """:func:`factorise` of the normalised ``distinct`` values: when normalising changed no
    value (it only made some null), the values left are still distinct, so each keeps its
    own code in order."""
    if distinct.dtype == pl.String and normalised.dtype == pl.String:
        same = (normalised == distinct).fill_null(value=True)
        if bool(same.all()):
            valid = normalised.is_not_null().to_numpy()
            codes = np.where(valid, np.cumsum(valid) - 1, -1).astype(np.int64)
            return codes, np.flatnonzero(valid).astype(np.int64)
    return factorise(normalised)


def _normalise_column(raw: pl.Series, column: str, kind: FieldKind) -> CodedColumn:
    """Normalise each distinct raw value once (a null too), then code the results."""
    codes, first = factorise(raw)
    distinct = raw.gather(first).extend_constant(None, 1)  # the last one stands for null
    normalised = _normalise_distinct(distinct, column, kind)
    ncodes, nfirst = _factorise_normalised(distinct, normalised)
    # a raw code of -1 (null) reads ncodes[-1], the normalised null
    return CodedColumn(_recode(codes, ncodes), normalised.gather(nfirst))


def normalise_codes(
    data: pl.DataFrame | pl.LazyFrame, *, schema: EncodingSchema | None = None
) -> NormalisedCodes:
    """Normalise every field of ``schema`` to coded columns (and ``birth_year``).

    The same normalisation as :func:`normalise_identities`, without building the records'
    strings: encoding works on the distinct values and the codes.
    """
    schema = schema or default_schema()
    frame = data.collect() if isinstance(data, pl.LazyFrame) else data
    names = frame.columns
    missing = [f.column for f in schema.fields if f.column not in names]
    missing += [c for c in (s.AGENCY, s.PERSON_REF) if c not in names]
    if missing:
        raise SchemaError(
            "identities",
            [
                f"column '{c}' is missing; the encoding schema needs it (found: {names})"
                for c in missing
            ],
        )
    # columns are independent: two at a time (polars and the numba kernels release the GIL),
    # those with the most distinct values in their first rows (the longest to run) first
    order = sorted(schema.fields, key=lambda f: -frame[f.column].head(_SAMPLE).n_unique())
    with ThreadPoolExecutor(max_workers=KERNEL_THREADS) as pool:
        futures = {
            f.column: pool.submit(_normalise_column, frame[f.column], f.column, f.kind)
            for f in order
        }
        columns = {f.column: futures[f.column].result() for f in schema.fields}
    dates = [f.column for f in schema.fields if f.kind == "date"]
    if dates:
        date = columns[dates[0]]
        years = date.values.str.slice(0, 4)
        ycodes, yfirst = factorise(years)
        columns[BIRTH_YEAR] = CodedColumn(
            _recode(date.codes, np.append(ycodes, -1)), years.gather(yfirst)
        )
    else:
        columns[BIRTH_YEAR] = CodedColumn(
            np.full(frame.height, -1, dtype=np.int64), pl.Series([], dtype=pl.String)
        )
    return NormalisedCodes(
        frame[s.AGENCY].cast(pl.String), frame[s.PERSON_REF].cast(pl.String), columns
    )


def normalise_identities(
    data: pl.DataFrame | pl.LazyFrame, *, schema: EncodingSchema | None = None
) -> pl.LazyFrame:
    """Normalise every field of ``schema`` (default: the canonical identity fields).

    Returns ``agency``, ``person_ref``, one String column per field and ``birth_year``
    (String, from the date of birth when the schema has a ``date`` field).

    Examples
    --------
    >>> import datetime as dt
    >>> ids = pl.DataFrame({"agency": ["gp"], "person_ref": ["1"], "given_name": ["Peggy"],
    ...     "family_name": ["O'Neill"], "date_of_birth": [dt.date(1950, 3, 1)], "sex": ["f"],
    ...     "postcode": ["sw1a1aa"], "national_id": [None]})
    >>> normalise_identities(ids).collect().row(0)
    ('gp', '1', 'margaret', 'oneill', '19500301', 'F', 'SW1A 1AA', None, '1950')
    """
    schema = schema or default_schema()
    coded = normalise_codes(data, schema=schema)
    out = [coded.agency.rename(s.AGENCY), coded.person_ref.rename(s.PERSON_REF)]
    out += [coded.columns[f.column].materialise(f.column) for f in schema.fields]
    out.append(coded.columns[BIRTH_YEAR].materialise(BIRTH_YEAR))
    return pl.DataFrame(out).lazy()
