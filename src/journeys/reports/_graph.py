"""A small layered graph layout and curved edges, so maps need no Graphviz or other binary.

The layout follows the Sugiyama framework in its simplest form (Sugiyama, Tagawa and Toda,
"Methods for visual understanding of hierarchical system structures", IEEE SMC 1981): break
cycles with a depth-first search, give each node a layer by longest path, then order nodes in
each layer by the barycentre of their neighbours over a few sweeps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

__all__ = ["circle_layout", "edge_path", "layered_layout"]

Point = tuple[float, float]


def layered_layout(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], *, sweeps: int = 6
) -> dict[str, Point]:
    """Positions for a left-to-right layered drawing of a directed graph (cycles allowed).

    Examples
    --------
    >>> pos = layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "b")])
    >>> pos["a"][0] < pos["b"][0] < pos["c"][0]
    True
    """
    succ: dict[str, list[str]] = defaultdict(list)
    indeg: dict[str, int] = dict.fromkeys(nodes, 0)
    for u, v in edges:
        if u != v:
            succ[u].append(v)
            indeg[v] = indeg.get(v, 0) + 1
    # depth-first order from the sources (nodes without incoming edges) first
    order: list[str] = []
    seen: set[str] = set()
    roots = [n for n in nodes if indeg.get(n, 0) == 0] + list(nodes)
    for root in roots:
        if root in seen:
            continue
        stack = [(root, iter(succ[root]))]
        seen.add(root)
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in seen:
                    seen.add(child)
                    stack.append((child, iter(succ[child])))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()  # reverse post-order: a topological order once back edges are ignored
    rank = {n: i for i, n in enumerate(order)}
    forward = [(u, v) for u, v in edges if u != v and rank[u] < rank[v]]
    layer = dict.fromkeys(order, 0)
    preds: dict[str, list[str]] = defaultdict(list)
    for u, v in forward:
        preds[v].append(u)
    for n in order:
        if preds[n]:
            layer[n] = max(layer[p] + 1 for p in preds[n])
    layers: dict[int, list[str]] = defaultdict(list)
    for n in order:
        layers[layer[n]].append(n)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for u, v in forward:
        neighbours[u].append(v)
        neighbours[v].append(u)
    slot = {n: float(i) for nodes_ in layers.values() for i, n in enumerate(nodes_)}
    for sweep in range(sweeps):
        keys = sorted(layers) if sweep % 2 == 0 else sorted(layers, reverse=True)
        for k in keys:
            members = layers[k]

            def bary(n: str) -> float:
                near = neighbours[n]
                return float(np.mean([slot[m] for m in near])) if near else slot[n]

            members.sort(key=bary)
            for i, n in enumerate(members):
                slot[n] = float(i)
    pos: dict[str, Point] = {}
    for k, members in layers.items():
        centre = (len(members) - 1) / 2
        for i, n in enumerate(members):
            pos[n] = (float(k), float(centre - i))
    return pos


def circle_layout(nodes: Sequence[str], *, radius: float = 1.0) -> dict[str, Point]:
    """Nodes evenly on a circle, the first at the top, clockwise."""
    count = max(len(nodes), 1)
    return {
        n: (
            radius * math.sin(2 * math.pi * i / count),
            radius * math.cos(2 * math.pi * i / count),
        )
        for i, n in enumerate(nodes)
    }


def edge_path(
    start: Point, end: Point, *, bend: float, trim: float = 0.13, points: int = 21
) -> tuple[list[float], list[float]]:
    """Points of a quadratic Bezier curve from ``start`` to ``end``, bent to the left.

    ``bend`` is the control point's offset as a fraction of the chord length (0 = straight);
    ``trim`` leaves that distance free at both ends so arrows stop at the node. A self-loop
    (``start == end``) is drawn as a small loop above the node. ``points`` is odd so that the
    middle point (the label's place) is a vertex.
    """
    x0, y0 = start
    x1, y1 = end
    if (x0, y0) == (x1, y1):
        t = np.linspace(0.15, 0.85, points) * 2 * math.pi
        r = 0.16
        xs = x0 + r * np.sin(t)
        ys = y0 + r + r * -np.cos(t) * 1.0 + 0.02
        return xs.tolist(), ys.tolist()
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy)
    # control point: chord midpoint pushed to the left of the direction of travel
    cx = (x0 + x1) / 2 - dy * bend
    cy = (y0 + y1) / 2 + dx * bend
    lo = min(trim / length, 0.45)
    t = np.linspace(lo, 1 - lo, points)
    xs = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1
    ys = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1
    return xs.tolist(), ys.tolist()
