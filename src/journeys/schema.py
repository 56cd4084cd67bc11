"""Canonical tables: column names, polars schemas and validation, in one place.

Every stage reads and writes these tables. Column names are module constants so that no
other module spells them as string literals of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal, get_args

import polars as pl

from journeys.exceptions import SchemaError

__all__ = [
    "ACTIVITY",
    "AGENCY",
    "CROSSWALK",
    "DATE_OF_BIRTH",
    "ENCODINGS",
    "END",
    "EVENTS",
    "EVENT_ID",
    "FAMILY_NAME",
    "GIVEN_NAME",
    "IDENTIFIER_COLUMNS",
    "IDENTITIES",
    "JOURNEYS",
    "MATCH_WEIGHT",
    "NATIONAL_ID",
    "OUTCOME",
    "PERSON_ID",
    "PERSON_REF",
    "PLANTED",
    "POSTCODE",
    "QUARANTINE",
    "RESOURCE",
    "SERVICE",
    "SERVICES",
    "SEX",
    "START",
    "TIMESTAMP",
    "TRUE_PERSON_ID",
    "TRUTH",
    "Service",
    "empty",
    "validate_crosswalk",
    "validate_encodings",
    "validate_events",
    "validate_identities",
    "validate_journeys",
]

# --- column names --------------------------------------------------------------------------
AGENCY: Final = "agency"
PERSON_REF: Final = "person_ref"
GIVEN_NAME: Final = "given_name"
FAMILY_NAME: Final = "family_name"
DATE_OF_BIRTH: Final = "date_of_birth"
SEX: Final = "sex"
POSTCODE: Final = "postcode"
NATIONAL_ID: Final = "national_id"
EVENT_ID: Final = "event_id"
ACTIVITY: Final = "activity"
SERVICE: Final = "service"
START: Final = "start"
END: Final = "end"
RESOURCE: Final = "resource"
OUTCOME: Final = "outcome"
PERSON_ID: Final = "person_id"
MATCH_WEIGHT: Final = "match_weight"
TRUE_PERSON_ID: Final = "true_person_id"
CLK: Final = "clk"
SEQ: Final = "seq"
PREV_AGENCY: Final = "prev_agency"
HANDOFF: Final = "handoff"
WAIT: Final = "wait"
EPISODE: Final = "episode"
PATTERN: Final = "pattern"
EVIDENCE: Final = "event_ids"
SOURCE: Final = "source"
ROW: Final = "row"
COLUMN: Final = "column"
REASON: Final = "reason"
VALUE: Final = "value"

#: Columns that identify a person. They exist only between an adapter and ``encode``.
IDENTIFIER_COLUMNS: Final = (GIVEN_NAME, FAMILY_NAME, DATE_OF_BIRTH, POSTCODE, NATIONAL_ID)

TIMESTAMP: Final = pl.Datetime("us", "UTC")
#: Values of ``sex``: female, male, indeterminate/other (null when not recorded).
SEXES: Final = ("F", "M", "X")

#: The controlled vocabulary of ``service`` categories.
Service = Literal[
    "emergency_care",
    "inpatient",
    "ambulance",
    "primary_care",
    "social_care",
    "mental_health",
    "police",
    "custody",
    "probation",
    "housing",
    "voluntary",
    "other",
]
SERVICES: Final[tuple[str, ...]] = get_args(Service)

# --- schemas -------------------------------------------------------------------------------
IDENTITIES: Final = pl.Schema(
    {
        AGENCY: pl.String(),
        PERSON_REF: pl.String(),
        GIVEN_NAME: pl.String(),
        FAMILY_NAME: pl.String(),
        DATE_OF_BIRTH: pl.Date(),
        SEX: pl.String(),
        POSTCODE: pl.String(),
        NATIONAL_ID: pl.String(),
    }
)
EVENTS: Final = pl.Schema(
    {
        AGENCY: pl.String(),
        PERSON_REF: pl.String(),
        EVENT_ID: pl.String(),
        ACTIVITY: pl.String(),
        SERVICE: pl.String(),
        START: TIMESTAMP,
        END: TIMESTAMP,
        RESOURCE: pl.String(),
        OUTCOME: pl.String(),
    }
)
#: Encodings: the record-level filter ``clk``, one ``bf_<field>`` Binary filter per field and one
#: ``bk_<key>`` UInt64 keyed blocking token per blocking key (see :mod:`journeys.linkage`).
ENCODINGS: Final = pl.Schema({AGENCY: pl.String(), PERSON_REF: pl.String(), CLK: pl.Binary()})
CROSSWALK: Final = pl.Schema(
    {
        AGENCY: pl.String(),
        PERSON_REF: pl.String(),
        PERSON_ID: pl.Int64(),
        MATCH_WEIGHT: pl.Float64(),
    }
)
JOURNEYS: Final = pl.Schema(
    {
        PERSON_ID: pl.Int64(),
        SEQ: pl.UInt32(),
        **EVENTS,
        PREV_AGENCY: pl.String(),
        HANDOFF: pl.Boolean(),
        WAIT: pl.Duration("us"),
        EPISODE: pl.UInt32(),
    }
)
TRUTH: Final = pl.Schema({AGENCY: pl.String(), PERSON_REF: pl.String(), TRUE_PERSON_ID: pl.Int64()})
PLANTED: Final = pl.Schema(
    {TRUE_PERSON_ID: pl.Int64(), PATTERN: pl.String(), EVIDENCE: pl.List(pl.String())}
)
QUARANTINE: Final = pl.Schema(
    {
        SOURCE: pl.String(),
        ROW: pl.Int64(),
        COLUMN: pl.String(),
        REASON: pl.String(),
        VALUE: pl.String(),
    }
)

_REQUIRED: Final[Mapping[str, tuple[str, ...]]] = {
    "identities": (AGENCY, PERSON_REF),
    "events": (AGENCY, PERSON_REF, EVENT_ID, ACTIVITY, SERVICE, START),
    "encodings": (AGENCY, PERSON_REF, CLK),
    "crosswalk": (AGENCY, PERSON_REF, PERSON_ID),
    "journeys": (PERSON_ID, SEQ, AGENCY, EVENT_ID, ACTIVITY, START),
}
_OPTIONAL: Final[Mapping[str, frozenset[str]]] = {
    "identities": frozenset({NATIONAL_ID}),
    "events": frozenset({RESOURCE, OUTCOME, END}),
    "encodings": frozenset(),
    "crosswalk": frozenset({MATCH_WEIGHT}),
    "journeys": frozenset({RESOURCE, OUTCOME, END}),
}
_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "identities": (AGENCY, PERSON_REF),
    "events": (EVENT_ID,),
    "encodings": (AGENCY, PERSON_REF),
    "crosswalk": (AGENCY, PERSON_REF),
    "journeys": (EVENT_ID,),
}

Frame = pl.DataFrame | pl.LazyFrame


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame with ``schema``: the canonical way to say "no rows".

    Examples
    --------
    >>> empty(CROSSWALK).columns
    ['agency', 'person_ref', 'person_id', 'match_weight']
    """
    return pl.DataFrame(schema=schema)


def _check_columns(table: str, actual: pl.Schema, expected: pl.Schema, problems: list[str]) -> None:
    optional = _OPTIONAL[table]
    for name, dtype in expected.items():
        if name not in actual:
            if name not in optional:
                problems.append(
                    f"column '{name}' is missing; add it as {dtype} "
                    f"(found: {', '.join(actual.names()) or 'no columns'})"
                )
            continue
        got = actual[name]
        if got not in (dtype, pl.Null):
            problems.append(f"column '{name}' has type {got}; expected {dtype}")


def _check_values(table: str, df: pl.DataFrame, problems: list[str]) -> None:
    for name in _REQUIRED[table]:
        if name in df.columns:
            nulls = df.get_column(name).null_count()
            if nulls:
                problems.append(f"column '{name}' has {nulls} null value(s); it is required")
    keys = [k for k in _KEYS[table] if k in df.columns]
    if keys and len(keys) == len(_KEYS[table]) and df.height:
        dupes = df.height - df.select(keys).n_unique()
        if dupes:
            problems.append(f"{dupes} duplicate row(s) on the key ({', '.join(keys)})")


def _validate(table: str, data: Frame, expected: pl.Schema, extra: Iterable[str] = ()) -> None:
    frame = data.collect() if isinstance(data, pl.LazyFrame) else data
    problems: list[str] = []
    _check_columns(table, frame.schema, expected, problems)
    _check_values(table, frame, problems)
    problems.extend(extra)
    if table in {"events", "journeys"}:
        problems.extend(_event_problems(frame))
    if problems:
        raise SchemaError(table, problems)


def _event_problems(df: pl.DataFrame) -> list[str]:
    problems: list[str] = []
    if SERVICE in df.columns and df.schema[SERVICE] == pl.String:
        unknown = (
            df.filter(pl.col(SERVICE).is_not_null() & ~pl.col(SERVICE).is_in(SERVICES))
            .get_column(SERVICE)
            .unique()
            .sort()
            .to_list()
        )
        if unknown:
            problems.append(
                f"column 'service' has value(s) outside the vocabulary: {unknown[:5]}; "
                f"use one of {', '.join(SERVICES)}"
            )
    if {START, END} <= set(df.columns) and df.schema[START] == df.schema[END] == TIMESTAMP:
        bad = df.filter(pl.col(END) < pl.col(START)).height
        if bad:
            problems.append(f"{bad} event(s) end before they start; swap or clear 'end'")
    return problems


def validate_identities(data: Frame) -> None:
    """Check an identities table; raise :class:`SchemaError` listing every problem.

    Examples
    --------
    >>> validate_identities(empty(IDENTITIES))
    """
    extra: list[str] = []
    frame = data.collect() if isinstance(data, pl.LazyFrame) else data
    if frame.schema.get(SEX) == pl.String:
        bad = frame.filter(pl.col(SEX).is_not_null() & ~pl.col(SEX).is_in(SEXES)).height
        if bad:
            extra.append(f"column 'sex' has {bad} value(s) other than F, M, X or null")
    data = frame
    _validate("identities", data, IDENTITIES, extra)


def validate_events(data: Frame) -> None:
    """Check an events table; raise :class:`SchemaError` listing every problem.

    Examples
    --------
    >>> validate_events(empty(EVENTS))
    """
    _validate("events", data, EVENTS)


def validate_encodings(data: Frame) -> None:
    """Check an encodings table; every ``bf_*`` column must be Binary, and no identifier."""
    names = _names(data)
    extra = [
        f"column '{n}' is an identifier and must not be in encodings; drop it"
        for n in IDENTIFIER_COLUMNS
        if n in names
    ]
    schema = data.collect_schema() if isinstance(data, pl.LazyFrame) else data.schema
    extra += [
        f"column '{n}' has type {schema[n]}; expected Binary"
        for n in names
        if n.startswith("bf_") and schema[n] != pl.Binary
    ]
    _validate("encodings", data, ENCODINGS, extra)


def validate_crosswalk(data: Frame) -> None:
    """Check a crosswalk table; raise :class:`SchemaError` listing every problem."""
    _validate("crosswalk", data, CROSSWALK)


def validate_journeys(data: Frame) -> None:
    """Check a journeys table; raise :class:`SchemaError` listing every problem."""
    _validate("journeys", data, JOURNEYS)


def _names(data: Frame) -> list[str]:
    return data.collect_schema().names() if isinstance(data, pl.LazyFrame) else data.columns
