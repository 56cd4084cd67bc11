"""The reachability-graph alignment search: optimal costs equal pm4py's own searches, moves are
valid alignments, and the fallback to pm4py's search takes over when the graph cannot be used."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.exceptions import MiningError
from journeys.mining import _search as search
from journeys.mining import check_alignments, discover_variants, read_model
from journeys.mining._align import VariantAlignment, align_variants
from journeys.mining._engine import engine_errors
from journeys.mining._search import (
    Alignment,
    ReachabilityGraph,
    UnsuitableNetError,
    align_trace,
    build_reachability_graph,
)
from tests.mining.conftest import XES_ACTIVITY, XES_CASE, XES_KEYS, XES_TIME
from tests.mining.conftest import oracle as quiet

Model3 = tuple[Any, Any, Any]


def _model(shared_data: Path, name: str) -> Model3:
    model = read_model(shared_data / "models" / name)
    return model.net, model.initial_marking, model.final_marking


def _net(
    places: list[str],
    transitions: list[tuple[str, str | None, dict[str, int], dict[str, int]]],
    initial: dict[str, int],
    final: dict[str, int],
) -> Model3:
    """A Petri net from ``(name, label, preset weights, postset weights)`` rows."""
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

    net = PetriNet("test")
    by_name = {name: PetriNet.Place(name) for name in places}
    for place in by_name.values():
        net.places.add(place)
    for name, label, pre, post in transitions:
        transition = PetriNet.Transition(name, label)
        net.transitions.add(transition)
        for place, weight in pre.items():
            add_arc_from_to(by_name[place], transition, net, weight=weight)
        for place, weight in post.items():
            add_arc_from_to(transition, by_name[place], net, weight=weight)
    return (
        net,
        Marking({by_name[p]: n for p, n in initial.items()}),
        Marking({by_name[p]: n for p, n in final.items()}),
    )


def _tricky(pm4py: Any) -> Model3:
    """Duplicate labels, silent steps, a weight-2 arc, concurrency and a loop back to start."""
    return _net(
        ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"],
        [
            ("t1", "a", {"p0": 1}, {"p1": 1, "p2": 1}),
            ("t2", "b", {"p1": 1}, {"p3": 1}),
            ("t3", "c", {"p2": 1}, {"p4": 1}),
            ("t4", None, {"p2": 1}, {"p4": 1}),
            ("t5", "d", {"p3": 1, "p4": 1}, {"p5": 1}),
            ("t6", "b", {"p5": 1}, {"p6": 2}),
            ("t7", "e", {"p6": 2}, {"p7": 1}),
            ("t8", None, {"p5": 1}, {"p0": 1}),
            ("t9", "c", {"p6": 1}, {"p6": 1}),
        ],
        {"p0": 1},
        {"p7": 1},
    )


def _unbounded(pm4py: Any) -> Model3:
    """``g`` puts a token on ``q`` each time it fires; ``c`` takes one off: no bound."""
    return _net(
        ["p0", "p1", "p2", "q"],
        [
            ("ta", "a", {"p0": 1}, {"p1": 1}),
            ("tg", "g", {"p1": 1}, {"p1": 1, "q": 1}),
            ("tc", "c", {"q": 1}, {}),
            ("tb", "b", {"p1": 1}, {"p2": 1}),
        ],
        {"p0": 1},
        {"p2": 1},
    )


def _pm4py_alignment(model: Model3, trace: tuple[str, ...]) -> dict[str, Any]:
    """pm4py's A* with the state equation: the search ``pm4py.fitness_alignments`` runs."""
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.objects.log.obj import Event, Trace

    with quiet():
        result: dict[str, Any] = alignments.apply(
            Trace([Event({XES_ACTIVITY: a}) for a in trace]),
            *model,
            variant=alignments.Variants.VERSION_STATE_EQUATION_A_STAR,
        )
    return result


def _fire(net: Any, marking: frozenset[tuple[Any, int]], label: str | None) -> set[Any]:
    """The markings reached from ``marking`` by one transition labelled ``label``, read from
    the pm4py net's arcs (markings as frozensets of ``(place, tokens)``)."""
    tokens = dict(marking)
    out = set()
    for t in net.transitions:
        if t.label != label or any(tokens.get(a.source, 0) < a.weight for a in t.in_arcs):
            continue
        after = dict(tokens)
        for arc in t.in_arcs:
            after[arc.source] -= arc.weight
        for arc in t.out_arcs:
            after[arc.target] = after.get(arc.target, 0) + arc.weight
        out.add(frozenset((p, n) for p, n in after.items() if n))
    return out


def _assert_valid(
    model: Model3, trace: tuple[str, ...], moves: tuple[tuple[str, str | None], ...], cost: int
) -> None:
    """``moves`` is an alignment of ``trace`` (its log side is the trace, its model side a firing
    sequence of the net from the initial to the final marking) whose cost under pm4py's
    standard cost function is ``cost``."""
    net, im, fm = model
    assert tuple(a for a, _ in moves if a != ">>") == trace
    total = 0
    reached = {frozenset((p, n) for p, n in im.items() if n)}
    for log_label, model_label in moves:
        if model_label == ">>":
            assert log_label != ">>"
            total += 10_000
            continue
        if log_label != ">>":
            assert log_label == model_label
        else:
            total += 10_000 if model_label is not None else 1
        reached = {after for m in reached for after in _fire(net, m, model_label)}
        assert reached, (log_label, model_label)
    assert frozenset((p, n) for p, n in fm.items() if n) in reached
    assert total == cost


def _assert_fired(model: Model3, trace: tuple[str, ...], found: Alignment) -> None:
    """The transitions the search names fire one after the other with pm4py's semantics, from
    the initial to the final marking, and carry the labels of the moves."""
    from pm4py.objects.petri_net import semantics

    net, im, fm = model
    by_name = {t.name: t for t in net.transitions}
    marking = im
    assert len(found.fired) == len(found.moves)
    for (_, model_label), name in zip(found.moves, found.fired, strict=True):
        if name is None:
            assert model_label == ">>"
            continue
        transition = by_name[name]
        assert transition.label == model_label
        assert semantics.is_enabled(transition, net, marking)
        marking = semantics.execute(transition, net, marking)
    assert marking == fm
    _assert_valid_log_side(trace, found.moves, found.cost)


def _assert_valid_log_side(
    trace: tuple[str, ...], moves: tuple[tuple[str, str | None], ...], cost: int
) -> None:
    assert tuple(a for a, _ in moves if a != ">>") == trace
    total = 0
    for log_label, model_label in moves:
        if log_label != ">>" and model_label != ">>":
            assert log_label == model_label
        elif log_label == ">>":
            total += 10_000 if model_label is not None else 1
        else:
            total += 10_000
    assert total == cost


def _assert_optimal(model: Model3, graph: ReachabilityGraph, trace: tuple[str, ...]) -> None:
    ours = align_trace(graph, trace, timeout=60.0)
    assert isinstance(ours, Alignment)
    assert ours.cost == _pm4py_alignment(model, trace)["cost"]
    _assert_valid(model, trace, ours.moves, ours.cost)
    _assert_fired(model, trace, ours)


@pytest.mark.parametrize("name", ["running-example.bpmn", "receipt.bpmn", "ex1.pnml"])
def test_reachability_graph_equals_pm4py(shared_data: Path, pm4py: Any, name: str) -> None:
    from pm4py.objects.petri_net.utils.reachability_graph import construct_reachability_graph

    net, im, fm = _model(shared_data, name)
    graph = build_reachability_graph(net, im, fm)
    with quiet():
        theirs = construct_reachability_graph(net, im)
    assert graph.nodes == len(theirs.states)
    assert graph.arcs == len(theirs.transitions)
    assert graph.final >= 0


def _traces(labels: list[str], max_size: int) -> st.SearchStrategy[tuple[str, ...]]:
    # "zz" is a label the model does not have: it can only be a log move
    return st.lists(st.sampled_from([*labels, "zz"]), max_size=max_size).map(tuple)


_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda data, pm: _model(data, "running-example.bpmn"), id="running-example"),
        pytest.param(lambda data, pm: _model(data, "ex1.pnml"), id="ex1"),
        pytest.param(lambda data, pm: _tricky(pm), id="tricky"),
    ],
)
def test_optimal_cost_equals_pm4py_on_random_traces(
    shared_data: Path, pm4py: Any, build: Callable[[Path, Any], Model3]
) -> None:
    model = build(shared_data, pm4py)
    graph = build_reachability_graph(*model)
    labels = sorted({t.label for t in model[0].transitions if t.label is not None})

    @_SETTINGS
    @given(trace=_traces(labels, 8))
    def check(trace: tuple[str, ...]) -> None:
        _assert_optimal(model, graph, trace)

    check()


def test_optimal_cost_equals_pm4py_on_random_traces_over_receipt(
    shared_data: Path, pm4py: Any
) -> None:
    """Short traces: pm4py's search is slow on the receipt model once a trace deviates."""
    model = _model(shared_data, "receipt.bpmn")
    graph = build_reachability_graph(*model)
    labels = sorted({t.label for t in model[0].transitions if t.label is not None})

    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(trace=_traces(labels, 3))
    def check(trace: tuple[str, ...]) -> None:
        _assert_optimal(model, graph, trace)

    check()


def test_every_receipt_variant_has_a_valid_optimal_alignment(
    receipt: pl.DataFrame, shared_data: Path
) -> None:
    """Validity of every variant's moves here; their costs against pm4py in test_conformance."""
    model = _model(shared_data, "receipt.bpmn")
    graph = build_reachability_graph(*model)
    variants = (
        receipt.sort(XES_CASE, XES_TIME, maintain_order=True)
        .group_by(XES_CASE, maintain_order=True)
        .agg(pl.col(XES_ACTIVITY))
        .get_column(XES_ACTIVITY)
        .to_list()
    )
    for variant in dict.fromkeys(tuple(v) for v in variants):
        found = align_trace(graph, variant, timeout=60.0)
        assert found is not None
        _assert_fired(model, variant, found)


def test_chunks_and_heap_growth_do_not_change_the_answer(
    receipt: pl.DataFrame, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search pauses every few expansions to read the clock and grows its heap on demand;
    with one expansion per call and a one-entry heap it must find the same alignments."""
    graph = build_reachability_graph(*_model(shared_data, "receipt.bpmn"))
    variants = [*_frequent(receipt, 5), ("T02 Check confirmation of receipt", "zz")]
    expected = [align_trace(graph, v, timeout=60.0) for v in variants]
    monkeypatch.setattr(search, "_CHUNK", 1)
    monkeypatch.setattr(search, "_HEAP", 1)
    assert [align_trace(graph, v, timeout=60.0) for v in variants] == expected


@pytest.mark.parametrize("drop_second_event", [False, True])
def test_running_example_xes_equals_pm4py_case_by_case(
    shared_data: Path, pm4py: Any, drop_second_event: bool
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pm4py suggests an optional faster parser
        log = pm4py.read_xes(str(shared_data / "event_logs" / "running-example.xes.gz"))
    log = log[[XES_CASE, XES_ACTIVITY, XES_TIME]]
    if drop_second_event:  # every journey then skips a step: none fits
        log = log[log.groupby(XES_CASE).cumcount() != 1].reset_index(drop=True)
    model = read_model(shared_data / "models" / "running-example.bpmn")
    args = (model.net, model.initial_marking, model.final_marking)
    ours = check_alignments(pl.from_pandas(log), model, **XES_KEYS, processes=1)
    with quiet(), engine_errors("running the oracle"):
        theirs = pm4py.conformance_diagnostics_alignments(
            log, *args, return_diagnostics_dataframe=True
        )
        expected = pm4py.fitness_alignments(log, *args)
    joined = pl.from_pandas(theirs).rename({"case_id": XES_CASE}).join(ours.cases, on=XES_CASE)
    assert joined.height == ours.cases.height == len(theirs) == 6
    assert joined.get_column("fitness").to_list() == joined.get_column("fitness_right").to_list()
    assert joined.get_column("cost").to_list() == joined.get_column("cost_right").to_list()
    assert (joined.get_column("fitness").max() < 1.0) is drop_second_event
    summary = ours.summary()
    assert summary.pop("timed_out_cases") == 0
    assert summary == expected


def _by_index(results: list[VariantAlignment]) -> list[tuple[Any, ...]]:
    return sorted((r.index, r.cost, r.fitness, r.bwc, r.timed_out) for r in results)


def _frequent(receipt: pl.DataFrame, k: int) -> list[tuple[str, ...]]:
    top = discover_variants(receipt, **XES_KEYS, top_k=k).get_column("variant").to_list()
    return [tuple(v) for v in top]


def test_fallback_to_pm4py_when_the_graph_is_too_large(
    receipt: pl.DataFrame, shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = _model(shared_data, "receipt.bpmn")
    variants = [*_frequent(receipt, 3), ("Confirmation of receipt", "zz")]
    with pytest.raises(UnsuitableNetError, match="more than 10 reachable markings"):
        build_reachability_graph(*model, max_states=10)
    graph = list(align_variants(variants, model, processes=1, timeout=60.0))
    with caplog.at_level(logging.INFO, logger="journeys"):
        fallback = list(align_variants(variants, model, processes=2, timeout=60.0, max_states=10))
    assert "fall back to pm4py's search" in caplog.text
    assert _by_index(graph) == _by_index(fallback)
    assert any(r.fitness is not None and r.fitness < 1.0 for r in graph)  # one deviates
    for result in fallback:  # pm4py's moves: the model side is checked in the small tests
        _assert_valid_log_side(variants[result.index], result.moves, int(result.cost or 0))
    timed_out = list(align_variants(variants, model, processes=1, timeout=1e-9, max_states=10))
    assert all(r.timed_out and r.fitness is None for r in timed_out)


def test_fallback_per_variant_when_the_search_space_is_too_large(
    receipt: pl.DataFrame, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(shared_data, "receipt.bpmn")
    variants = [*_frequent(receipt, 2), ("Confirmation of receipt",)]
    expected = _by_index(list(align_variants(variants, model, processes=1, timeout=60.0)))
    nodes = build_reachability_graph(*model).nodes
    # room for the empty trace and one-event traces only: the longer variants go to pm4py
    monkeypatch.setattr(search, "MAX_PRODUCT_STATES", 2 * nodes)
    mixed = list(align_variants(variants, model, processes=1, timeout=60.0))
    assert _by_index(mixed) == expected
    for result in mixed:
        _assert_valid_log_side(variants[result.index], result.moves, int(result.cost or 0))


def test_unbounded_net_falls_back_to_pm4py(pm4py: Any) -> None:
    model = _unbounded(pm4py)
    with pytest.raises(UnsuitableNetError, match="unbounded"):
        build_reachability_graph(*model, max_states=500)
    variants = [("a", "g", "g", "c", "b"), ("a", "b"), ("a", "c", "b"), ("g",)]
    results = list(align_variants(variants, model, processes=1, timeout=60.0, max_states=500))
    for result in results:
        trace = variants[result.index]
        assert result.cost == _pm4py_alignment(model, trace)["cost"]
        _assert_valid(model, trace, result.moves, int(result.cost or 0))


def test_unreachable_final_marking_is_an_error(pm4py: Any) -> None:
    model = _net(
        ["p0", "p1", "p2"],
        [("ta", "a", {"p0": 1}, {"p1": 1})],
        {"p0": 1},
        {"p2": 1},
    )
    assert build_reachability_graph(*model).final == -1
    with pytest.raises(MiningError, match="final marking cannot be reached"):
        list(align_variants([("a",)], model, processes=1, timeout=10.0))


def test_marking_outside_the_net_is_unsuitable(pm4py: Any) -> None:
    from pm4py.objects.petri_net.obj import Marking, PetriNet

    net, im, _ = _tricky(pm4py)
    with pytest.raises(UnsuitableNetError, match="outside the net"):
        build_reachability_graph(net, im, Marking({PetriNet.Place("elsewhere"): 1}))
