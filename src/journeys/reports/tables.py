"""Build the report's input tables from the outputs of the other stages.

Small aggregations that turn journeys, a process map and a quarantine table into the
contracts of the figure builders (see :mod:`journeys.reports.columns`). Nothing here imports
pm4py: a process map is read through its attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal, Protocol

import polars as pl

from journeys.exceptions import DataError
from journeys.reports._checks import require_columns
from journeys.reports.columns import (
    DEVIATION,
    DURATION_HOURS,
    FREQUENCY,
    FROM_ACTIVITY,
    PEOPLE,
    PROCESS_HOURS,
    ROWS_FILTERED,
    ROWS_LOADED,
    ROWS_QUARANTINED,
    ROWS_READ,
    TO_ACTIVITY,
    WAIT_HOURS,
)
from journeys.schema import (
    ACTIVITY,
    AGENCY,
    END,
    EVENT_ID,
    EVIDENCE,
    HANDOFF,
    PATTERN,
    PERSON_ID,
    PREV_AGENCY,
    REASON,
    SERVICE,
    SOURCE,
    START,
    WAIT,
)

__all__ = [
    "AffectedBy",
    "ProcessMapLike",
    "build_handoffs",
    "build_value_stream",
    "deviation_table",
    "loop_example_rows",
    "process_map_tables",
    "row_accounting_table",
    "select_journeys",
    "summarise_quarantine",
]

AffectedBy = Literal["agencies", "events", "handoffs", "admissions"]

_US_PER_HOUR: Final = 3_600_000_000
_SECONDS_PER_HOUR: Final = 3600.0


class ProcessMapLike(Protocol):
    """What :func:`process_map_tables` reads (``journeys.mining.ProcessMap`` has it)."""

    @property
    def activities(self) -> pl.DataFrame: ...  # activity, events, cases, agency
    @property
    def edges(self) -> pl.DataFrame: ...  # source, target, events, cases, median (seconds)
    @property
    def start(self) -> pl.DataFrame: ...  # activity, cases
    @property
    def end(self) -> pl.DataFrame: ...  # activity, cases


def _frame(data: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    return data.collect() if isinstance(data, pl.LazyFrame) else data


def process_map_tables(process_map: ProcessMapLike) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Edges and nodes for :func:`~journeys.reports.plot_process_map` from a mined process map.

    Edge ``frequency`` is the number of directly-follows occurrences (``events``), ``people``
    the distinct journeys (``cases``) and ``duration_hours`` the median wait. Start and end
    edges come from the start / end activities (their frequency is the number of journeys).

    Examples
    --------
    >>> import polars as pl
    >>> from types import SimpleNamespace
    >>> pm = SimpleNamespace(
    ...     activities=pl.DataFrame({"activity": ["a", "b"], "events": [3, 2], "cases": [2, 2],
    ...                              "agency": ["ae", "asc"]}),
    ...     edges=pl.DataFrame({"source": ["a"], "target": ["b"], "events": [2], "cases": [2],
    ...                         "median": [7200.0]}),
    ...     start=pl.DataFrame({"activity": ["a"], "cases": [2]}),
    ...     end=pl.DataFrame({"activity": ["b"], "cases": [2]}))
    >>> edges, nodes = process_map_tables(pm)
    >>> edges.rows()
    [('a', 'b', 2, 2, 2.0), (None, 'a', 2, 2, None), ('b', None, 2, 2, None)]
    """
    schema = {
        FROM_ACTIVITY: pl.String,
        TO_ACTIVITY: pl.String,
        FREQUENCY: pl.Int64,
        PEOPLE: pl.Int64,
        DURATION_HOURS: pl.Float64,
    }
    e = process_map.edges
    require_columns(e, ("source", "target", "events", "cases"), "process_map_tables(edges)")
    hours = (pl.col("median") / _SECONDS_PER_HOUR) if "median" in e.columns else pl.lit(None)
    inner = e.select(
        pl.col("source").alias(FROM_ACTIVITY),
        pl.col("target").alias(TO_ACTIVITY),
        pl.col("events").cast(pl.Int64).alias(FREQUENCY),
        pl.col("cases").cast(pl.Int64).alias(PEOPLE),
        hours.cast(pl.Float64).alias(DURATION_HOURS),
    )
    starts = process_map.start.select(
        pl.lit(None, dtype=pl.String).alias(FROM_ACTIVITY),
        pl.col(ACTIVITY).alias(TO_ACTIVITY),
        pl.col("cases").cast(pl.Int64).alias(FREQUENCY),
        pl.col("cases").cast(pl.Int64).alias(PEOPLE),
        pl.lit(None, dtype=pl.Float64).alias(DURATION_HOURS),
    )
    ends = process_map.end.select(
        pl.col(ACTIVITY).alias(FROM_ACTIVITY),
        pl.lit(None, dtype=pl.String).alias(TO_ACTIVITY),
        pl.col("cases").cast(pl.Int64).alias(FREQUENCY),
        pl.col("cases").cast(pl.Int64).alias(PEOPLE),
        pl.lit(None, dtype=pl.Float64).alias(DURATION_HOURS),
    )
    edges = pl.concat([inner.cast(schema), starts.cast(schema), ends.cast(schema)])  # type: ignore[arg-type]
    a = process_map.activities
    nodes = a.select(
        pl.col(ACTIVITY),
        (pl.col(AGENCY) if AGENCY in a.columns else pl.lit(None, dtype=pl.String)).alias(AGENCY),
        pl.col("events").cast(pl.Int64).alias(FREQUENCY),
        pl.col("cases").cast(pl.Int64).alias(PEOPLE),
    )
    return edges, nodes


def build_handoffs(journeys: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Hand-offs between agencies: count, people and median wait in hours.

    Parameters
    ----------
    journeys
        Journeys (``person_id``, ``prev_agency``, ``agency``, ``handoff``, ``wait``).

    Returns
    -------
    pl.DataFrame
        ``prev_agency``, ``agency``, ``frequency``, ``people``, ``duration_hours``.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> j = pl.DataFrame({"person_id": [1, 1], "prev_agency": [None, "ae"],
    ...                   "agency": ["ae", "asc"], "handoff": [False, True],
    ...                   "wait": [None, dt.timedelta(hours=5)]})
    >>> build_handoffs(j).rows()
    [('ae', 'asc', 1, 1, 5.0)]
    """
    frame = _frame(journeys)
    require_columns(frame, (PERSON_ID, PREV_AGENCY, AGENCY, HANDOFF, WAIT), "build_handoffs")
    return (
        frame.filter(pl.col(HANDOFF).fill_null(value=False))
        .group_by(PREV_AGENCY, AGENCY)
        .agg(
            pl.len().cast(pl.Int64).alias(FREQUENCY),
            pl.col(PERSON_ID).n_unique().cast(pl.Int64).alias(PEOPLE),
            (pl.col(WAIT).dt.total_microseconds().median() / _US_PER_HOUR).alias(DURATION_HOURS),
        )
        .sort([FREQUENCY, PREV_AGENCY, AGENCY], descending=[True, False, False])
    )


def build_value_stream(
    journeys: pl.DataFrame | pl.LazyFrame, *, max_steps: int = 12
) -> pl.DataFrame:
    """The value stream: the most frequent agency steps, in their typical journey order.

    A step is an (agency, activity) pair. Process time is the median ``end - start`` of its
    events (0 for instant events), wait time the median ``wait`` before them; steps are the
    ``max_steps`` most frequent, ordered by their median time since the person's first event.

    Returns
    -------
    pl.DataFrame
        ``agency``, ``activity``, ``frequency``, ``people``, ``process_hours``,
        ``wait_hours``.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    >>> j = pl.DataFrame({"person_id": [1, 1], "agency": ["ae", "acute"],
    ...     "activity": ["Triage", "Admission"], "start": [t, t + dt.timedelta(hours=3)],
    ...     "end": [t + dt.timedelta(hours=1), t + dt.timedelta(hours=51)],
    ...     "wait": [None, dt.timedelta(hours=2)]})
    >>> build_value_stream(j).select("activity", "process_hours", "wait_hours").rows()
    [('Triage', 1.0, None), ('Admission', 48.0, 2.0)]
    """
    if max_steps < 1:
        raise DataError(f"build_value_stream: 'max_steps' must be >= 1; got {max_steps}")
    frame = _frame(journeys)
    require_columns(frame, (PERSON_ID, AGENCY, ACTIVITY, START, WAIT), "build_value_stream")
    end = pl.col(END) if END in frame.columns else pl.col(START)
    return (
        frame.with_columns(
            (
                (pl.coalesce(end, pl.col(START)) - pl.col(START)).dt.total_microseconds()
                / _US_PER_HOUR
            ).alias("_process"),
            (pl.col(WAIT).dt.total_microseconds() / _US_PER_HOUR).alias("_wait"),
            (
                (pl.col(START) - pl.col(START).min().over(PERSON_ID)).dt.total_microseconds()
                / _US_PER_HOUR
            ).alias("_offset"),
        )
        .group_by(AGENCY, ACTIVITY)
        .agg(
            pl.len().cast(pl.Int64).alias(FREQUENCY),
            pl.col(PERSON_ID).n_unique().cast(pl.Int64).alias(PEOPLE),
            pl.col("_process").median().alias(PROCESS_HOURS),
            pl.col("_wait").median().alias(WAIT_HOURS),
            pl.col("_offset").median().alias("_order"),
        )
        .sort([FREQUENCY, AGENCY, ACTIVITY], descending=[True, False, False])
        .head(max_steps)
        .sort("_order", AGENCY, ACTIVITY)
        .drop("_order")
    )


def select_journeys(
    journeys: pl.DataFrame | pl.LazyFrame, *, by: AffectedBy = "agencies", n: int = 5
) -> list[int]:
    """The ``n`` most affected people: most agencies, events, hand-offs or admissions.

    Ties are broken by more events, then by person id, so the choice is reproducible.
    ``admissions`` counts events whose ``service`` is ``inpatient``.

    Examples
    --------
    >>> import polars as pl
    >>> j = pl.DataFrame({"person_id": [1, 2, 2], "agency": ["ae", "ae", "asc"],
    ...                   "handoff": [False, False, True], "service": ["x", "x", "inpatient"]})
    >>> select_journeys(j, by="agencies", n=1)
    [2]
    """
    frame = _frame(journeys)
    require_columns(frame, (PERSON_ID, AGENCY), "select_journeys")
    score = {
        "agencies": pl.col(AGENCY).n_unique(),
        "events": pl.len(),
        "handoffs": pl.col(HANDOFF).fill_null(value=False).sum() if HANDOFF in frame else None,
        "admissions": (pl.col(SERVICE) == "inpatient").sum() if SERVICE in frame else None,
    }.get(by)
    if score is None:
        raise DataError(
            f"select_journeys: by={by!r} needs a column the journeys table does not have "
            f"(it has {frame.columns}); use 'agencies' or 'events'"
        )
    ranked = (
        frame.group_by(PERSON_ID)
        .agg(score.cast(pl.Int64).alias("_score"), pl.len().alias("_events"))
        .sort(["_score", "_events", PERSON_ID], descending=[True, True, False])
        .head(n)
    )
    return [int(p) for p in ranked.get_column(PERSON_ID).to_list()]


def summarise_quarantine(quarantine: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Quarantined rows per source and reason; the raw ``value`` column is never carried on.

    Examples
    --------
    >>> import polars as pl
    >>> q = pl.DataFrame({"source": ["a.csv"] * 2, "row": [3, 9], "column": ["dob"] * 2,
    ...                   "reason": ["unparseable date"] * 2, "value": ["x", "y"]})
    >>> summarise_quarantine(q).rows()
    [('a.csv', 'unparseable date', 2)]
    """
    frame = _frame(quarantine)
    require_columns(frame, (SOURCE, REASON), "summarise_quarantine")
    return (
        frame.group_by(SOURCE, REASON)
        .agg(pl.len().cast(pl.Int64).alias(FREQUENCY))
        .sort([SOURCE, FREQUENCY, REASON], descending=[False, True, False])
    )


def loop_example_rows(
    journeys: pl.DataFrame | pl.LazyFrame,
    occurrences: pl.DataFrame | pl.LazyFrame,
    *,
    per_pattern: int = 2,
) -> pl.DataFrame:
    """Journey rows of the evidence of a few loops per pattern, for ``PackContent.loop_examples``.

    The examples are the occurrences with the most evidence events (ties: earliest person id),
    so that the pack shows clear cases; rows keep ``person_id`` for de-identification by the pack.

    Parameters
    ----------
    journeys
        Journeys (``person_id``, ``event_id``, ``agency``, ``activity``, ``start``, ...).
    occurrences
        Detector output (``person_id``, ``pattern``, ``event_ids``).

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    >>> j = pl.DataFrame({"person_id": [1, 1, 1], "event_id": ["a", "b", "c"],
    ...     "agency": ["police", "ae", "gp"], "activity": ["Detention", "Arrival", "Visit"],
    ...     "start": [t, t, t]})
    >>> occ = pl.DataFrame({"person_id": [1], "pattern": ["ping_pong"], "event_ids": [["a", "b"]]})
    >>> loop_example_rows(j, occ).get_column("event_id").to_list()
    ['a', 'b']
    """
    frame = _frame(journeys)
    occ = _frame(occurrences)
    require_columns(frame, (PERSON_ID, EVENT_ID), "loop_example_rows(journeys)")
    require_columns(occ, (PERSON_ID, PATTERN, EVIDENCE), "loop_example_rows(occurrences)")
    chosen = (
        occ.with_columns(pl.col(EVIDENCE).list.len().alias("_size"))
        .sort(["_size", PERSON_ID], descending=[True, False])
        .unique([PATTERN, PERSON_ID], keep="first", maintain_order=True)  # one per person
        .group_by(PATTERN, maintain_order=True)
        .head(per_pattern)
        .with_row_index("_example")
        .explode(EVIDENCE)
        .select(PATTERN, "_example", pl.col(PERSON_ID), pl.col(EVIDENCE).alias(EVENT_ID))
    )
    rows = frame.join(chosen, on=[PERSON_ID, EVENT_ID], how="inner")
    order = START if START in rows.columns else EVENT_ID
    return rows.sort(PATTERN, "_example", order).drop("_example")


def deviation_table(summary: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``PackContent.deviations`` from ``journeys.mining.summarise_deviations`` output.

    Renames ``kind`` to ``deviation``, ``deviations`` to ``frequency`` and ``journeys`` to
    ``people`` (the number of journeys with the deviation).

    Examples
    --------
    >>> import polars as pl
    >>> s = pl.DataFrame({"agency": ["x"], "kind": ["inserted"], "activity": ["a"],
    ...                   "deviations": [3], "journeys": [2]})
    >>> deviation_table(s).columns
    ['agency', 'activity', 'deviation', 'frequency', 'people']
    """
    frame = _frame(summary)
    require_columns(frame, (AGENCY, "kind", ACTIVITY, "deviations", "journeys"), "deviation_table")
    return frame.select(
        AGENCY,
        ACTIVITY,
        pl.col("kind").alias(DEVIATION),
        pl.col("deviations").cast(pl.Int64).alias(FREQUENCY),
        pl.col("journeys").cast(pl.Int64).alias(PEOPLE),
    )


class SourceAccountLike(Protocol):
    """What :func:`row_accounting_table` reads (``journeys.adapters`` ``SourceAccount`` has it)."""

    @property
    def source(self) -> str: ...
    @property
    def read(self) -> int: ...
    @property
    def loaded(self) -> int: ...
    @property
    def quarantined(self) -> int: ...
    @property
    def filtered(self) -> int: ...


def row_accounting_table(accounts: Iterable[SourceAccountLike]) -> pl.DataFrame:
    """``PackContent.row_accounting`` from the ingest accounting, one row per source.

    Examples
    --------
    >>> from types import SimpleNamespace as A
    >>> account = A(source="ae.csv", read=10, loaded=8, quarantined=1, filtered=1)
    >>> row_accounting_table([account]).row(0)
    ('ae.csv', 10, 8, 1, 1)
    """
    rows = [(a.source, a.read, a.loaded, a.quarantined, a.filtered) for a in accounts]
    return pl.DataFrame(
        rows,
        schema={
            SOURCE: pl.String,
            ROWS_READ: pl.Int64,
            ROWS_LOADED: pl.Int64,
            ROWS_QUARANTINED: pl.Int64,
            ROWS_FILTERED: pl.Int64,
        },
        orient="row",
    )
