"""Shared frame handling for mining: column resolution, validation and event ordering."""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from journeys import schema
from journeys.exceptions import DataError
from journeys.mining._kernels import count_activities, dense_codes, order_cases

__all__ = [
    "CaseLog",
    "Columns",
    "Frame",
    "WindowMode",
    "as_lazy",
    "case_log",
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


@dataclass(frozen=True)
class CaseLog:
    """The events as integer arrays, case after case, in time order inside a case.

    Attributes
    ----------
    activities
        The distinct activities; an activity's code is its position here.
    codes
        The activity code of every event (``uint32``).
    offsets
        Case ``c``'s events are ``codes[offsets[c]:offsets[c + 1]]`` (``int64``, one more than
        the number of cases).
    cases
        The case value of each case.
    times
        The physical timestamps (``int64``) in the order of ``codes``.
    time_dtype
        The polars type of the timestamps.
    """

    activities: pl.Series
    codes: npt.NDArray[np.uint32]
    offsets: npt.NDArray[np.int64]
    cases: pl.Series
    times: npt.NDArray[np.int64]
    time_dtype: pl.DataType

    @cached_property
    def activity_counts(
        self,
    ) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
    ]:
        """Per activity code: events, cases, cases starting with it, cases ending with it
        (one pass, kept for every map of this log)."""
        return count_activities(self.codes, self.offsets, self.activities.len())

    def subset(self, keep: npt.NDArray[np.bool_]) -> CaseLog:
        """The log of the cases where ``keep`` is true (same activity codes)."""
        lengths = np.diff(self.offsets)[keep]
        starts = self.offsets[:-1][keep]
        offsets = np.zeros(lengths.size + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        rows = np.arange(int(offsets[-1]), dtype=np.int64) + np.repeat(
            starts - offsets[:-1], lengths
        )
        return CaseLog(
            activities=self.activities,
            codes=self.codes[rows],
            offsets=offsets,
            cases=self.cases.filter(pl.Series(keep)),
            times=self.times[rows],
            time_dtype=self.time_dtype,
        )


def _codable(dtype: pl.DataType) -> bool:
    """Whether equal values always hash equally (not so for floats: 0.0 and -0.0)."""
    return not (dtype.is_float() or dtype.is_nested() or dtype == pl.Object)


def _dense(
    values: pl.Series, *, maybe_distinct: bool = False
) -> tuple[npt.NDArray[np.uint32], pl.Series] | None:
    """Dense codes of ``values`` (order of first appearance) and the distinct values; None if
    two distinct values share a 64-bit hash (then the caller takes the exact slow path).

    With ``maybe_distinct``, first check whether all hashes differ (then so do the values).
    """
    hashes = values.hash()
    if maybe_distinct and hashes.n_unique() == values.len():
        return np.arange(values.len(), dtype=np.uint32), values
    codes, first = dense_codes(hashes.to_numpy())
    distinct = values.gather(pl.Series(first))
    if not (distinct.gather(pl.Series(codes)) == values).all():
        logger.debug("hash collision among %d values: falling back to grouping", values.len())
        return None
    return codes, distinct


def case_log(data: Frame, columns: Columns) -> CaseLog | None:
    """The events as a :class:`CaseLog` (same ordering rule as :func:`trace_lists`).

    Rows with a null case, activity or timestamp are dropped. Activities and cases get dense
    codes from a hash table in compiled code (collisions are detected, not merged); events are
    counting-sorted by case and stably sorted by timestamp inside each case, which costs one
    linear pass when the log is already in case and time order. Returns None when the columns
    do not suit the codes (float case or activity values, timestamps that are not dates, times
    or integers) or on a hash collision: use :func:`trace_lists` then.

    Examples
    --------
    >>> ev = pl.DataFrame({"person_id": [7, 3, 7, 3], "activity": ["b", "a", "a", "c"],
    ...     "start": [2, 1, 1, 1]})
    >>> log = case_log(ev, Columns("person_id", "activity", "start"))
    >>> log.activities.to_list(), log.codes.tolist(), log.offsets.tolist(), log.cases.to_list()
    (['b', 'a', 'c'], [1, 0, 1, 2], [0, 2, 4], [7, 3])
    """
    frame = (
        as_lazy(data)
        .select(
            pl.col(columns.case).alias(CASE),
            pl.col(columns.activity).alias(ACT),
            pl.col(columns.timestamp).alias(TS),
        )
        .drop_nulls()
        .collect()
    )
    schema_ = frame.schema
    time_dtype = schema_[TS]
    if not (
        _codable(schema_[CASE])
        and _codable(schema_[ACT])
        and (time_dtype.is_temporal() or time_dtype.is_integer())
    ):
        return None
    activity = _dense(frame.get_column(ACT))
    if activity is None:
        return None
    codes, activities = activity
    case = frame.get_column(CASE)
    run_starts = np.flatnonzero(case.ne_missing(case.shift(1)).to_numpy())
    run_values = case.gather(pl.Series(run_starts))
    # few runs: probably a log in case order, each case one run
    runs = _dense(run_values, maybe_distinct=2 * run_values.len() <= frame.height)
    if runs is None:
        return None
    run_case, cases = runs
    times = frame.get_column(TS).to_physical().cast(pl.Int64).to_numpy()
    bounds = np.append(run_starts.astype(np.int64), frame.height)
    ordered_codes, ordered_times, offsets, same = order_cases(
        bounds, run_case, cases.len(), times, codes
    )
    if not same:
        codes, times = ordered_codes, ordered_times
    return CaseLog(activities, codes, offsets, cases, times, time_dtype)


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
