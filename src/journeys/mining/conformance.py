"""Conformance of journeys against a to-be model: token replay, alignments, deviations, trend.

Token replay follows Rozinat & van der Aalst, "Conformance checking of processes based on
monitoring real behavior", Information Systems 33(1), 2008 (pm4py's implementation, called once
per variant, in worker processes; see :mod:`journeys.mining._replay`). Alignments follow
Adriansyah (2014) and are computed once per variant, with a per-trace time limit, by an A* search
on the model's reachability graph (pm4py's search, in worker processes, for models without a
small one; see :mod:`journeys.mining._align`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import polars as pl

from journeys import schema
from journeys.exceptions import DataError
from journeys.mining._align import MOVE_COST, VariantAlignment, align_variants
from journeys.mining._frames import ACT, CASE, TS, Frame, as_lazy, resolve_columns
from journeys.mining._replay import replay_variants
from journeys.mining.maps import VARIANT
from journeys.mining.models import Model

__all__ = [
    "DEVIATION_KINDS",
    "Alignments",
    "check_alignments",
    "check_token_replay",
    "find_deviations",
    "summarise_by_week",
    "summarise_deviations",
]

logger = logging.getLogger(__name__)

FITNESS: Final = "fitness"
IS_FIT: Final = "is_fit"
TIMED_OUT: Final = "timed_out"
COST: Final = "cost"
VARIANT_INDEX: Final = "variant_index"
KIND: Final = "kind"
POSITION: Final = "position"
#: Deviation kinds: an activity in the journey the model does not allow there ("inserted"), a
#: step the model requires that the journey lacks ("skipped"), and an activity that happened but
#: at another point than the model allows ("wrong_order": one inserted and one skipped move of
#: the same activity in the same alignment).
DEVIATION_KINDS: Final = ("inserted", "skipped", "wrong_order")
_SKIP: Final = ">>"


def _traces(
    data: Frame,
    *,
    case: str | None,
    activity: str,
    timestamp: str,
    function: str,
    extra: tuple[str, ...] = (),
) -> tuple[pl.DataFrame, str]:
    """One row per case: ``__case``, the activity list ``variant``, start time, extra lists."""
    columns = resolve_columns(
        data, case=case, activity=activity, timestamp=timestamp, function=function
    )
    lf = as_lazy(data)
    names = lf.collect_schema().names()
    for name in extra:
        if name not in names:
            raise DataError(
                f"{function} needs column '{name}' to attribute deviations; the frame has "
                f"{', '.join(names)}. Pass agency='<column>'."
            )
    ordered = (
        lf.select(
            pl.col(columns.case).alias(CASE),
            pl.col(columns.activity).alias(ACT),
            pl.col(columns.timestamp).alias(TS),
            *[pl.col(name) for name in extra],
        )
        .drop_nulls([CASE, ACT, TS])
        .sort([CASE, TS], maintain_order=True)
    )
    traces = (
        ordered.group_by(CASE, maintain_order=True)
        .agg(pl.col(ACT).alias(VARIANT), pl.col(TS).first().alias(TS), *[pl.col(e) for e in extra])
        .collect()
    )
    return traces, columns.case


def _variant_index(traces: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[str, ...]]]:
    variants = traces.select(VARIANT).unique(maintain_order=True)
    variants = variants.with_row_index(VARIANT_INDEX)
    indexed = traces.join(variants, on=VARIANT, how="left", maintain_order="left")
    return indexed, [tuple(v) for v in variants.get_column(VARIANT).to_list()]


def check_token_replay(
    data: Frame,
    model: Model,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    processes: int = 2,
) -> pl.DataFrame:
    """Token-replay fitness of each journey against ``model``.

    Returns one row per case: the case column, ``fitness`` (pm4py's ``trace_fitness``),
    ``is_fit``, ``missing``, ``remaining``, ``produced`` and ``consumed`` tokens; the values
    equal ``pm4py.conformance_diagnostics_token_based_replay``. Events of activities the model
    does not have are dropped first (pm4py's replay skips them without changing any count), then
    each variant is replayed once, in chunks spread over ``processes`` worker processes (2 on a
    two-core machine; 1 runs in this process; small logs always run here). See
    :mod:`journeys.mining._replay` for why the split cannot change the numbers.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> from journeys.mining.models import discover_inductive_model
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2], "activity": ["a", "b", "a", "b"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 3)]})
    >>> check_token_replay(ev, discover_inductive_model(ev)).get_column("fitness").to_list()
    [1.0, 1.0]
    """
    if processes < 1:
        raise DataError(
            f"The 'processes' parameter of check_token_replay must be >= 1. Got {processes}."
        )
    traces, case_name = _traces(
        data, case=case, activity=activity, timestamp=timestamp, function="check_token_replay"
    )
    # pm4py's replay steps over an event whose activity no transition carries, changing no
    # count (it only notes the activity, which counts only under
    # consider_activities_not_in_model_in_fitness, off here as in pm4py's own call). Dropping
    # those events first gives the same numbers and far fewer variants: a journey's GP
    # appointments, absent from a to-be model, vary much more than its modelled steps.
    labels = sorted({str(t.label) for t in model.net.transitions if t.label is not None})
    activities = pl.element().cast(pl.String)  # a model's labels are text
    traces = traces.with_columns(
        pl.col(VARIANT).list.eval(activities.filter(activities.is_in(labels)))
    )
    indexed, variants = _variant_index(traces)
    rows = sorted(
        replay_variants(
            variants, (model.net, model.initial_marking, model.final_marking), processes=processes
        )
    )
    per_variant = pl.DataFrame(
        rows,
        schema={
            VARIANT_INDEX: pl.UInt32,
            FITNESS: pl.Float64,
            IS_FIT: pl.Boolean,
            "missing": pl.Int64,
            "remaining": pl.Int64,
            "produced": pl.Int64,
            "consumed": pl.Int64,
        },
        orient="row",
    )
    return (
        indexed.join(per_variant, on=VARIANT_INDEX, how="left", maintain_order="left")
        .drop(VARIANT, TS, VARIANT_INDEX)
        .rename({CASE: case_name})
    )


@dataclass(frozen=True)
class Alignments:
    """Alignment-based conformance of a log.

    Attributes
    ----------
    cases
        One row per case: the case column, ``variant_index``, ``fitness``, ``cost``,
        ``timed_out`` (fitness and cost are null for a case whose variant hit the time limit).
    variants
        One row per variant: ``variant_index``, ``variant``, ``cases``, ``fitness``, ``cost``,
        ``bwc``, ``seconds`` and ``timed_out``.
    moves
        ``variant_index -> ((log_label, model_label), ...)``: the optimal alignment of each variant.
    case_column
        The name of the case column.
    """

    cases: pl.DataFrame
    variants: pl.DataFrame
    moves: dict[int, tuple[tuple[str, str | None], ...]]
    case_column: str

    @property
    def timed_out_variants(self) -> int:
        """How many variants hit the per-trace time limit (they have no fitness)."""
        return int(self.variants.get_column(TIMED_OUT).sum())

    @property
    def timed_out_cases(self) -> int:
        """How many cases belong to a variant that hit the time limit."""
        return int(self.cases.get_column(TIMED_OUT).sum())

    def summary(self) -> dict[str, float]:
        """Log-level figures computed as ``pm4py.fitness_alignments`` does, over the aligned cases.

        Keys: ``percFitTraces``, ``averageFitness``, ``percentage_of_fitting_traces``,
        ``average_trace_fitness``, ``log_fitness`` (and ``timed_out_cases``, never hidden).
        """
        done = self.cases.join(
            self.variants.select(VARIANT_INDEX, "bwc"), on=VARIANT_INDEX, how="left"
        ).filter(~pl.col(TIMED_OUT))
        n = done.height
        fit = perc = average = log_fitness = 0.0
        if n:
            fitness = done.get_column(FITNESS).to_list()
            fit = float(sum(1 for f in fitness if f == 1.0))
            perc = 100.0 * fit / float(n)
            total = 0.0
            for f in fitness:
                total += f
            average = total / float(n)
            sum_cost = 0.0
            sum_bwc = 0.0
            for c, b in done.select(COST, "bwc").iter_rows():
                sum_bwc += b
                sum_cost += c
            log_fitness = 1.0 - (sum_cost / sum_bwc if sum_bwc > 0 else 0)
        return {
            "percFitTraces": perc,
            "averageFitness": average,
            "percentage_of_fitting_traces": perc,
            "average_trace_fitness": average,
            "log_fitness": log_fitness,
            "timed_out_cases": float(self.timed_out_cases),
        }


def check_alignments(
    data: Frame,
    model: Model,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    processes: int = 2,
    trace_timeout: float = 60.0,
) -> Alignments:
    """Alignment-based fitness of each journey, computed once per variant.

    Parameters
    ----------
    processes
        Worker processes for pm4py's search, used when the model has no small reachability graph
        (2 on a two-core machine; 1 runs in this process). The graph search always runs in this
        process: a variant takes milliseconds there.
    trace_timeout
        Seconds allowed to align one variant. Variants that hit it are reported in
        :attr:`Alignments.variants` / ``cases`` with ``timed_out`` set and a warning is logged;
        they are left out of :meth:`Alignments.summary` and counted there.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> from journeys.mining.models import discover_inductive_model
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2, 3], "activity": ["a", "b", "a", "b", "b"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 3, 1)]})
    >>> model = discover_inductive_model(ev.filter(pl.col("person_id") < 3))
    >>> check_alignments(ev, model, processes=1).cases.get_column("fitness").to_list()
    [1.0, 1.0, 0.6666666666666667]
    """
    if processes < 1:
        raise DataError(
            f"The 'processes' parameter of check_alignments must be >= 1. Got {processes}."
        )
    if not trace_timeout > 0:
        raise DataError(
            "The 'trace_timeout' parameter of check_alignments must be a positive number of "
            f"seconds. Got {trace_timeout}."
        )
    traces, case_name = _traces(
        data, case=case, activity=activity, timestamp=timestamp, function="check_alignments"
    )
    indexed, variants = _variant_index(traces)
    results: dict[int, VariantAlignment] = {}
    for result in align_variants(
        variants,
        (model.net, model.initial_marking, model.final_marking),
        processes=processes,
        timeout=trace_timeout,
    ):
        results[result.index] = result
    ordered = [results[i] for i in range(len(variants))]
    counts = indexed.group_by(VARIANT_INDEX).agg(pl.len().cast(pl.UInt32).alias("cases"))
    per_variant = pl.DataFrame(
        {
            VARIANT_INDEX: pl.Series(range(len(variants)), dtype=pl.UInt32),
            VARIANT: [list(v) for v in variants],
            FITNESS: pl.Series([r.fitness for r in ordered], dtype=pl.Float64),
            COST: pl.Series([r.cost for r in ordered], dtype=pl.Int64),
            "bwc": pl.Series(
                [len(v) * MOVE_COST + r.bwc for v, r in zip(variants, ordered, strict=True)],
                dtype=pl.Int64,
            ),
            "seconds": [r.seconds for r in ordered],
            TIMED_OUT: [r.timed_out for r in ordered],
        }
    ).join(counts, on=VARIANT_INDEX, how="left", maintain_order="left")
    timed_out = per_variant.filter(pl.col(TIMED_OUT))
    if timed_out.height:
        logger.warning(
            "%d variant(s) (%d case(s)) hit the alignment time limit of %.1f s and have no "
            "fitness; raise trace_timeout to align them.",
            timed_out.height,
            int(timed_out.get_column("cases").sum()),
            trace_timeout,
        )
    cases = (
        indexed.select(CASE, VARIANT_INDEX)
        .join(
            per_variant.select(VARIANT_INDEX, FITNESS, COST, TIMED_OUT),
            on=VARIANT_INDEX,
            how="left",
            maintain_order="left",
        )
        .rename({CASE: case_name})
    )
    return Alignments(
        cases=cases,
        variants=per_variant.select(
            VARIANT_INDEX, VARIANT, "cases", FITNESS, COST, "bwc", "seconds", TIMED_OUT
        ),
        moves={r.index: r.moves for r in ordered},
        case_column=case_name,
    )


def _variant_deviations(
    moves: tuple[tuple[str, str | None], ...],
) -> list[tuple[str, str, int]]:
    """``(kind, activity, log position)`` for each deviating move of one alignment.

    The position of an inserted activity is the index of its event in the trace; a skipped
    activity gets the index of the last event before the point where it was due (or 0).
    """
    inserted: list[tuple[str, int]] = []
    skipped: list[tuple[str, int]] = []
    position = 0
    for log_label, model_label in moves:
        if log_label != _SKIP:
            if model_label == _SKIP:
                inserted.append((log_label, position))
            position += 1
        elif model_label is not None and model_label != _SKIP:
            skipped.append((model_label, max(position - 1, 0)))
    out: list[tuple[str, str, int]] = []
    pending = list(skipped)
    for activity, at in inserted:
        match = next((i for i, (a, _) in enumerate(pending) if a == activity), None)
        if match is None:
            out.append(("inserted", activity, at))
        else:
            pending.pop(match)
            out.append(("wrong_order", activity, at))
    out.extend(("skipped", activity, at) for activity, at in pending)
    return out


def find_deviations(
    data: Frame,
    alignments: Alignments,
    *,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
    agency: str = schema.AGENCY,
) -> pl.DataFrame:
    """Every deviation of every journey, attributed to the agency where it happened.

    Returns one row per deviation: the case column, ``kind`` (see :data:`DEVIATION_KINDS`),
    ``activity``, ``position`` (index of the event in the journey) and ``agency`` (the agency of
    the event at that position: the agency that recorded an inserted or misplaced activity, or
    the agency holding the person when a required step was skipped).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> from journeys.mining.models import discover_inductive_model
    >>> ev = pl.DataFrame({"person_id": [1, 1, 2, 2, 2], "activity": ["a", "b", "a", "a", "b"],
    ...     "agency": ["x", "y", "x", "x", "y"],
    ...     "start": [datetime(2024, 1, d) for d in (1, 2, 1, 2, 3)]})
    >>> model = discover_inductive_model(ev.filter(pl.col("person_id") == 1))
    >>> find_deviations(ev, check_alignments(ev, model, processes=1)).rows()
    [(2, 'inserted', 'a', 1, 'x')]
    """
    case_name = alignments.case_column
    traces, _ = _traces(
        data,
        case=case_name,
        activity=activity,
        timestamp=timestamp,
        function="find_deviations",
        extra=(agency,),
    )
    rows: list[tuple[int, str, str, int]] = [
        (index, kind, act, at)
        for index, moves in alignments.moves.items()
        for kind, act, at in _variant_deviations(moves)
    ]
    per_variant = pl.DataFrame(
        rows,
        schema={
            VARIANT_INDEX: pl.UInt32,
            KIND: pl.String,
            activity: pl.String,
            POSITION: pl.UInt32,
        },
        orient="row",
    )
    case_dtype = traces.schema[CASE]
    with_agency = traces.select(pl.col(CASE), pl.col(agency)).rename({CASE: case_name})
    return (
        alignments.cases.select(case_name, VARIANT_INDEX)
        .join(per_variant, on=VARIANT_INDEX, how="inner", maintain_order="left")
        .join(with_agency, on=case_name, how="left", maintain_order="left")
        .with_columns(pl.col(agency).list.get(pl.col(POSITION).cast(pl.Int64), null_on_oob=True))
        .select(pl.col(case_name).cast(case_dtype), KIND, activity, POSITION, agency)
    )


def summarise_deviations(
    deviations: pl.DataFrame, *, agency: str = schema.AGENCY, activity: str = schema.ACTIVITY
) -> pl.DataFrame:
    """Deviation counts per agency, kind and activity (and the number of journeys affected).

    Examples
    --------
    >>> import polars as pl
    >>> d = pl.DataFrame({"person_id": [1, 1, 2], "kind": ["inserted"] * 3,
    ...     "activity": ["a"] * 3, "position": [1, 2, 1], "agency": ["x"] * 3})
    >>> summarise_deviations(d).rows()
    [('x', 'inserted', 'a', 3, 2)]
    """
    case_name = deviations.columns[0]
    return (
        deviations.group_by(agency, KIND, activity)
        .agg(
            pl.len().cast(pl.UInt32).alias("deviations"),
            pl.col(case_name).n_unique().cast(pl.UInt32).alias("journeys"),
        )
        .sort(["deviations", agency, KIND, activity], descending=[True, False, False, False])
    )


def summarise_by_week(
    data: Frame,
    conformance: pl.DataFrame,
    *,
    case: str | None = None,
    activity: str = schema.ACTIVITY,
    timestamp: str = schema.START,
) -> pl.DataFrame:
    """Conformance per week in which journeys started, for the trend after a redesign.

    ``conformance`` is :func:`check_token_replay`'s result or ``Alignments.cases``. Returns
    ``week`` (Monday), ``journeys``, ``mean_fitness``, ``fitting_share`` (share with fitness 1)
    and ``timed_out`` (journeys without an alignment in time, excluded from the means).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime
    >>> ev = pl.DataFrame({"person_id": [1, 2], "activity": ["a", "a"],
    ...     "start": [datetime(2024, 1, 1), datetime(2024, 1, 9)]})
    >>> fit = pl.DataFrame({"person_id": [1, 2], "fitness": [1.0, 0.5]})
    >>> summarise_by_week(ev, fit).get_column("mean_fitness").to_list()
    [1.0, 0.5]
    """
    traces, case_name = _traces(
        data, case=case, activity=activity, timestamp=timestamp, function="summarise_by_week"
    )
    if case_name not in conformance.columns or FITNESS not in conformance.columns:
        raise DataError(
            f"summarise_by_week needs '{case_name}' and '{FITNESS}' columns in 'conformance' "
            f"(got {', '.join(conformance.columns)}); pass check_token_replay's result or "
            "Alignments.cases."
        )
    timed = pl.col(TIMED_OUT) if TIMED_OUT in conformance.columns else pl.lit(value=False)
    starts = traces.select(
        pl.col(CASE).alias(case_name), pl.col(TS).dt.truncate("1w").alias("week")
    )
    joined = conformance.select(case_name, FITNESS, timed.alias(TIMED_OUT)).join(
        starts, on=case_name, how="inner"
    )
    return (
        joined.group_by("week")
        .agg(
            pl.len().cast(pl.UInt32).alias("journeys"),
            pl.col(FITNESS).filter(~pl.col(TIMED_OUT)).mean().alias("mean_fitness"),
            (pl.col(FITNESS).filter(~pl.col(TIMED_OUT)) == 1.0).mean().alias("fitting_share"),
            pl.col(TIMED_OUT).sum().cast(pl.UInt32).alias(TIMED_OUT),
        )
        .sort("week")
    )
