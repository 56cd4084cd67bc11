"""Alignment workers: one optimal alignment per variant, in a small process pool.

The cost function is pm4py's standard one, the one ``pm4py.fitness_alignments`` uses (its A*
state-equation variant): a log move or a visible model move costs 10000, a silent model move 1, a
synchronous move 0. We search with pm4py's Dijkstra "less memory" variant given exactly that cost
function: it finds an alignment of the same optimal cost as A*, without solving a linear program
at every state, so fitness values are identical and the search is faster. Per-trace fitness is
pm4py's formula ``1 - (cost // 10000) / ((len(trace) * 10000 + bwc) // 10000)``, where ``bwc``
is the cost of aligning the empty trace (Adriansyah, "Aligning observed and modeled behavior",
PhD thesis, TU Eindhoven 2014; van der Aalst, Adriansyah & van Dongen, WIREs DMKD 2012).
"""

from __future__ import annotations

import multiprocessing
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from journeys.exceptions import MiningError
from journeys.mining._engine import PM4PY_ACTIVITY, engine_errors, pm4py_module

__all__ = ["MOVE_COST", "VariantAlignment", "align_variants", "empty_trace_cost"]

#: pm4py's standard cost of a log move or a visible model move.
MOVE_COST: Final = 10_000
_TAU_COST: Final = 1
_SKIP: Final = ">>"

_STATE: dict[str, Any] = {}


@dataclass(frozen=True)
class VariantAlignment:
    """The alignment of one variant.

    ``moves`` is a tuple of ``(log_label, model_label)`` pairs as pm4py writes them: ``">>"``
    marks the missing side, a model label of ``None`` is a silent step. ``cost`` and ``fitness``
    are ``None`` when the per-trace time limit was hit (``timed_out``).
    """

    index: int
    cost: int | None
    fitness: float | None
    bwc: int
    moves: tuple[tuple[str, str | None], ...]
    seconds: float
    timed_out: bool


def _cost_function(net: Any) -> dict[Any, int]:
    return {t: (MOVE_COST if t.label is not None else _TAU_COST) for t in net.transitions}


def _align_one(
    trace: tuple[str, ...], net: Any, im: Any, fm: Any, timeout: float
) -> tuple[dict[str, Any] | None, float]:
    from pm4py.algo.conformance.alignments.petri_net.variants import (
        dijkstra_less_memory as dlm,
    )
    from pm4py.objects.log.obj import Event, Trace

    params = {
        dlm.Parameters.PARAM_MODEL_COST_FUNCTION: _cost_function(net),
        dlm.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: timeout,
        dlm.Parameters.ACTIVITY_KEY: PM4PY_ACTIVITY,
    }
    started = time.perf_counter()
    result = dlm.apply(Trace([Event({PM4PY_ACTIVITY: a}) for a in trace]), net, im, fm, params)
    return result, time.perf_counter() - started


def empty_trace_cost(net: Any, im: Any, fm: Any) -> int:
    """The cost of aligning the empty trace (pm4py's "best worst cost")."""
    pm4py_module()
    with engine_errors("aligning the empty trace"):
        result, _ = _align_one((), net, im, fm, float("inf"))
    if result is None:  # pragma: no cover - the empty trace has no time limit
        msg = (
            "the to-be model's final marking cannot be reached from its initial marking; "
            "check that the model is sound (every path from the start event ends at an end event)"
        )
        raise MiningError(msg)
    return int(result["cost"])


def _finish(index: int, trace: tuple[str, ...], bwc: int, timeout: float) -> VariantAlignment:
    net, im, fm = _STATE["model"]
    result, seconds = _align_one(trace, net, im, fm, timeout)
    if result is None:
        return VariantAlignment(index, None, None, bwc, (), seconds, timed_out=True)
    cost = int(result["cost"])
    denominator = (len(trace) * MOVE_COST + bwc) // MOVE_COST
    fitness = 1 - (cost // MOVE_COST) / denominator if denominator > 0 else 0.0
    moves = tuple((str(a), None if b is None else str(b)) for a, b in result["alignment"])
    return VariantAlignment(index, cost, float(fitness), bwc, moves, seconds, timed_out=False)


def _init(model: tuple[Any, Any, Any]) -> None:
    pm4py_module()
    _STATE["model"] = model


def _work(task: tuple[int, tuple[str, ...], int, float]) -> VariantAlignment:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return _finish(*task)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    # fork starts workers without re-importing pm4py (2 s each); workers use no polars
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def align_variants(
    variants: Iterable[tuple[str, ...]],
    model: tuple[Any, Any, Any],
    *,
    processes: int,
    timeout: float,
) -> Iterator[VariantAlignment]:
    """Align each variant once; yields results in completion order.

    Variants are handed out longest first (the slow ones), one at a time, so the two workers of
    a two-core machine finish together.
    """
    pm4py_module()
    net, im, fm = model
    with engine_errors("aligning the empty trace"):
        bwc = empty_trace_cost(net, im, fm)
    tasks = [(i, tuple(v), bwc, timeout) for i, v in enumerate(variants)]
    tasks.sort(key=lambda task: -len(task[1]))
    if processes <= 1 or len(tasks) < 2:
        _STATE["model"] = model
        with engine_errors("computing alignments"):
            for task in tasks:
                yield _work(task)
        return
    with engine_errors("computing alignments in worker processes"), warnings.catch_warnings():
        # Python >= 3.12 warns that fork() in a threaded process may deadlock; the workers
        # only run pm4py's pure-Python search
        warnings.simplefilter("ignore", DeprecationWarning)
        with _context().Pool(processes, initializer=_init, initargs=(model,)) as pool:
            yield from pool.imap_unordered(_work, tasks, chunksize=1)
