"""From scored pairs to people: one-to-one assignment and multi-party clustering.

Clustering is connected components over links above the threshold, guarded against chaining:
(1) a cross-agency link is kept only when it is the best link of at least one of its records
towards the other record's agency; (2) a component that breaks a constraint (more than
``max_per_agency`` records of one agency, or more than ``max_size`` records) is split by
raising the threshold inside it, from one distinct link weight to the next, so its weakest
links go first; each part stops splitting as soon as it meets the constraint.

The parts are the largest clusters of single-linkage clustering (the maximum spanning forest
cut at a threshold, Gower & Ross 1969) that meet the constraint: a component made of two
people joined by one weak link splits into exactly those two people. Links of equal weight
are cut together, so the result does not depend on the order of the links.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import coo_matrix  # type: ignore[import-untyped]  # no stubs installed
from scipy.sparse.csgraph import (  # type: ignore[import-untyped]
    connected_components,
    minimum_spanning_tree,
)

from journeys.exceptions import LinkageError

__all__ = ["best_per_agency", "cluster_links", "one_to_one"]

logger = logging.getLogger(__name__)

Index = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def one_to_one(left: Index, right: Index, weight: Floats) -> npt.NDArray[np.bool_]:
    """Greedy one-to-one assignment: repeatedly keep pairs that are each other's best.

    Returns a mask of kept pairs; no record appears in two kept pairs.

    Examples
    --------
    >>> one_to_one(np.array([0, 0, 1]), np.array([2, 3, 3]), np.array([5.0, 4.0, 6.0])).tolist()
    [True, False, True]
    """
    keep = np.zeros(len(left), dtype=np.bool_)
    alive = np.ones(len(left), dtype=np.bool_)
    frame = pl.DataFrame({"l": left, "r": right, "w": weight, "id": np.arange(len(left))})
    while alive.any():
        live = frame.filter(pl.Series(alive))
        best_l = live.sort(["w", "id"], descending=[True, False]).unique("l", keep="first")
        best_r = live.sort(["w", "id"], descending=[True, False]).unique("r", keep="first")
        mutual = best_l.join(best_r, on="id", how="semi")["id"].to_numpy()
        if len(mutual) == 0:  # pragma: no cover - a maximum always exists
            break
        keep[mutual] = True
        used_l = np.zeros(int(left.max()) + 1 if len(left) else 1, dtype=np.bool_)
        used_r = np.zeros(int(right.max()) + 1 if len(right) else 1, dtype=np.bool_)
        used_l[left[mutual]] = True
        used_r[right[mutual]] = True
        alive &= ~used_l[left] & ~used_r[right]
        alive[mutual] = False
        # a record used on the left cannot appear on the right in a two-source linkage, but
        # in general it may: also drop pairs touching a used record on either side
        used = np.zeros(max(len(used_l), len(used_r)), dtype=np.bool_)
        used[left[mutual]] = True
        used[right[mutual]] = True
        alive &= ~used[left] & ~used[right]
    return keep


def best_per_agency(
    left: Index, right: Index, weight: Floats, agency: Index
) -> npt.NDArray[np.bool_]:
    """Keep a cross-agency pair when it is its left record's best towards the right record's
    agency, or its right record's best towards the left's. Same-agency pairs are kept."""
    frame = pl.DataFrame(
        {
            "l": left,
            "r": right,
            "w": weight,
            "id": np.arange(len(left)),
            "al": agency[left],
            "ar": agency[right],
        }
    )
    ordered = frame.sort(["w", "id"], descending=[True, False])
    a = ordered.unique(["l", "ar"], keep="first")["id"].to_numpy()
    b = ordered.unique(["r", "al"], keep="first")["id"].to_numpy()
    keep = np.zeros(len(left), dtype=np.bool_)
    keep[a] = True
    keep[b] = True
    keep |= agency[left] == agency[right]
    return keep


def _components(n: int, left: Index, right: Index) -> Index:
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def _over_full(
    labels: Index, agency: Index, *, max_per_agency: int, max_size: int | None
) -> npt.NDArray[np.bool_]:
    """Mask over component labels: True where the component breaks a constraint."""
    bad = np.zeros(int(labels.max()) + 1 if len(labels) else 0, dtype=np.bool_)
    crowded = (
        pl.DataFrame({"c": labels, "a": agency})
        .group_by("c", "a")
        .len()
        .filter(pl.col("len") > max_per_agency)
    )
    bad[crowded["c"].to_numpy()] = True
    if max_size is not None:
        bad |= np.bincount(labels, minlength=len(bad)) > max_size
    return bad


def _spanning_forest(left: Index, right: Index, weight: Floats) -> tuple[Index, Index, Floats]:
    """The links of a maximum spanning forest of the graph ``(left, right, weight)``.

    For every threshold, the forest's links at or above it connect exactly the records that
    all the links at or above it connect (the cycle property), so splitting on the forest
    gives the same parts with far fewer links to walk.
    """
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    nodes, inverse = np.unique(np.concatenate([lo, hi]), return_inverse=True)
    levels, rank = np.unique(-weight, return_inverse=True)  # rank 0 = strongest weight
    # scipy sums repeated entries and reads zeros as "no link": one entry per pair, ranks >= 1
    pairs = (
        pl.DataFrame({"a": inverse[: len(lo)], "b": inverse[len(lo) :], "r": rank + 1})
        .filter(pl.col("a") != pl.col("b"))
        .group_by("a", "b")
        .agg(pl.col("r").min())
    )
    size = len(nodes)
    graph = coo_matrix(
        (pairs["r"].to_numpy().astype(np.float64), (pairs["a"].to_numpy(), pairs["b"].to_numpy())),
        shape=(size, size),
    ).tocsr()
    forest = minimum_spanning_tree(graph).tocoo()
    ranks = np.asarray(forest.data, dtype=np.int64) - 1
    return (
        nodes[np.asarray(forest.row, dtype=np.int64)].astype(np.int64),
        nodes[np.asarray(forest.col, dtype=np.int64)].astype(np.int64),
        -levels[ranks],
    )


def _split(
    left: Index,
    right: Index,
    weight: Floats,
    agency: Index,
    *,
    max_per_agency: int,
    max_size: int | None,
) -> tuple[Index, Index]:
    """Split the components spanned by these links into their largest valid parts.

    Links are merged from the strongest weight level down (Kruskal's order). All the merges
    of one weight level that join the same parts are taken together: when the merged part
    breaks a constraint, or holds a part already refused, none of them is made, and those
    parts are final. This is raising the threshold inside each over-full component to its
    next distinct link weight until every part meets the constraint, done bottom-up in one
    pass. Returns the records and their part ids.
    """
    nodes, inverse = np.unique(np.concatenate([left, right]), return_inverse=True)
    m = len(left)
    order = np.argsort(-weight, kind="stable")
    a_of = inverse[:m][order].tolist()
    b_of = inverse[m:][order].tolist()
    ws = weight[order].tolist()
    parent = list(range(len(nodes)))
    size = [1] * len(nodes)
    counts: list[dict[int, int]] = [{ag: 1} for ag in agency[nodes].tolist()]
    final = [False] * len(nodes)
    limit = len(nodes) if max_size is None else max_size

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def merge(members: list[int]) -> None:
        """Join ``members`` (roots) into one part, or mark them all final."""
        root = max(members, key=lambda r: len(counts[r]))
        merged = counts[root]
        total = sum(size[r] for r in members)
        ok = total <= limit and not any(final[r] for r in members)
        if ok:
            merged = dict(merged)
            for r in members:
                if r != root:
                    for ag, c in counts[r].items():
                        merged[ag] = merged.get(ag, 0) + c
            ok = max(merged.values()) <= max_per_agency
        if not ok:
            for r in members:
                final[r] = True
            return
        for r in members:
            if r != root:
                parent[r] = root
                counts[r] = {}
        counts[root], size[root] = merged, total

    i = 0
    while i < m:
        j = i + 1
        while j < m and ws[j] == ws[i]:
            j += 1
        if j == i + 1:  # one link at this weight: the common case
            ra, rb = find(a_of[i]), find(b_of[i])
            if ra != rb:
                merge([ra, rb])
        else:
            # the parts that this weight level's links join, grouped by a union-find over roots
            join: dict[int, int] = {}

            def top(x: int, join: dict[int, int] = join) -> int:
                while join.setdefault(x, x) != x:
                    x = join[x]
                return x

            for e in range(i, j):
                ra, rb = find(a_of[e]), find(b_of[e])
                if ra != rb:
                    ta, tb = top(ra), top(rb)
                    if ta != tb:
                        join[tb] = ta
            groups: dict[int, list[int]] = {}
            for r in join:
                groups.setdefault(top(r), []).append(r)
            for members in groups.values():
                merge(members)
        i = j
    parts = np.fromiter((find(x) for x in range(len(nodes))), dtype=np.int64, count=len(nodes))
    return nodes.astype(np.int64), parts


def cluster_links(
    n: int,
    left: Index,
    right: Index,
    weight: Floats,
    *,
    agency: Index,
    max_per_agency: int = 3,
    max_size: int | None = None,
) -> Index:
    """Person label of each of ``n`` records from links ``(left, right, weight)``.

    Labels are 0..k-1, numbered by each cluster's first record. A connected component with
    more than ``max_per_agency`` records of one agency, or more than ``max_size`` records
    (``None``: no limit), is split by cutting its weakest links first (see the module notes);
    every other component is one cluster.

    Examples
    --------
    >>> cluster_links(4, np.array([0, 1]), np.array([1, 2]), np.array([9.0, 8.0]),
    ...               agency=np.array([0, 1, 2, 0])).tolist()
    [0, 0, 0, 1]

    Two people (records 0-1 and 2-3, agencies 0 and 1) joined by one weak link split into
    exactly those two people:

    >>> cluster_links(4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([0.95, 0.71, 0.9]),
    ...               agency=np.array([0, 1, 0, 1]), max_per_agency=1).tolist()
    [0, 0, 1, 1]
    """
    if max_per_agency < 1 or (max_size is not None and max_size < 1):
        raise LinkageError(
            "The 'max_per_agency' and 'max_size' parameters of cluster_links must be at least "
            f"1. Got max_per_agency={max_per_agency}, max_size={max_size}."
        )
    labels = _components(n, left, right)
    if n:
        bad = _over_full(labels, agency, max_per_agency=max_per_agency, max_size=max_size)
        if bad.any():
            inside = bad[labels[left]]
            forest = _spanning_forest(left[inside], right[inside], weight[inside])
            nodes, parts = _split(
                *forest,
                agency,
                max_per_agency=max_per_agency,
                max_size=max_size,
            )
            labels = labels.copy()
            labels[nodes] = len(bad) + parts
            logger.info(
                "split %d over-full cluster(s) of %d records into %d",
                int(bad.sum()),
                len(nodes),
                len(np.unique(parts)),
            )
    first = pl.DataFrame({"c": labels, "i": np.arange(n)}).group_by("c").agg(pl.col("i").min())
    order = np.empty(int(labels.max()) + 1 if n else 0, dtype=np.int64)
    order[first["c"].to_numpy()] = first["i"].rank("dense").cast(pl.Int64).to_numpy() - 1
    return order[labels] if n else labels
