"""Process maps in polars: directly-follows graph, start/end activities, variants.

The numbers are the ones pm4py computes (``pm4py.discover_dfg``,
``pm4py.discover_performance_dfg``, ``pm4py.get_start_activities``,
``pm4py.get_end_activities``, ``pm4py.get_variants``) on a log formatted by
``pm4py.format_dataframe``: events are ordered by case and timestamp, and events of a case with
equal timestamps keep their input order. Waits are in seconds, computed with pm4py's own formula
(days * 86400 + seconds + 1e-6 * microseconds + 1e-9 * nanoseconds), so they are bit-identical.

The log is coded once (:func:`journeys.mining._frames.case_log`: small integer codes for the
activities, events counting-sorted by case; one linear pass when the log is already in case
and time order); the graph, the start/end activities, the activity counts and the variants are then
linear scans in compiled code (:mod:`journeys.mining._kernels`), and text is attached only to
the few distinct edges and variants. Where codes do not apply (float ids, text timestamps, a
64-bit hash collision) the same numbers come from per-case lists in polars.

The detail controls follow Disco's activity and path sliders (Günther & Rozinat, "Disco: Discover
Your Processes", BPM demos 2012): keep the most frequent activities and paths that together cover
a share of the behaviour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs in the dev extras

from journeys import schema
from journeys.exceptions import DataError
from journeys.mining._frames import (
    ACT,
    CASE,
    INDEX,
    TS,
    CaseLog,
    Columns,
    Frame,
    WindowMode,
    as_lazy,
    case_log,
    filter_events,
    resolve_columns,
    trace_lists,
)
from journeys.mining._kernels import count_edges, group_variants, timed_pairs

__all__ = [
    "CASES",
    "COVERAGE",
    "CUMULATIVE_COVERAGE",
    "EVENTS",
    "SOURCE",
    "TARGET",
    "VARIANT",
    "ProcessMap",
    "counts_as_dict",
    "dfg_as_dict",
    "discover_dfg",
    "discover_end_activities",
    "discover_process_map",
    "discover_start_activities",
    "discover_variants",
    "performance_as_dict",
    "variants_as_dict",
]

logger = logging.getLogger(__name__)

SOURCE: Final = "source"
TARGET: Final = "target"
EVENTS: Final = "events"
CASES: Final = "cases"
VARIANT: Final = "variant"
COVERAGE: Final = "coverage"
CUMULATIVE_COVERAGE: Final = "cumulative_coverage"
#: Wait statistics of a DFG edge, in seconds (pm4py's "all" aggregation plus the 90th percentile).
WAIT_STATS: Final = ("mean", "median", "p90", "min", "max", "sum", "stdev")

_NEXT_ACT: Final = "__next_activity"
_WAIT: Final = "__wait"
_NS_PER_DAY: Final = 86_400 * 10**9

_NS_PER_UNIT: Final = {"ns": 1, "us": 1_000, "ms": 1_000_000}
_VID: Final = "__variant_id"
#: Count edges in a k x k matrix up to this many cells (k <= 1024 activities), else hash them.
_DENSE_EDGES: Final = 1 << 20
_KEY: Final = "__key"

Source = CaseLog | pl.LazyFrame
"""The ordered log: integer codes (fast path) or per-case lists (exact fallback)."""


def _wait_seconds(delta_ns: pl.Expr) -> pl.Expr:
    """pandas' ``pm4py.util.pandas_utils.get_total_seconds`` on a non-negative nanosecond count."""
    days = delta_ns // _NS_PER_DAY
    rest = delta_ns - days * _NS_PER_DAY
    seconds = rest // 10**9
    sub = rest - seconds * 10**9
    micros = sub // 1000
    nanos = sub - micros * 1000
    whole = (days * 86_400 + seconds).cast(pl.Float64)
    return whole + micros.cast(pl.Float64) * 1e-6 + nanos.cast(pl.Float64) * 1e-9


def _pairs(traces: pl.LazyFrame, *, timed: bool) -> pl.LazyFrame:
    """Directly-follows pairs of the case lists (one row per pair), case as ``__index``.

    With ``timed``, cases are taken in case-id order, as pm4py's pandas code does: the order in
    which waits are summed decides the last bit of the standard deviation.
    """
    if timed:
        traces = traces.sort(CASE)
    flat = traces.select(INDEX, ACT, TS).explode(ACT, TS)
    same_case = pl.col(INDEX) == pl.col(INDEX).shift(-1)
    columns = [pl.col(INDEX), pl.col(ACT), pl.col(ACT).shift(-1).alias(_NEXT_ACT)]
    if timed:
        delta = (pl.col(TS).shift(-1) - pl.col(TS)).dt.total_nanoseconds()
        columns.append(_wait_seconds(delta).alias(_WAIT))
    return flat.select(*columns, same_case.alias("__same")).filter(pl.col("__same")).drop("__same")


def _median(values: pl.Expr) -> pl.Expr:
    """pandas' group median: the mean of the two middle values, as ``(a + b) / 2``."""
    ordered = values.sort()
    n = values.len()
    return (ordered.get((n - 1) // 2) + ordered.get(n // 2)) / 2


def _aggregate_pairs(pairs: pl.LazyFrame, *, timed: bool, counts: bool = True) -> pl.LazyFrame:
    """Pairs (``__index, __activity, __next_activity[, __wait]``) grouped into edges.

    Without ``counts``, only the wait statistics (the caller has the numbers of pairs and cases).
    """
    aggs = []
    if counts:
        aggs += [
            pl.len().cast(pl.UInt32).alias(EVENTS),
            pl.col(INDEX).n_unique().cast(pl.UInt32).alias(CASES),
        ]
    if timed:
        w = pl.col(_WAIT)
        aggs += [
            w.mean().alias("mean"),
            _median(w).alias("median"),
            w.quantile(0.9, interpolation="linear").alias("p90"),
            w.min().alias("min"),
            w.max().alias("max"),
            w.sum().alias("sum"),
            w.std(ddof=1).alias("stdev"),
        ]
    return pairs.group_by([ACT, _NEXT_ACT]).agg(aggs).rename({ACT: SOURCE, _NEXT_ACT: TARGET})


def _sorted_edges(edges: pl.LazyFrame) -> pl.LazyFrame:
    return edges.sort([EVENTS, SOURCE, TARGET], descending=[True, False, False])


def _edges(traces: pl.LazyFrame, *, timed: bool = True) -> pl.LazyFrame:
    """Edges of per-case lists (the exact fallback of :func:`_coded_edges`)."""
    return _sorted_edges(_aggregate_pairs(_pairs(traces, timed=timed), timed=timed))


def _names(log: CaseLog, codes: npt.NDArray[np.integer]) -> pl.Series:
    return log.activities.gather(pl.Series(codes, dtype=pl.UInt32))


def _ns_per_unit(dtype: pl.DataType) -> int | None:
    """Nanoseconds per physical unit of a timestamp type (None: no waits for this type)."""
    if isinstance(dtype, pl.Datetime):
        return _NS_PER_UNIT[dtype.time_unit]
    if dtype == pl.Date:
        return _NS_PER_DAY
    return None


def _coded_edges(log: CaseLog, *, timed: bool) -> pl.DataFrame | None:
    """Edges of a coded log; None when ``timed`` and the timestamps are not dates or datetimes."""
    k = log.activities.len()
    ns = _ns_per_unit(log.time_dtype)
    if timed and ns is None:
        return None
    keys, events, cases = count_edges(log.codes, log.offsets, k, _DENSE_EDGES)
    grouped = pl.DataFrame(
        {
            SOURCE: pl.Series(keys // k, dtype=pl.UInt32),
            TARGET: pl.Series(keys % k, dtype=pl.UInt32),
            EVENTS: pl.Series(events, dtype=pl.UInt32),
            CASES: pl.Series(cases, dtype=pl.UInt32),
        }
    )
    if timed:
        by_case_id = log.cases.arg_sort().to_numpy().astype(np.int64)
        source, target, delta = timed_pairs(log.codes, log.times, log.offsets, by_case_id)
        pairs = pl.DataFrame({ACT: source, _NEXT_ACT: target, _WAIT: delta}).lazy()
        pairs = pairs.with_columns(_wait_seconds(pl.col(_WAIT) * ns).alias(_WAIT))
        waits = _aggregate_pairs(pairs, timed=True, counts=False)
        grouped = grouped.join(waits.collect(), on=[SOURCE, TARGET], how="left")
    named = grouped.with_columns(
        _names(log, grouped.get_column(SOURCE).to_numpy()).alias(SOURCE),
        _names(log, grouped.get_column(TARGET).to_numpy()).alias(TARGET),
    )
    return _sorted_edges(named.lazy()).collect()


def _source(data: Frame, columns: Columns) -> Source:
    """The coded log, or the per-case lists where codes do not apply."""
    log = case_log(data, columns)
    return trace_lists(data, columns).collect().lazy() if log is None else log


def _edge_frame(source: Source, data: Frame, columns: Columns, *, timed: bool) -> pl.DataFrame:
    if isinstance(source, CaseLog):
        edges = _coded_edges(source, timed=timed)
        if edges is not None:
            return edges
        source = trace_lists(data, columns)
    return _edges(source, timed=timed).collect()


def _ordered(
    data: Frame, *, case: str | None, activity: str, timestamp: str, function: str
) -> tuple[Source, Columns]:
    columns = resolve_columns(
        data, case=case, activity=activity, timestamp=timestamp, function=function
    )
    return _source(data, columns), columns


def discover_dfg(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    performance: bool = True,
) -> pl.DataFrame:
    """The directly-follows graph with frequency and wait statistics per edge.

    Parameters
    ----------
    data
        Events (DataFrame or LazyFrame), e.g. the canonical events or journeys table.
    case, activity, timestamp
        Column names. ``case`` defaults to ``person_id`` when present, else ``person_ref``.
    performance
        Add the wait statistics (seconds): mean, median, p90, min, max, sum, stdev.

    Returns
    -------
    pl.DataFrame
        ``source, target, events, cases`` (+ wait statistics), most frequent edge first.
        ``events`` equals ``pm4py.discover_dfg``; the statistics equal
        ``pm4py.discover_performance_dfg(..., perf_aggregation_key="all")``.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2], "activity": ["a", "b", "a", "b"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 3)]})
    >>> discover_dfg(ev).select("source", "target", "events", "median").rows()
    [('a', 'b', 2, 129600.0)]
    """
    source, columns = _ordered(
        data, case=case, activity=activity, timestamp=timestamp, function="discover_dfg"
    )
    return _edge_frame(source, data, columns, timed=performance)


def _endpoint_frame(traces: pl.LazyFrame, *, first: bool, activity: str) -> pl.LazyFrame:
    pick = pl.col(ACT).list.first() if first else pl.col(ACT).list.last()
    return (
        traces.select(pick)
        .group_by(ACT)
        .agg(pl.len().cast(pl.UInt32).alias(CASES))
        .rename({ACT: activity})
        .sort([CASES, activity], descending=[True, False])
    )


def _counted(log: CaseLog, counts: npt.NDArray[np.int64], name: str, number: str) -> pl.DataFrame:
    """Activities with a non-zero count, most first (ties by name)."""
    present = np.flatnonzero(counts)
    return pl.DataFrame(
        {name: _names(log, present), number: pl.Series(counts[present], dtype=pl.UInt32)}
    ).sort([number, name], descending=[True, False])


def _endpoints(source: Source, activity: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Start and end activities with their numbers of cases."""
    if isinstance(source, CaseLog):
        _, _, starts, ends = source.activity_counts
        return _counted(source, starts, activity, CASES), _counted(source, ends, activity, CASES)
    first, last = (
        _endpoint_frame(source, first=pick, activity=activity).collect() for pick in (True, False)
    )
    return first, last


def _endpoint_counts(traces: pl.LazyFrame) -> tuple[dict[str, int], dict[str, int]]:
    """Start and end activity counts of case lists, as pm4py-style dicts."""
    ends = traces.select(
        pl.col(ACT).list.first().alias("__first"), pl.col(ACT).list.last().alias("__last")
    ).collect()
    starts = ends.get_column("__first").value_counts()
    lasts = ends.get_column("__last").value_counts()
    return (
        {a: int(n) for a, n in starts.iter_rows()},
        {a: int(n) for a, n in lasts.iter_rows()},
    )


def discover_start_activities(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
) -> pl.DataFrame:
    """How many cases start with each activity (``pm4py.get_start_activities``).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2], "activity": ["b", "a", "a"],
    ...     "start": [datetime(2024, 1, 2), datetime(2024, 1, 1), datetime(2024, 1, 1)]})
    >>> discover_start_activities(ev).rows()
    [('a', 2)]
    """
    source, _ = _ordered(
        data,
        case=case,
        activity=activity,
        timestamp=timestamp,
        function="discover_start_activities",
    )
    return _endpoints(source, activity)[0]


def discover_end_activities(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
) -> pl.DataFrame:
    """How many cases end with each activity (``pm4py.get_end_activities``).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2], "activity": ["b", "a", "a"],
    ...     "start": [datetime(2024, 1, 2), datetime(2024, 1, 1), datetime(2024, 1, 1)]})
    >>> discover_end_activities(ev).sort("activity").rows()
    [('a', 1), ('b', 1)]
    """
    source, _ = _ordered(
        data, case=case, activity=activity, timestamp=timestamp, function="discover_end_activities"
    )
    return _endpoints(source, activity)[1]


def _with_coverage(counted: pl.LazyFrame) -> pl.LazyFrame:
    """Variants (``variant, cases``) most frequent first, ties in the order of the activity
    sequences (compared activity by activity), with their share of the cases."""
    total = pl.col(CASES).sum()
    return counted.with_columns((pl.col(CASES) / total).alias(COVERAGE)).with_columns(
        pl.col(COVERAGE).cum_sum().alias(CUMULATIVE_COVERAGE)
    )


def _variants(traces: pl.LazyFrame) -> pl.LazyFrame:
    """Variants of per-case lists (the exact fallback of :func:`_coded_variants`)."""
    counted = (
        traces.select(pl.col(ACT).alias(VARIANT))
        .group_by(VARIANT)
        .agg(pl.len().cast(pl.UInt32).alias(CASES))
        .sort([CASES, VARIANT], descending=[True, False])
    )
    return _with_coverage(counted)


def _list_series(offsets: npt.NDArray[np.int64], values: pa.Array) -> pl.Series:
    """A list column from flat values and list offsets (no per-row Python work)."""
    lists = pl.from_arrow(pa.LargeListArray.from_arrays(pa.array(offsets), values))
    assert isinstance(lists, pl.Series)  # from_arrow of an Array is a Series
    return lists


def _coded_variants(log: CaseLog) -> tuple[pl.DataFrame, npt.NDArray[np.uint32]]:
    """Variants of a coded log (with their ``__variant_id``) and the variant id of each case.

    The codes of the variants' activities are replaced by their rank in text order, so sorting
    the code lists sorts the variants as the text lists would (activity by activity).
    """
    variant_of_case, first, counts = group_variants(log.codes, log.offsets)
    lengths = log.offsets[first + 1] - log.offsets[first]
    offsets = np.zeros(first.size + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    rows = np.arange(int(offsets[-1]), dtype=np.int64) + np.repeat(
        log.offsets[first] - offsets[:-1], lengths
    )
    flat = log.codes[rows]
    rank = np.empty(log.activities.len(), np.uint32)
    rank[log.activities.arg_sort().to_numpy()] = np.arange(log.activities.len(), dtype=np.uint32)
    names = _list_series(offsets, _names(log, flat).to_arrow())
    counted = pl.DataFrame(
        {
            _VID: np.arange(first.size, dtype=np.uint32),
            VARIANT: names.cast(pl.List(log.activities.dtype)),
            CASES: pl.Series(counts, dtype=pl.UInt32),
            _KEY: _list_series(offsets, pa.array(rank[flat])),
        }
    ).sort([CASES, _KEY], descending=[True, False])
    return _with_coverage(counted.lazy().drop(_KEY)).collect(), variant_of_case


def _variant_frame(source: Source) -> tuple[pl.DataFrame, npt.NDArray[np.uint32] | None]:
    """Variants (+ ``__variant_id`` and the variant of each case when coded)."""
    if isinstance(source, CaseLog):
        return _coded_variants(source)
    return _variants(source).collect(), None


def discover_variants(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    top_k: int | None = None,
) -> pl.DataFrame:
    """Variants (activity sequences) with their number of cases and share of cases.

    Returns ``variant`` (list of activities), ``cases``, ``coverage`` and
    ``cumulative_coverage``, most frequent first (ties in text order, compared activity by
    activity); ``top_k`` keeps the first k. The counts equal ``pm4py.get_variants``.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2, 3], "activity": ["a", "b", "a", "b", "a"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 3, 1)]})
    >>> discover_variants(ev).select("variant", "cases").rows()
    [(['a', 'b'], 2), (['a'], 1)]
    """
    if top_k is not None and top_k < 1:
        raise DataError(f"The 'top_k' parameter of discover_variants must be >= 1. Got {top_k}.")
    source, _ = _ordered(
        data, case=case, activity=activity, timestamp=timestamp, function="discover_variants"
    )
    out = _variant_frame(source)[0].drop(_VID, strict=False)
    return out if top_k is None else out.head(top_k)


@dataclass(frozen=True)
class ProcessMap:
    """A process map: what a Disco-style map view draws.

    Attributes
    ----------
    activities
        ``activity, events, cases`` and, when the log has an agency column, the ``agency`` that
        performs most of the activity's events.
    edges
        The directly-follows edges kept (see :func:`discover_dfg` for the columns).
    start, end
        Start and end activities with their case counts.
    variants
        The variants of the (filtered) log.
    """

    activities: pl.DataFrame
    edges: pl.DataFrame
    start: pl.DataFrame
    end: pl.DataFrame
    variants: pl.DataFrame


def _check_share(value: float, parameter: str) -> None:
    if not 0 < value <= 1:
        raise DataError(
            f"The '{parameter}' parameter of discover_process_map must be a share in (0, 1], "
            f"e.g. 0.8 for 80%. Got {value}."
        )


def _covering(frame: pl.DataFrame, *, weight: str, share: float, key: list[str]) -> pl.DataFrame:
    """The most frequent rows whose weights together reach ``share`` of the total."""
    if share >= 1 or frame.height == 0:
        return frame
    ranked = frame.sort([weight, *key], descending=[True] + [False] * len(key))
    total = float(ranked.get_column(weight).sum())
    before = ranked.get_column(weight).cum_sum() - ranked.get_column(weight)
    return ranked.filter(before < share * total)


def _top_cases(
    source: Source, variants: pl.DataFrame, variant_of_case: npt.NDArray[np.uint32] | None, k: int
) -> Source:
    """The log restricted to the cases of the k most frequent variants."""
    top = variants.head(k)
    if isinstance(source, CaseLog):
        assert variant_of_case is not None  # set together with a CaseLog
        keep = np.zeros(variants.height, np.bool_)
        keep[top.get_column(_VID).to_numpy()] = True
        return source.subset(keep[variant_of_case])
    kept = top.select(pl.col(VARIANT).alias(ACT))
    return source.join(kept.lazy(), on=ACT, how="semi", maintain_order="left").collect().lazy()


def _case_values(source: Source, case: str) -> pl.LazyFrame:
    if isinstance(source, CaseLog):
        return source.cases.alias(case).to_frame().lazy()
    return source.select(pl.col(CASE).alias(case))


def discover_process_map(
    data: Frame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    agency: str = schema.AGENCY,
    activity_coverage: float = 1.0,
    path_coverage: float = 1.0,
    top_variants: int | None = None,
    activities: list[str] | None = None,
    agencies: list[str] | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    window: WindowMode = "events",
    performance: bool = True,
) -> ProcessMap:
    """A process map with Disco-like detail controls.

    Parameters
    ----------
    data
        Events or journeys.
    activity_coverage
        Keep the most frequent activities that together cover this share of the events
        (1.0 keeps all). Edges touching a dropped activity are dropped.
    path_coverage
        Then keep the most frequent edges that together cover this share of the remaining
        directly-follows pairs.
    top_variants
        Keep only the cases of the k most frequent variants (before the sliders).
    activities, agencies
        Keep only these activities / the events of these agencies (event filter).
    since, until, window
        A time window ``[since, until)``; ``window="cases"`` keeps whole cases touching it.
    performance
        Add the wait statistics to the edges (False is faster on very large logs).

    All parts come from one pass over the log: the events are coded and ordered by case once
    (see :func:`journeys.mining._frames.case_log`), then each count is a linear scan.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 1, 1, 2, 2], "activity": ["a", "b", "c", "a", "c"],
    ...     "agency": ["x", "x", "y", "x", "y"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 3, 1, 3)]})
    >>> pm = discover_process_map(ev, path_coverage=0.3)
    >>> pm.edges.select("source", "target").rows()
    [('a', 'b')]
    >>> pm.activities.sort("activity").get_column("agency").to_list()
    ['x', 'x', 'y']
    """
    _check_share(activity_coverage, "activity_coverage")
    _check_share(path_coverage, "path_coverage")
    columns = resolve_columns(
        data, case=case, activity=activity, timestamp=timestamp, function="discover_process_map"
    )
    lf = filter_events(
        as_lazy(data),
        columns,
        activities=activities,
        agencies=agencies,
        agency=agency,
        since=since,
        until=until,
        window=window,
    )
    has_agency = agency in lf.collect_schema().names()
    source = _source(lf, columns)
    variants, variant_of_case = _variant_frame(source)
    if top_variants is not None:
        source = _top_cases(source, variants, variant_of_case, top_variants)
        lf = lf.join(_case_values(source, columns.case), on=columns.case, how="semi")
        variants, _ = _variant_frame(source)
    node_stats = _activity_stats(source, lf, columns, agency if has_agency else None)
    node_stats = _covering(
        node_stats, weight=EVENTS, share=activity_coverage, key=[columns.activity]
    )
    kept = node_stats.get_column(columns.activity).implode()
    edges = _edge_frame(source, lf, columns, timed=performance)
    edges = edges.filter(pl.col(SOURCE).is_in(kept) & pl.col(TARGET).is_in(kept))
    edges = _covering(edges, weight=EVENTS, share=path_coverage, key=[SOURCE, TARGET])
    starts, ends = (
        frame.filter(pl.col(columns.activity).is_in(kept))
        for frame in _endpoints(source, columns.activity)
    )
    return ProcessMap(
        activities=node_stats,
        edges=edges,
        start=starts,
        end=ends,
        variants=variants.drop(_VID, strict=False),
    )


def _activity_stats(
    source: Source, events: pl.LazyFrame, columns: Columns, agency: str | None
) -> pl.DataFrame:
    """Events and cases per activity (from the ordered log: no text hashing of case ids), and the
    agency that records most of each activity's events (ties: first by name)."""
    if isinstance(source, CaseLog):
        counts, cases, _, _ = source.activity_counts
        present = np.flatnonzero(counts)
        stats = pl.DataFrame(
            {
                columns.activity: _names(source, present),
                EVENTS: pl.Series(counts[present], dtype=pl.UInt32),
                CASES: pl.Series(cases[present], dtype=pl.UInt32),
            }
        ).lazy()
    else:
        stats = (
            source.select(INDEX, ACT)
            .explode(ACT)
            .group_by(ACT)
            .agg(
                pl.len().cast(pl.UInt32).alias(EVENTS),
                pl.col(INDEX).n_unique().cast(pl.UInt32).alias(CASES),
            )
            .rename({ACT: columns.activity})
        )
    if agency is not None:
        owner = (
            events.filter(pl.col(agency).is_not_null())
            .group_by(columns.activity, agency)
            .agg(pl.len().alias("__n"))
            .sort([columns.activity, "__n", agency], descending=[False, True, False])
            .group_by(columns.activity, maintain_order=True)
            .agg(pl.col(agency).first())
        )
        stats = stats.join(owner, on=columns.activity, how="left")
    return stats.sort([EVENTS, columns.activity], descending=[True, False]).collect()


def dfg_as_dict(edges: pl.DataFrame) -> dict[tuple[str, str], int]:
    """Edges as pm4py's frequency DFG ``{(source, target): events}``."""
    return {(s, t): int(n) for s, t, n in edges.select(SOURCE, TARGET, EVENTS).iter_rows()}


def performance_as_dict(edges: pl.DataFrame) -> dict[tuple[str, str], dict[str, float]]:
    """Edges as pm4py's performance DFG with ``perf_aggregation_key="all"``."""
    names = ("mean", "median", "max", "min", "sum", "stdev")
    return {
        (row[SOURCE], row[TARGET]): {
            k: (float("nan") if row[k] is None else float(row[k])) for k in names
        }
        for row in edges.iter_rows(named=True)
    }


def counts_as_dict(counts: pl.DataFrame) -> dict[str, int]:
    """Start or end activities as pm4py's ``{activity: cases}``."""
    name, number = counts.columns[:2]
    return {a: int(n) for a, n in counts.select(name, number).iter_rows()}


def variants_as_dict(variants: pl.DataFrame) -> dict[tuple[str, ...], int]:
    """Variants as pm4py's ``{(activity, ...): cases}``."""
    lists = variants.get_column(VARIANT)
    flat = lists.explode(empty_as_null=False).to_list()  # one list: cheaper than one per variant
    ends = lists.list.len().cum_sum().to_list()
    starts = [0, *ends][:-1]
    sequences = (tuple(flat[a:b]) for a, b in zip(starts, ends, strict=True))
    return dict(zip(sequences, variants.get_column(CASES).to_list(), strict=True))
