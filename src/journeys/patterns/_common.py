"""What every detector shares: the occurrence table, input checks, evidence aggregation."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from journeys.exceptions import SchemaError
from journeys.schema import (
    AGENCY,
    END,
    EVENT_ID,
    EVIDENCE,
    PATTERN,
    PERSON_ID,
    SEQ,
    START,
    TIMESTAMP,
)

__all__ = [
    "AGENCIES",
    "OCCURRENCES",
    "Frame",
    "finish",
    "in_journey_order",
    "journeys_frame",
    "summarise_by_agency",
]

Frame = pl.DataFrame | pl.LazyFrame

#: Column of an occurrence: the agencies involved, sorted, without repeats.
AGENCIES = "agencies"
_OCC = "_occurrence"

#: One row per occurrence of a pattern, whatever the detector.
OCCURRENCES = pl.Schema(
    {
        PERSON_ID: pl.Int64(),
        PATTERN: pl.String(),
        AGENCIES: pl.List(pl.String()),
        START: TIMESTAMP,
        END: TIMESTAMP,
        EVIDENCE: pl.List(pl.String()),
    }
)


def journeys_frame(journeys: Frame, required: Sequence[str], owner: str) -> pl.LazyFrame:
    """``journeys`` as a LazyFrame, with a clear error when a needed column is missing."""
    lf = journeys.lazy()
    names = lf.collect_schema().names()
    missing = [c for c in required if c not in names]
    if missing:
        raise SchemaError(
            "journeys",
            [
                f"{owner} needs column '{c}' (found: {', '.join(names) or 'no columns'}); "
                "pass the output of journeys.traces.build_journeys"
                for c in missing
            ],
        )
    if END not in names:
        lf = lf.with_columns(pl.lit(None, TIMESTAMP).alias(END))
    return lf


def in_journey_order(journeys: Frame, lf: pl.LazyFrame) -> pl.LazyFrame:
    """``lf`` (derived row by row from ``journeys``) sorted by ``person_id`` and ``seq``.

    The output of :func:`journeys.traces.build_journeys` is already in that order: a
    collected frame is checked in one vectorised pass and not sorted again, so detectors can
    use ``shift`` on neighbouring events instead of self-joins. Anything else is sorted.
    """
    if isinstance(journeys, pl.DataFrame) and _is_ordered(journeys):
        return lf.with_columns(pl.col(PERSON_ID).set_sorted())
    return lf.sort(PERSON_ID, SEQ, nulls_last=True).with_columns(pl.col(PERSON_ID).set_sorted())


def _is_ordered(frame: pl.DataFrame) -> bool:
    if frame.height < 2:
        return True
    person, seq = pl.col(PERSON_ID).cast(pl.Int64), pl.col(SEQ).cast(pl.Int64)
    step = person.diff().slice(1)
    ordered = frame.select(
        (person.null_count() == 0).alias("a"),
        (seq.null_count() == 0).alias("b"),
        ((step > 0) | ((step == 0) & (seq.diff().slice(1) > 0))).all().alias("c"),
    )
    return bool(all(ordered.row(0)))


def finish(
    evidence: pl.LazyFrame,
    key: str | Sequence[str],
    pattern: str | pl.Expr,
    *,
    keep: Sequence[str] = (),
) -> pl.LazyFrame:
    """Aggregate evidence rows into occurrences.

    ``evidence`` holds one row per evidence event: ``person_id``, the occurrence ``key``
    column(s), ``agency``, ``event_id``, ``start``, ``end`` and ``seq``. ``pattern`` is a name
    or an expression over the key columns; ``keep`` key columns stay after the occurrence
    columns. Evidence ids are in journey order.
    """
    keys = [key] if isinstance(key, str) else list(key)
    pattern_expr = pl.lit(pattern) if isinstance(pattern, str) else pattern
    return (
        evidence.group_by(PERSON_ID, *keys)
        .agg(
            pl.col(AGENCY).unique().sort().alias(AGENCIES),
            pl.col(START).min().alias(START),
            pl.coalesce(END, START).max().alias(END),
            pl.col(EVENT_ID).sort_by(SEQ).alias(EVIDENCE),
        )
        .with_columns(pattern_expr.alias(PATTERN))
        .select(*OCCURRENCES.names(), *keep)
        .cast(OCCURRENCES)
        .sort(PERSON_ID, START, PATTERN)
    )


def summarise_by_agency(occurrences: Frame) -> pl.LazyFrame:
    """Count occurrences and people per pattern and agency involved.

    An occurrence involving two agencies counts once for each of them.

    Examples
    --------
    >>> occ = pl.DataFrame({"person_id": [1, 2], "pattern": ["ping_pong"] * 2,
    ...     "agencies": [["ae", "police"], ["police"]]})
    >>> summarise_by_agency(occ).collect().rows()
    [('ping_pong', 'ae', 1, 1), ('ping_pong', 'police', 2, 2)]
    """
    lf = occurrences.lazy()
    return (
        lf.select(PATTERN, PERSON_ID, AGENCIES)
        .explode(AGENCIES)
        .rename({AGENCIES: AGENCY})
        .group_by(PATTERN, AGENCY)
        .agg(
            pl.len().cast(pl.UInt32).alias("occurrences"),
            pl.col(PERSON_ID).n_unique().cast(pl.UInt32).alias("people"),
        )
        .sort(PATTERN, AGENCY)
    )
