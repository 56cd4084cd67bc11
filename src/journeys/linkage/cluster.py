"""From scored pairs to people: one-to-one assignment and multi-party clustering.

Clustering is connected components over links above the threshold, guarded against chaining:
(1) a cross-agency link is kept only when it is the best link of at least one of its records
towards the other record's agency; (2) a component that holds more than
``max_per_agency`` records of one agency is split by raising the threshold inside it until it
does not (duplicates inside one agency are allowed up to that number).
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import coo_matrix  # type: ignore[import-untyped]  # no stubs installed
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

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


def cluster_links(
    n: int,
    left: Index,
    right: Index,
    weight: Floats,
    *,
    agency: Index,
    max_per_agency: int = 3,
    step: float = 2.0,
    max_rounds: int = 10,
) -> Index:
    """Person label of each of ``n`` records from links ``(left, right, weight)``.

    Labels are 0..k-1, numbered by each cluster's first record.

    Examples
    --------
    >>> cluster_links(4, np.array([0, 1]), np.array([1, 2]), np.array([9.0, 8.0]),
    ...               agency=np.array([0, 1, 2, 0])).tolist()
    [0, 0, 0, 1]
    """
    labels = _components(n, left, right)
    edge_min = np.zeros(len(left))
    for _ in range(max_rounds):
        counts = (
            pl.DataFrame({"c": labels, "a": agency})
            .group_by("c", "a")
            .len()
            .filter(pl.col("len") > max_per_agency)
        )
        if counts.height == 0:
            break
        bad = np.zeros(int(labels.max()) + 1, dtype=np.bool_)
        bad[counts["c"].to_numpy()] = True
        in_bad = bad[labels[left]]
        logger.info("splitting %d over-full cluster(s)", int(bad.sum()))
        edge_min[in_bad] += step
        keep = weight >= edge_min
        left, right, weight, edge_min = left[keep], right[keep], weight[keep], edge_min[keep]
        labels = _components(n, left, right)
    first = pl.DataFrame({"c": labels, "i": np.arange(n)}).group_by("c").agg(pl.col("i").min())
    order = np.empty(int(labels.max()) + 1 if n else 0, dtype=np.int64)
    order[first["c"].to_numpy()] = first["i"].rank("dense").cast(pl.Int64).to_numpy() - 1
    return order[labels] if n else labels
