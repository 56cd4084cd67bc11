"""Alignment workers: one optimal alignment per variant.

The cost function is pm4py's standard one, the one ``pm4py.fitness_alignments`` uses (its A*
state-equation variant): a log move or a visible model move costs 10000, a silent model move 1, a
synchronous move 0. Per-trace fitness is pm4py's formula
``1 - (cost // 10000) / ((len(trace) * 10000 + bwc) // 10000)``, where ``bwc`` is the cost of
aligning the empty trace (Adriansyah, "Aligning observed and modeled behavior", PhD thesis, TU
Eindhoven 2014; van der Aalst, Adriansyah & van Dongen, WIREs DMKD 2012).

Two searches, both optimal, so costs and fitness values are identical to pm4py's:

- the model's reachability graph is computed once and each variant is searched on it by a
  compiled A* (:mod:`journeys.mining._search`), in this process: a variant takes milliseconds,
  less than handing it to a worker process would;
- when the net has no small reachability graph (more than ``max_states`` markings, or unbounded,
  or markings the graph builder does not accept) or a variant's search space is too large,
  pm4py's Dijkstra "less memory" variant runs with exactly that cost function, once per
  variant, in a small process pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from journeys.exceptions import MiningError
from journeys.mining._engine import PM4PY_ACTIVITY, engine_errors, pm4py_module
from journeys.mining._search import (
    LOG_COST,
    MAX_STATES,
    TAU_COST,
    NoAlignmentError,
    ReachabilityGraph,
    UnsuitableNetError,
    align_trace,
    build_reachability_graph,
)

__all__ = ["MOVE_COST", "VariantAlignment", "align_variants", "empty_trace_cost"]

logger = logging.getLogger(__name__)

#: pm4py's standard cost of a log move or a visible model move.
MOVE_COST: Final = LOG_COST
_TAU_COST: Final = TAU_COST
_UNREACHABLE: Final = (
    "the to-be model's final marking cannot be reached from its initial marking; "
    "check that the model is sound (every path from the start event ends at an end event)"
)

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
        raise MiningError(_UNREACHABLE)
    return int(result["cost"])


def _graph_empty_trace_cost(graph: ReachabilityGraph) -> int | None:
    """The empty trace's cost on the graph (``None``: the graph is too large to search)."""
    try:
        found = align_trace(graph, (), timeout=float("inf"))
    except NoAlignmentError as error:
        raise MiningError(_UNREACHABLE) from error
    except UnsuitableNetError:
        return None
    if found is None:  # pragma: no cover - no time limit
        raise MiningError(_UNREACHABLE)
    return found.cost


def _result(
    index: int,
    trace: tuple[str, ...],
    bwc: int,
    found: tuple[int, tuple[tuple[str, str | None], ...]] | None,
    seconds: float,
) -> VariantAlignment:
    if found is None:
        return VariantAlignment(index, None, None, bwc, (), seconds, timed_out=True)
    cost, moves = found
    denominator = (len(trace) * MOVE_COST + bwc) // MOVE_COST
    fitness = 1 - (cost // MOVE_COST) / denominator if denominator > 0 else 0.0
    return VariantAlignment(index, cost, float(fitness), bwc, moves, seconds, timed_out=False)


def _on_graph(
    graph: ReachabilityGraph, task: tuple[int, tuple[str, ...], int, float]
) -> VariantAlignment | None:
    """The variant aligned on the reachability graph, or ``None`` when its search space is too
    large for the graph search (pm4py's search takes it)."""
    index, trace, bwc, timeout = task
    started = time.perf_counter()
    try:
        found = align_trace(graph, trace, timeout=timeout)
    except UnsuitableNetError:
        return None
    except NoAlignmentError as error:  # pragma: no cover - the empty trace was aligned first
        raise MiningError(_UNREACHABLE) from error
    seconds = time.perf_counter() - started
    return _result(index, trace, bwc, None if found is None else (found.cost, found.moves), seconds)


def _finish(index: int, trace: tuple[str, ...], bwc: int, timeout: float) -> VariantAlignment:
    net, im, fm = _STATE["model"]
    result, seconds = _align_one(trace, net, im, fm, timeout)
    found = None if result is None else (int(result["cost"]), _pm4py_moves(result))
    return _result(index, trace, bwc, found, seconds)


def _pm4py_moves(result: dict[str, Any]) -> tuple[tuple[str, str | None], ...]:
    return tuple((str(a), None if b is None else str(b)) for a, b in result["alignment"])


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


def reachability_graph(
    model: tuple[Any, Any, Any], *, max_states: int = MAX_STATES
) -> ReachabilityGraph | None:
    """The model's reachability graph, or ``None`` (logged) when the graph search cannot be
    used and pm4py's search must run."""
    net, im, fm = model
    try:
        return build_reachability_graph(net, im, fm, max_states=max_states)
    except UnsuitableNetError as reason:
        logger.info("alignments fall back to pm4py's search: %s", reason)
        return None


def align_variants(
    variants: Iterable[tuple[str, ...]],
    model: tuple[Any, Any, Any],
    *,
    processes: int,
    timeout: float,
    max_states: int = MAX_STATES,
) -> Iterator[VariantAlignment]:
    """Align each variant once; yields results in completion order.

    Variants are searched on the model's reachability graph, in this process, when it has at
    most ``max_states`` markings. The others (every variant when the graph is too large) go to
    pm4py's search in ``processes`` worker processes, handed out longest first (the slow ones),
    one at a time, so the two workers of a two-core machine finish together.
    """
    pm4py_module()
    net, im, fm = model
    graph = reachability_graph(model, max_states=max_states)
    bwc = None if graph is None else _graph_empty_trace_cost(graph)
    if bwc is None:
        graph = None
        with engine_errors("aligning the empty trace"):
            bwc = empty_trace_cost(net, im, fm)
    tasks = [(i, tuple(v), bwc, timeout) for i, v in enumerate(variants)]
    tasks.sort(key=lambda task: -len(task[1]))
    if graph is not None:
        pending = []
        for task in tasks:
            done = _on_graph(graph, task)
            if done is None:
                pending.append(task)
            else:
                yield done
        if pending:
            logger.info(
                "%d variant(s) have too large a search space for the graph search; "
                "pm4py's search aligns them",
                len(pending),
            )
        tasks = pending
    if not tasks:
        return
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
