"""Shared frame handling for mining: column resolution, validation and event ordering."""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

import polars as pl

from journeys import schema
from journeys.exceptions import DataError

__all__ = [
    "Columns",
    "Frame",
    "WindowMode",
    "as_lazy",
    "filter_events",
    "order_events",
    "resolve_columns",
    "trace_lists",
]

logger = logging.getLogger(__name__)

Frame = pl.DataFrame | pl.LazyFrame
#: How a time window selects events: only the events inside it, or whole cases touching it.
WindowMode = Literal["events", "cases"]

#: Internal column names used while ordering; chosen not to clash with canonical ones.
CASE: Final = "__case"
INDEX: Final = "__index"
ACT: Final = "__activity"
TS: Final = "__timestamp"


@dataclass(frozen=True)
class Columns:
    """The case, activity and timestamp columns of an event frame."""

    case: str
    activity: str
    timestamp: str


def as_lazy(data: Frame) -> pl.LazyFrame:
    """``data`` as a LazyFrame (no copy for a DataFrame)."""
    return data.lazy() if isinstance(data, pl.DataFrame) else data


def _missing(name: str, parameter: str, names: list[str], function: str) -> DataError:
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" Did you mean: '{close[0]}'?" if close else ""
    return DataError(
        f"The '{parameter}' parameter of {function} names column '{name}', which is not in the "
        f"frame (columns: {', '.join(names)}).{hint}"
    )


def resolve_columns(
    data: Frame,
    *,
    case: str | None,
    activity: str,
    timestamp: str,
    function: str,
) -> Columns:
    """Check the columns exist; default ``case`` to person_id, else person_ref."""
    names = data.collect_schema().names() if isinstance(data, pl.LazyFrame) else data.columns
    if case is None:
        if schema.PERSON_ID in names:
            case = schema.PERSON_ID
        elif schema.PERSON_REF in names:
            case = schema.PERSON_REF
        else:
            raise DataError(
                f"{function} needs a case column: the frame has neither '{schema.PERSON_ID}' nor "
                f"'{schema.PERSON_REF}' (columns: {', '.join(names)}). Pass case='<column>'."
            )
    for parameter, name in (("case", case), ("activity", activity), ("timestamp", timestamp)):
        if name not in names:
            raise _missing(name, parameter, names, function)
    return Columns(case, activity, timestamp)


def order_events(data: Frame, columns: Columns) -> pl.LazyFrame:
    """Events as ``(__case, __activity, __timestamp)``, each case contiguous, in time order.

    Rows with a null case, activity or timestamp are dropped (pm4py's ``format_dataframe``
    drops them too). Events of a case with equal timestamps keep their input order: the sort is
    stable, which is pm4py's tie rule (it sorts by case, timestamp and the original row index).
    """
    lf = as_lazy(data).select(
        pl.col(columns.case).alias(CASE),
        pl.col(columns.activity).alias(ACT),
        pl.col(columns.timestamp).alias(TS),
    )
    return lf.drop_nulls().sort([CASE, TS], maintain_order=True)


def trace_lists(data: Frame, columns: Columns) -> pl.LazyFrame:
    """One row per case: ``__index`` (0, 1, ...), ``__case``, and the case's ``__activity`` and
    ``__timestamp`` lists in time order.

    Same ordering rule as :func:`order_events` (stable: equal timestamps keep the input order),
    but grouping by hash and sorting within each case is much faster than sorting the whole log
    by a text case id.
    """
    lf = as_lazy(data).select(
        pl.col(columns.case).alias(CASE),
        pl.col(columns.activity).alias(ACT),
        pl.col(columns.timestamp).alias(TS),
    )
    return (
        lf.drop_nulls()
        .group_by(CASE)
        .agg(pl.col(ACT).sort_by(TS, maintain_order=True), pl.col(TS).sort())
        .with_row_index(INDEX)
    )


def _as_datetime(value: datetime | date | str, parameter: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(value)
    except ValueError as error:
        raise DataError(
            f"The '{parameter}' parameter must be a datetime, a date or an ISO 8601 string like "
            f"'2024-03-01'. Got {value!r}."
        ) from error


def _bound(value: datetime | date | str, parameter: str, dtype: pl.DataType) -> pl.Expr:
    moment = _as_datetime(value, parameter)
    zone = getattr(dtype, "time_zone", None)
    literal = pl.lit(moment.replace(tzinfo=None) if moment.tzinfo is None else moment)
    if zone is not None and moment.tzinfo is None:
        return literal.dt.replace_time_zone(zone)
    if zone is None and moment.tzinfo is not None:
        return literal.dt.replace_time_zone(None)
    return literal


def filter_events(
    data: Frame,
    columns: Columns,
    *,
    activities: list[str] | None = None,
    agencies: list[str] | None = None,
    agency: str = schema.AGENCY,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    window: WindowMode = "events",
) -> pl.LazyFrame:
    """Keep the events of the listed activities/agencies inside ``[since, until)``.

    With ``window="cases"`` the time window keeps every event of a case that has at least one
    event inside the window (pm4py's "intersecting" mode); with ``"events"`` only the events
    inside it.
    """
    lf = as_lazy(data)
    names = lf.collect_schema()
    if activities is not None:
        lf = lf.filter(pl.col(columns.activity).is_in(list(activities)))
    if agencies is not None:
        if agency not in names:
            raise _missing(agency, "agency", names.names(), "the agency filter")
        lf = lf.filter(pl.col(agency).is_in(list(agencies)))
    if since is None and until is None:
        return lf
    dtype = names[columns.timestamp]
    inside = pl.lit(value=True)
    if since is not None:
        inside = inside & (pl.col(columns.timestamp) >= _bound(since, "since", dtype))
    if until is not None:
        inside = inside & (pl.col(columns.timestamp) < _bound(until, "until", dtype))
    if window == "events":
        return lf.filter(inside)
    if window == "cases":
        return lf.filter(inside.any().over(columns.case))
    raise DataError(f"The 'window' parameter must be 'events' or 'cases'. Got {window!r}.")
