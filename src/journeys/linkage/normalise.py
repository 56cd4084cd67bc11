"""Normalise identifiers before encoding, vectorised in polars.

Unicode folding (NFKD, combining marks dropped), case, punctuation, titles and suffixes,
common given-name variants, UK postcode format, dates of birth from ``pl.Date``. Missing
values become explicit nulls: empty strings, placeholder words and sentinel dates.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from journeys import schema as s
from journeys.exceptions import SchemaError
from journeys.linkage.settings import BIRTH_YEAR, EncodingSchema, FieldKind, default_schema
from journeys.nicknames import nickname_map

__all__ = ["normalise_expr", "normalise_identities"]

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
    frame = (data.collect() if isinstance(data, pl.LazyFrame) else data).lazy()
    names = frame.collect_schema().names()
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
    out = frame.select(
        pl.col(s.AGENCY).cast(pl.String),
        pl.col(s.PERSON_REF).cast(pl.String),
        *[pl.col(f.column) for f in schema.fields],
    )
    # identifiers repeat heavily: normalise each distinct raw value once, then join back
    for f in schema.fields:
        raw = "__raw"
        mapping = (
            frame.select(pl.col(f.column).unique().alias(raw))
            .with_columns(normalise_expr(raw, f.kind).alias(f.column))
            .collect()
            .lazy()
        )
        out = (
            out.rename({f.column: raw})
            .join(mapping, on=raw, how="left", nulls_equal=True, maintain_order="left")
            .drop(raw)
        )
    out = out.select(s.AGENCY, s.PERSON_REF, *[f.column for f in schema.fields])
    dates = [f.column for f in schema.fields if f.kind == "date"]
    year = pl.col(dates[0]).str.slice(0, 4) if dates else pl.lit(None, pl.String)
    return out.with_columns(year.alias(BIRTH_YEAR))
