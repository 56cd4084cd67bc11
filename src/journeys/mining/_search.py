"""Optimal alignments by a shortest-path search on the model's reachability graph.

An alignment of a trace with an accepting Petri net is a sequence of moves: a synchronous move
(a visible transition fires and consumes the next event, which carries its label), a log move
(the next event is skipped by the model), a model move (a transition fires without an event).
An optimal alignment is a cheapest path in the synchronous product of trace and net from
(initial marking, 0 events consumed) to (final marking, all events consumed) (Adriansyah,
"Aligning observed and modeled behavior", PhD thesis, TU Eindhoven 2014, ch. 4; van der Aalst,
Adriansyah & van Dongen, "Replaying history on process models for conformance checking and
performance analysis", WIREs DMKD 2(2), 2012).

When the net is bounded its markings form a finite reachability graph, computed here once per
model (breadth first, with a size limit). A state of the product is then a pair (graph node,
trace position) and the search runs on integer arrays in a compiled kernel: A* (Hart, Nilsson &
Raphael, IEEE TSSC 4(2), 1968) with pm4py's standard costs (log move and visible model move
10000, silent model move 1, synchronous move 0) and a consistent heuristic: every remaining
event whose label no transition reachable from the node carries must become a log move, so
``10000 * (number of such events)`` never overestimates, and it never drops by more than the
cost of a move. The first time the goal is taken from the queue its cost is optimal, so it
equals the cost pm4py's own searches find. Ties between equally cheap states are broken towards
the state furthest into the trace, then by state number: the search is deterministic.

Examples
--------
>>> import warnings
>>> from journeys.mining._engine import pm4py_module
>>> pm4py = pm4py_module()
>>> from pm4py.objects.petri_net.obj import Marking, PetriNet
>>> from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to, add_place
>>> from pm4py.objects.petri_net.utils.petri_utils import add_transition
>>> net = PetriNet("a then b")
>>> p0, p1, p2 = (add_place(net, f"p{i}") for i in range(3))
>>> a, b = add_transition(net, "ta", "a"), add_transition(net, "tb", "b")
>>> for source, target in ((p0, a), (a, p1), (p1, b), (b, p2)):
...     _ = add_arc_from_to(source, target, net)
>>> graph = build_reachability_graph(net, Marking({p0: 1}), Marking({p2: 1}), max_states=100)
>>> graph.nodes
3
>>> found = align_trace(graph, ("a", "c"), timeout=10.0)
>>> found.cost, found.moves
(20000, (('a', 'a'), ('c', '>>'), ('>>', 'b')))
>>> found.fired
('ta', None, 'tb')
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = [
    "LOG_COST",
    "MAX_PRODUCT_STATES",
    "MAX_STATES",
    "TAU_COST",
    "Alignment",
    "NoAlignmentError",
    "ReachabilityGraph",
    "UnsuitableNetError",
    "align_trace",
    "build_reachability_graph",
]

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]

#: pm4py's standard cost of a log move or a visible model move.
LOG_COST: Final = 10_000
#: pm4py's standard cost of a silent model move.
TAU_COST: Final = 1
#: Default limit on the markings of a reachability graph (an unbounded net hits it).
MAX_STATES: Final = 200_000
#: Limit on (graph nodes) x (trace length + 1) for one search (its arrays take ~25 bytes each).
MAX_PRODUCT_STATES: Final = 1 << 22
#: Node expansions between two looks at the clock.
_CHUNK: Final = 50_000
#: Initial heap entries (the heap doubles when an expansion might not fit).
_HEAP: Final = 1024
_SKIP: Final = ">>"

# kernel return codes
_BUDGET, _FOUND, _EXHAUSTED, _FULL = 0, 1, 2, 3


class UnsuitableNetError(Exception):
    """The net is not one whose reachability graph this module can search (the reason says why);
    the caller falls back to pm4py's search."""


class NoAlignmentError(Exception):
    """No alignment exists: the final marking is not reachable from the initial one."""


@dataclass(frozen=True, eq=False)
class ReachabilityGraph:
    """The reachability graph of an accepting Petri net, in compressed sparse row form.

    Node 0 is the initial marking; ``final`` is the node of the final marking (-1 when it is
    unreachable). The arcs leaving node ``u`` are ``arc_start[u]:arc_start[u + 1]``; each has a
    target node, a transition (an index into ``transitions``, the transitions' names), a label
    code (an index into ``labels``, -1 for a silent transition) and a cost.
    ``reach[u, k]`` says whether a transition labelled ``labels[k]`` can fire on some path from
    ``u`` (column ``len(labels)`` is all false: labels the model does not have).
    """

    labels: tuple[str, ...]
    transitions: tuple[str, ...]
    arc_start: I64
    arc_target: I32
    arc_transition: I32
    arc_label: I32
    arc_cost: I64
    reach: npt.NDArray[np.bool_]
    final: int
    max_degree: int

    @property
    def nodes(self) -> int:
        """The number of reachable markings."""
        return int(self.arc_start.size - 1)

    @property
    def arcs(self) -> int:
        """The number of (marking, transition) firings."""
        return int(self.arc_target.size)


@dataclass(frozen=True)
class Alignment:
    """An optimal alignment: its cost and its moves, as pm4py writes them (``(log_label,
    model_label)``, ``">>"`` for the missing side, a model label of ``None`` for a silent
    step); ``fired`` names the transition of each move (``None`` for a log move)."""

    cost: int
    moves: tuple[tuple[str, str | None], ...]
    fired: tuple[str | None, ...]


# --------------------------------------------------------------------------- kernels


@njit(cache=True)
def _hash_row(row: I32) -> np.uint64:
    h = np.uint64(14695981039346656037)
    for x in row:
        h ^= np.uint64(x + 1)
        h *= np.uint64(1099511628211)
    return h


@njit(cache=True)
def _explore(  # noqa: PLR0917 - a numba kernel takes its arrays positionally
    pre_start: I64,
    pre_place: I32,
    pre_weight: I32,
    effect_start: I64,
    effect_place: I32,
    effect_delta: I32,
    initial: I32,
    max_states: int,
) -> tuple[I64, I32, I32, I32, int]:
    """Breadth-first reachability graph of a net. Returns the arc offsets per node, the arc
    targets and transitions, the markings and the node count (-1 when ``max_states`` was
    exceeded)."""
    places = initial.size
    transitions = pre_start.size - 1
    capacity = 1024
    markings = np.empty((capacity, places), np.int32)
    markings[0] = initial
    slots = 2048  # open addressing, power of two, kept under half full
    table = np.full(slots, -1, np.int64)
    table[_hash_row(initial) & np.uint64(slots - 1)] = 0
    count = 1
    arc_cap = 4096
    arc_from = np.empty(arc_cap, np.int64)
    arc_target = np.empty(arc_cap, np.int32)
    arc_transition = np.empty(arc_cap, np.int32)
    arcs = 0
    nxt = np.empty(places, np.int32)
    u = 0
    while u < count:
        for t in range(transitions):
            enabled = True
            for i in range(pre_start[t], pre_start[t + 1]):
                if markings[u, pre_place[i]] < pre_weight[i]:
                    enabled = False
                    break
            if not enabled:
                continue
            nxt[:] = markings[u]
            for i in range(effect_start[t], effect_start[t + 1]):
                nxt[effect_place[i]] += effect_delta[i]
            slot = _hash_row(nxt) & np.uint64(slots - 1)
            v = -1
            while table[slot] >= 0:
                w = table[slot]
                same = True
                for p in range(places):
                    if markings[w, p] != nxt[p]:
                        same = False
                        break
                if same:
                    v = w
                    break
                slot = (slot + np.uint64(1)) & np.uint64(slots - 1)
            if v < 0:
                if count >= max_states:
                    return (
                        arc_from[:0].copy(),
                        arc_target[:0].copy(),
                        arc_transition[:0].copy(),
                        markings[:0].copy(),
                        -1,
                    )
                if count == capacity:
                    capacity *= 2
                    grown = np.empty((capacity, places), np.int32)
                    grown[:count] = markings[:count]
                    markings = grown
                markings[count] = nxt
                v = count
                table[slot] = v
                count += 1
                if 2 * count > slots:
                    slots *= 2
                    table = np.full(slots, -1, np.int64)
                    for w in range(count):
                        s = _hash_row(markings[w]) & np.uint64(slots - 1)
                        while table[s] >= 0:
                            s = (s + np.uint64(1)) & np.uint64(slots - 1)
                        table[s] = w
            if arcs == arc_cap:
                arc_cap *= 2
                f2 = np.empty(arc_cap, np.int64)
                t2 = np.empty(arc_cap, np.int32)
                x2 = np.empty(arc_cap, np.int32)
                f2[:arcs] = arc_from[:arcs]
                t2[:arcs] = arc_target[:arcs]
                x2[:arcs] = arc_transition[:arcs]
                arc_from, arc_target, arc_transition = f2, t2, x2
            arc_from[arcs] = u
            arc_target[arcs] = v
            arc_transition[arcs] = t
            arcs += 1
        u += 1
    start = np.zeros(count + 1, np.int64)
    for i in range(arcs):  # arcs were appended node by node: offsets are running counts
        start[arc_from[i] + 1] += 1
    for i in range(count):
        start[i + 1] += start[i]
    return (
        start,
        arc_target[:arcs].copy(),
        arc_transition[:arcs].copy(),
        markings[:count].copy(),
        count,
    )


@njit(cache=True)
def _label_reach(
    arc_start: I64, arc_target: I32, arc_label: I32, n_labels: int
) -> npt.NDArray[np.bool_]:
    """``reach[u, k]``: a transition labelled ``k`` fires on some path from ``u`` (a fixed
    point; nodes are visited last-discovered first, so few rounds are needed)."""
    n = arc_start.size - 1
    reach = np.zeros((n, n_labels + 1), np.bool_)
    changed = True
    while changed:
        changed = False
        for u in range(n - 1, -1, -1):
            for a in range(arc_start[u], arc_start[u + 1]):
                label = arc_label[a]
                if label >= 0 and not reach[u, label]:
                    reach[u, label] = True
                    changed = True
                v = arc_target[a]
                for k in range(n_labels):
                    if reach[v, k] and not reach[u, k]:
                        reach[u, k] = True
                        changed = True
    return reach


@njit(cache=True)
def _heuristic(reach: npt.NDArray[np.bool_], trace: I32, log_cost: int) -> I64:
    """``h[p * nodes + u]``: ``log_cost`` times the events from position ``p`` on whose label
    cannot fire on any path from node ``u``."""
    nodes = reach.shape[0]
    length = trace.size
    h = np.zeros((length + 1) * nodes, np.int64)
    for p in range(length - 1, -1, -1):
        label = trace[p]
        for u in range(nodes):
            h[p * nodes + u] = h[(p + 1) * nodes + u] + (0 if reach[u, label] else log_cost)
    return h


@njit(cache=True, inline="always")
def _relax(  # noqa: PLR0917 - numba kernels take positional arrays
    nxt: int,
    cost: int,
    via: int,
    arc: int,
    dist: I64,
    closed: Any,
    parent: Any,
    parent_arc: Any,
    h: I64,
    heap: I64,
    size: int,
    states: int,
) -> int:
    """Reach state ``nxt`` from ``via`` by ``arc`` (-1: a log move) at ``cost`` if that is
    cheaper; returns the new heap size."""
    if cost < dist[nxt] and not closed[nxt]:
        dist[nxt] = cost
        parent[nxt] = via
        parent_arc[nxt] = arc
        _push(heap, size, (cost + h[nxt]) * states + (states - 1 - nxt))
        return size + 1
    return size


@njit(cache=True)
def _push(heap: I64, size: int, key: int) -> None:
    i = size
    heap[i] = key
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= key:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = key


@njit(cache=True)
def _pop(heap: I64, size: int) -> int:
    top = heap[0]
    last = heap[size - 1]
    size -= 1
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if heap[child] >= last:
            break
        heap[i] = heap[child]
        i = child
    if size > 0:
        heap[i] = last
    return int(top)


@njit(cache=True)
def _astar(  # noqa: PLR0917 - a numba kernel takes its arrays positionally
    arc_start: I64,
    arc_target: I32,
    arc_label: I32,
    arc_cost: I64,
    trace: I32,
    final: int,
    h: I64,
    dist: I64,
    parent: I32,
    parent_arc: I32,
    closed: npt.NDArray[np.bool_],
    heap: I64,
    heap_size: I64,
    max_degree: int,
    log_cost: int,
    budget: int,
) -> int:
    """Resumable A* on (node, position) states ``p * nodes + u``; all its state lives in the
    arrays passed in. Stops after ``budget`` expansions (``_BUDGET``), at the goal
    (``_FOUND``), when the queue is empty (``_EXHAUSTED``) or when the heap needs more room
    (``_FULL``). A heap key is ``f * states + (states - 1 - state)``: cheapest first, then the
    furthest into the trace."""
    nodes = arc_start.size - 1
    length = trace.size
    states = nodes * (length + 1)
    goal = length * nodes + final
    size = heap_size[0]
    done = 0
    while size > 0:
        if size + 2 * max_degree + 2 > heap.size:  # one expansion pushes at most this many
            heap_size[0] = size
            return _FULL
        if done >= budget:
            heap_size[0] = size
            return _BUDGET
        key = _pop(heap, size)
        size -= 1
        state = states - 1 - key % states
        if closed[state]:
            continue
        g = key // states - h[state]
        if g > dist[state]:
            continue
        closed[state] = True
        done += 1
        if state == goal:
            heap_size[0] = size
            return _FOUND
        p = state // nodes
        u = state - p * nodes
        if p < length:  # log move
            size = _relax(
                state + nodes,
                g + log_cost,
                state,
                -1,
                dist,
                closed,
                parent,
                parent_arc,
                h,
                heap,
                size,
                states,
            )
        event = trace[p] if p < length else -2
        for a in range(arc_start[u], arc_start[u + 1]):
            v = arc_target[a]
            if arc_label[a] == event:  # synchronous move
                size = _relax(
                    (p + 1) * nodes + v,
                    g,
                    state,
                    a,
                    dist,
                    closed,
                    parent,
                    parent_arc,
                    h,
                    heap,
                    size,
                    states,
                )
            # a model move (a visible transition may also move alone)
            size = _relax(
                p * nodes + v,
                g + arc_cost[a],
                state,
                a,
                dist,
                closed,
                parent,
                parent_arc,
                h,
                heap,
                size,
                states,
            )
    heap_size[0] = 0
    return _EXHAUSTED


# --------------------------------------------------------------------------- Python side


def _csr(rows: list[list[tuple[int, int]]]) -> tuple[I64, I32, I32]:
    start = np.zeros(len(rows) + 1, np.int64)
    start[1:] = np.cumsum([len(r) for r in rows])
    flat = [x for r in rows for x in r]
    first = np.array([x[0] for x in flat], np.int32)
    second = np.array([x[1] for x in flat], np.int32)
    return start, first, second


def build_reachability_graph(
    net: Any, initial_marking: Any, final_marking: Any, *, max_states: int = MAX_STATES
) -> ReachabilityGraph:
    """The reachability graph of an accepting Petri net (pm4py objects).

    Raises :class:`UnsuitableNetError` when the net has more than ``max_states`` reachable
    markings (every unbounded net does), a marking names a place outside the net, or an arc
    weight is not a positive integer. Places and transitions are numbered by name, so the graph
    does not depend on the order of pm4py's sets.
    """
    places = sorted(net.places, key=lambda p: str(p.name))
    index = {p: i for i, p in enumerate(places)}
    transitions = sorted(
        net.transitions, key=lambda t: (t.label is None, str(t.label), str(t.name))
    )
    for which, marking in (("initial", initial_marking), ("final", final_marking)):
        for place, tokens in marking.items():
            if place not in index or not isinstance(tokens, int) or tokens < 0:
                msg = f"the {which} marking names a place outside the net or a bad token count"
                raise UnsuitableNetError(msg)
    pre: list[list[tuple[int, int]]] = []
    effect: list[list[tuple[int, int]]] = []
    for t in transitions:
        consumed: dict[int, int] = {}
        delta: dict[int, int] = {}
        for arc in t.in_arcs:
            weight = arc.weight
            if not isinstance(weight, int) or weight <= 0 or arc.source not in index:
                raise UnsuitableNetError("an arc has a weight that is not a positive integer")
            consumed[index[arc.source]] = consumed.get(index[arc.source], 0) + weight
            delta[index[arc.source]] = delta.get(index[arc.source], 0) - weight
        for arc in t.out_arcs:
            weight = arc.weight
            if not isinstance(weight, int) or weight <= 0 or arc.target not in index:
                raise UnsuitableNetError("an arc has a weight that is not a positive integer")
            delta[index[arc.target]] = delta.get(index[arc.target], 0) + weight
        pre.append(sorted(consumed.items()))
        effect.append(sorted((p, d) for p, d in delta.items() if d != 0))
    initial = np.zeros(len(places), np.int32)
    for place, tokens in initial_marking.items():
        initial[index[place]] = tokens
    final = np.zeros(len(places), np.int32)
    for place, tokens in final_marking.items():
        final[index[place]] = tokens
    pre_start, pre_place, pre_weight = _csr(pre)
    effect_start, effect_place, effect_delta = _csr(effect)
    arc_start, arc_target, arc_transition, markings, count = _explore(
        pre_start,
        pre_place,
        pre_weight,
        effect_start,
        effect_place,
        effect_delta,
        initial,
        max_states,
    )
    if count < 0:
        msg = f"the net has more than {max_states:,} reachable markings (or is unbounded)"
        raise UnsuitableNetError(msg)
    labels = tuple(sorted({str(t.label) for t in transitions if t.label is not None}))
    code = {label: i for i, label in enumerate(labels)}
    t_label = np.array(
        [code[str(t.label)] if t.label is not None else -1 for t in transitions], np.int32
    )
    t_cost = np.array(
        [LOG_COST if t.label is not None else TAU_COST for t in transitions], np.int64
    )
    arc_label = t_label[arc_transition] if arc_transition.size else np.empty(0, np.int32)
    arc_cost = t_cost[arc_transition] if arc_transition.size else np.empty(0, np.int64)
    hits = np.flatnonzero((markings == final).all(axis=1))
    degrees = np.diff(arc_start)
    return ReachabilityGraph(
        labels=labels,
        transitions=tuple(str(t.name) for t in transitions),
        arc_start=arc_start,
        arc_target=arc_target,
        arc_transition=arc_transition,
        arc_label=arc_label.astype(np.int32),
        arc_cost=arc_cost.astype(np.int64),
        reach=_label_reach(arc_start, arc_target, arc_label.astype(np.int32), len(labels)),
        final=int(hits[0]) if hits.size else -1,
        max_degree=int(degrees.max()) if degrees.size else 0,
    )


def product_states(graph: ReachabilityGraph, length: int) -> int:
    """How many (node, position) states a search over a trace of ``length`` events has."""
    return graph.nodes * (length + 1)


def align_trace(
    graph: ReachabilityGraph, trace: tuple[str, ...], *, timeout: float
) -> Alignment | None:
    """An optimal alignment of ``trace`` with the graph's net, or ``None`` when ``timeout``
    seconds passed first (the clock is read before every chunk of expansions, the first one
    included).

    Raises :class:`NoAlignmentError` when the final marking cannot be reached and
    :class:`UnsuitableNetError` when the product has more than :data:`MAX_PRODUCT_STATES`
    states.
    """
    started = time.perf_counter()
    if graph.final < 0:
        raise NoAlignmentError("the final marking is not reachable from the initial marking")
    nodes = graph.nodes
    states = product_states(graph, len(trace))
    if states > MAX_PRODUCT_STATES:
        msg = f"the search space has {states:,} states, above {MAX_PRODUCT_STATES:,}"
        raise UnsuitableNetError(msg)
    missing = len(graph.labels)
    code = {label: i for i, label in enumerate(graph.labels)}
    events = np.array([code.get(a, missing) for a in trace], np.int32)
    h = _heuristic(graph.reach, events, LOG_COST)
    dist = np.full(states, np.iinfo(np.int64).max, np.int64)
    parent = np.full(states, -1, np.int32)
    parent_arc = np.full(states, -1, np.int32)
    closed = np.zeros(states, np.bool_)
    heap = np.empty(_HEAP, np.int64)
    heap[0] = h[0] * states + (states - 1)
    dist[0] = 0
    heap_size = np.ones(1, np.int64)
    while True:
        if time.perf_counter() - started > timeout:
            return None
        status = _astar(
            graph.arc_start,
            graph.arc_target,
            graph.arc_label,
            graph.arc_cost,
            events,
            graph.final,
            h,
            dist,
            parent,
            parent_arc,
            closed,
            heap,
            heap_size,
            graph.max_degree,
            LOG_COST,
            _CHUNK,
        )
        if status == _FULL:
            heap = np.concatenate([heap, np.empty(heap.size, np.int64)])
        elif status == _EXHAUSTED:
            raise NoAlignmentError("the final marking cannot be reached with this trace")
        elif status == _FOUND:
            break
    goal = len(trace) * nodes + graph.final
    moves, fired = _moves(graph, trace, parent, parent_arc, goal)
    return Alignment(int(dist[goal]), moves, fired)


def _moves(
    graph: ReachabilityGraph, trace: tuple[str, ...], parent: I32, parent_arc: I32, goal: int
) -> tuple[tuple[tuple[str, str | None], ...], tuple[str | None, ...]]:
    """The moves and fired transitions on the path to ``goal``, read back through parents."""
    nodes = graph.nodes
    out: list[tuple[str, str | None]] = []
    fired: list[str | None] = []
    state = goal
    while state != 0:
        before = int(parent[state])
        arc = int(parent_arc[state])
        position = before // nodes
        fired.append(None if arc < 0 else graph.transitions[int(graph.arc_transition[arc])])
        if arc < 0:
            out.append((trace[position], _SKIP))
        else:
            label_code = int(graph.arc_label[arc])
            label = graph.labels[label_code] if label_code >= 0 else None
            if state // nodes == position:
                out.append((_SKIP, label))
            else:
                out.append((trace[position], label))
        state = before
    out.reverse()
    fired.reverse()
    return tuple(out), tuple(fired)
