"""Token-replay workers: pm4py's token-based replay of each variant, in a small process pool.

Token replay follows Rozinat & van der Aalst, "Conformance checking of processes based on
monitoring real behavior", Information Systems 33(1), 2008, as implemented by pm4py.

Why splitting the variants over processes gives the same numbers as one call on the whole log:
pm4py replays each variant independently. Its post-fix and marking-to-activity caches are
switched off (``TechnicalParameters.ENABLE_POSTFIX_CACHE`` / ``ENABLE_MARKTOACT_CACHE`` are
``False`` and we never ask for a reduction replay, the only case that turns one on); the only
state shared between variants is the "activities not in the model" dictionary, which changes a
trace's fitness only when ``consider_activities_not_in_model_in_fitness`` is set (we leave it at
its default, ``False``, as ``pm4py.conformance_diagnostics_token_based_replay`` does). The
"shortest paths through hidden transitions" table depends on the net alone, so it is computed
once and handed to every call.

Replaying in chunks also keeps that dictionary small: pm4py keys it by ``Trace``, whose hash is
order-independent, so with thousands of variants it spends a large share of its time comparing
permutations of the same activities.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any, Final

from journeys.mining._align import _context
from journeys.mining._engine import PM4PY_ACTIVITY, engine_errors, pm4py_module

__all__ = ["ReplayRow", "replay_variants"]

#: ``(variant index, trace_fitness, trace_is_fit, missing, remaining, produced, consumed)``.
ReplayRow = tuple[int, float, bool, int, int, int, int]

#: Variants per pm4py call: small enough to keep pm4py's per-call dictionary cheap and to
#: balance two workers, large enough that the per-call set-up does not show.
_CHUNK: Final = 64
#: Below this many variants the pool start-up costs more than it saves.
_MIN_PARALLEL: Final = 256

_STATE: dict[str, Any] = {}


def _prepare(model: tuple[Any, Any, Any]) -> tuple[Any, Any, Any, Any]:
    from pm4py.algo.conformance.tokenreplay.variants.token_replay import TechnicalParameters
    from pm4py.objects.petri_net.utils.petri_utils import get_places_shortest_path_by_hidden

    net, im, fm = model
    paths = get_places_shortest_path_by_hidden(net, TechnicalParameters.MAX_REC_DEPTH.value)
    return net, im, fm, paths


def _replay(chunk: Sequence[tuple[int, tuple[str, ...]]]) -> list[ReplayRow]:
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay
    from pm4py.algo.conformance.tokenreplay.variants.token_replay import Parameters
    from pm4py.objects.log.obj import Event, EventLog, Trace

    net, im, fm, paths = _STATE["model"]
    log = EventLog([Trace([Event({PM4PY_ACTIVITY: a}) for a in v]) for _, v in chunk])
    replayed = token_replay.apply(
        log,
        net,
        im,
        fm,
        parameters={
            Parameters.SHOW_PROGRESS_BAR: False,
            Parameters.ACTIVITY_KEY: PM4PY_ACTIVITY,
            Parameters.PLACES_SHORTEST_PATH_BY_HIDDEN: paths,
        },
    )
    return [
        (
            index,
            float(r["trace_fitness"]),
            bool(r["trace_is_fit"]),
            int(r["missing_tokens"]),
            int(r["remaining_tokens"]),
            int(r["produced_tokens"]),
            int(r["consumed_tokens"]),
        )
        for (index, _), r in zip(chunk, replayed, strict=True)
    ]


def _init(prepared: tuple[Any, Any, Any, Any]) -> None:
    pm4py_module()
    _STATE["model"] = prepared


def _work(chunk: Sequence[tuple[int, tuple[str, ...]]]) -> list[ReplayRow]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return _replay(chunk)


def replay_variants(
    variants: Sequence[tuple[str, ...]],
    model: tuple[Any, Any, Any],
    *,
    processes: int,
) -> Iterator[ReplayRow]:
    """Replay each variant once on ``model`` (net, initial, final marking); any order.

    Variants are handed out in chunks, longest first, to ``processes`` workers (1 runs here).
    """
    pm4py_module()
    with engine_errors("preparing the model for token replay"):
        prepared = _prepare(model)
    order = sorted(range(len(variants)), key=lambda i: -len(variants[i]))
    tasks = [(i, tuple(variants[i])) for i in order]
    chunks = [tasks[k : k + _CHUNK] for k in range(0, len(tasks), _CHUNK)]
    if processes <= 1 or len(tasks) < _MIN_PARALLEL:
        _STATE["model"] = prepared
        with engine_errors("replaying the journeys on the model (token replay)"):
            for chunk in chunks:
                yield from _work(chunk)
        return
    with (
        engine_errors("replaying the journeys on the model (token replay) in worker processes"),
        warnings.catch_warnings(),
    ):
        # Python >= 3.12 warns that fork() in a threaded process may deadlock; the workers
        # only run pm4py's pure-Python replay
        warnings.simplefilter("ignore", DeprecationWarning)
        with _context().Pool(processes, initializer=_init, initargs=(prepared,)) as pool:
            for rows in pool.imap_unordered(_work, chunks, chunksize=1):
                yield from rows
