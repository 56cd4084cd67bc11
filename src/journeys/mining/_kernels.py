"""Compiled kernels of the process maps: dense codes, case order, one pass per count.

The event log is turned into integer arrays once: each activity and each case gets a small dense
code from an open-addressing hash table (Knuth, *The Art of Computer Programming* vol. 3, 6.4,
linear probing) keyed on polars' 64-bit hash of the value; the caller checks that every value
equals the first value of its code, so a hash collision is detected, never silently merged. The
events are then put in case order with a counting sort and, inside each case, a stable sort by
timestamp (pm4py's tie rule: equal timestamps keep the input order). The directly-follows graph,
the start/end activities, the activity counts and the variants are each one linear pass over the
ordered codes. Variants are grouped by a hash of the code sequence with a full comparison
against the variant's first case, so grouping is exact.

The kernels take and return numpy arrays; :mod:`journeys.mining._frames` and
:mod:`journeys.mining.maps` wrap them in typed Python functions.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = [
    "count_activities",
    "count_edges",
    "dense_codes",
    "group_variants",
    "order_cases",
    "timed_pairs",
]

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

_EMPTY: Final = -1
_SMALL: Final = 24  # segments up to this length are sorted by insertion
_DIGIT: Final = 11  # bits of the case code sorted per radix pass


@njit(cache=True)
def _mix(key: np.uint64) -> np.uint64:
    """The splitmix64 finaliser (Steele, Lea & Flood, OOPSLA 2014): spreads a key's bits."""
    z = key
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _grow(table: U64) -> U64:
    """The same entries in a table of twice as many slots.

    A slot is two words, the key and the code plus one (0: empty), so a probe reads one cache
    line.
    """
    slots = table.size // 2
    bigger = np.zeros(4 * slots, np.uint64)
    mask = np.uint64(2 * slots - 1)
    for slot in range(slots):
        if table[2 * slot + 1] != 0:
            key = table[2 * slot]
            j = _mix(key) & mask
            while bigger[2 * j + 1] != 0:
                j = (j + np.uint64(1)) & mask
            bigger[2 * j] = key
            bigger[2 * j + 1] = table[2 * slot + 1]
    return bigger


@njit(cache=True)
def dense_codes(keys: U64) -> tuple[U32, I64]:
    """Codes 0, 1, ... for the distinct keys in order of first appearance.

    Returns the code of every key and, per code, the position of its first key.
    """
    n = keys.size
    codes = np.empty(n, np.uint32)
    first = np.empty(max(n, 1), np.int64)
    table = np.zeros(2 * 1024, np.uint64)
    mask = np.uint64(1024 - 1)
    m = 0
    for i in range(n):
        key = keys[i]
        j = _mix(key) & mask
        while True:
            stored = table[2 * j + 1]
            if stored == 0:
                table[2 * j] = key
                table[2 * j + 1] = m + 1
                first[m] = i
                codes[i] = m
                m += 1
                if 4 * m > table.size:  # more than half of the slots are taken
                    table = _grow(table)
                    mask = np.uint64(table.size // 2 - 1)
                break
            if table[2 * j] == key:
                codes[i] = stored - 1
                break
            j = (j + np.uint64(1)) & mask
    return codes, first[:m].copy()


@njit(cache=True)
def _sort_segment(ts: I64, codes: U32, start: int, stop: int) -> None:
    """Stable sort of ``ts[start:stop]`` (and ``codes`` alike): equal timestamps keep their
    order. Insertion sort for short cases, merge sort for long ones."""
    if stop - start <= _SMALL:
        for i in range(start + 1, stop):
            key = ts[i]
            code = codes[i]
            j = i - 1
            while j >= start and ts[j] > key:
                ts[j + 1] = ts[j]
                codes[j + 1] = codes[j]
                j -= 1
            ts[j + 1] = key
            codes[j + 1] = code
        return
    by_time = np.argsort(ts[start:stop], kind="mergesort")
    segment_ts = ts[start:stop].copy()
    segment_codes = codes[start:stop].copy()
    for i in range(by_time.size):
        ts[start + i] = segment_ts[by_time[i]]
        codes[start + i] = segment_codes[by_time[i]]


@njit(cache=True)
def _radix_pass(  # noqa: PLR0917 - a numba kernel takes its arrays positionally
    case: U32,
    codes: U32,
    ts: I64,
    to_case: U32,
    to_codes: U32,
    to_ts: I64,
    shift: int,
) -> None:
    """One stable counting-sort pass on the digit ``(case >> shift) & (2**_DIGIT - 1)``."""
    mask = np.uint32((1 << _DIGIT) - 1)
    place = np.zeros((1 << _DIGIT) + 1, np.int64)
    for i in range(case.size):
        place[((case[i] >> shift) & mask) + 1] += 1
    for d in range(1 << _DIGIT):
        place[d + 1] += place[d]
    for i in range(case.size):
        d = (case[i] >> shift) & mask
        j = place[d]
        place[d] += 1
        to_case[j] = case[i]
        to_codes[j] = codes[i]
        to_ts[j] = ts[i]


@njit(cache=True)
def _radix_by_case(
    run_starts: I64, run_case: U32, cases: int, ts: I64, codes: U32
) -> tuple[U32, I64]:
    """Events stably sorted by case code with a least-significant-digit radix sort (Knuth,
    *The Art of Computer Programming* vol. 3, 5.2.5): each pass reads in order and writes to
    ``2**_DIGIT`` places, so memory is touched in long runs instead of at random."""
    n = ts.size
    case = np.empty(n, np.uint32)
    for r in range(run_case.size):
        case[run_starts[r] : run_starts[r + 1]] = run_case[r]
    bits = 0
    while (1 << bits) < cases:
        bits += 1
    a_case, a_codes, a_ts = np.empty(n, np.uint32), np.empty(n, np.uint32), np.empty(n, np.int64)
    b_case, b_codes, b_ts = np.empty(n, np.uint32), np.empty(n, np.uint32), np.empty(n, np.int64)
    _radix_pass(case, codes, ts, a_case, a_codes, a_ts, 0)
    shift = _DIGIT
    while shift < bits:
        _radix_pass(a_case, a_codes, a_ts, b_case, b_codes, b_ts, shift)
        a_case, b_case = b_case, a_case
        a_codes, b_codes = b_codes, a_codes
        a_ts, b_ts = b_ts, a_ts
        shift += _DIGIT
    return a_codes, a_ts


@njit(cache=True)
def order_cases(
    run_starts: I64, run_case: U32, cases: int, ts: I64, codes: U32
) -> tuple[U32, I64, I64, bool]:
    """Events grouped by case (cases in order of first appearance), in time order inside a case.

    ``run_starts`` are the first rows of the runs of equal case values (plus the row count at
    the end) and ``run_case`` the dense case code of each run; ``ts`` and ``codes`` are the
    events' timestamps and activity codes. Returns the codes and timestamps in the new order,
    the case offsets into them (``cases + 1`` values) and whether the order is the input order
    (the log was already grouped by case and in time order: the arrays returned are then empty
    and the input arrays are the answer).
    """
    runs = run_case.size
    n = run_starts[runs]
    offsets = np.zeros(cases + 1, np.int64)
    for r in range(runs):
        offsets[run_case[r] + 1] += run_starts[r + 1] - run_starts[r]
    for c in range(cases):
        offsets[c + 1] += offsets[c]
    grouped = runs == cases  # every case is one run, and codes follow the row order
    if grouped:
        for r in range(runs):
            for i in range(run_starts[r] + 1, run_starts[r + 1]):
                if ts[i] < ts[i - 1]:
                    grouped = False
                    break
            if not grouped:
                break
        if grouped:
            return np.empty(0, np.uint32), np.empty(0, np.int64), offsets, True
    if cases > 1 << _DIGIT and 2 * runs > n:  # many cases, interleaved: radix sort
        out_codes, out_ts = _radix_by_case(run_starts, run_case, cases, ts, codes)
    else:  # counting sort: read the rows in order, write each to the next place of its case
        out_codes = np.empty(n, np.uint32)
        out_ts = np.empty(n, np.int64)
        fill = offsets[:-1].copy()
        for r in range(runs):
            c = run_case[r]
            for i in range(run_starts[r], run_starts[r + 1]):
                out_codes[fill[c]] = codes[i]
                out_ts[fill[c]] = ts[i]
                fill[c] += 1
    for c in range(cases):
        start, stop = offsets[c], offsets[c + 1]
        for i in range(start + 1, stop):
            if out_ts[i] < out_ts[i - 1]:
                _sort_segment(out_ts, out_codes, start, stop)
                break
    return out_codes, out_ts, offsets, False


@njit(cache=True)
def count_activities(codes: U32, offsets: I64, k: int) -> tuple[I64, I64, I64, I64]:
    """Per activity code: events, cases, cases starting with it, cases ending with it."""
    events = np.zeros(k, np.int64)
    cases = np.zeros(k, np.int64)
    starts = np.zeros(k, np.int64)
    ends = np.zeros(k, np.int64)
    last = np.full(k, -1, np.int64)
    for c in range(offsets.size - 1):
        start, stop = offsets[c], offsets[c + 1]
        if stop == start:
            continue
        starts[codes[start]] += 1
        ends[codes[stop - 1]] += 1
        for i in range(start, stop):
            a = codes[i]
            events[a] += 1
            if last[a] != c:
                last[a] = c
                cases[a] += 1
    return events, cases, starts, ends


@njit(cache=True)
def _count_dense_edges(codes: U32, offsets: I64, k: int) -> tuple[I64, I64, I64]:
    """:func:`count_edges` with a ``k * k`` matrix (few activities)."""
    events = np.zeros(k * k, np.int64)
    cases = np.zeros(k * k, np.int64)
    last = np.full(k * k, -1, np.int64)
    for c in range(offsets.size - 1):
        for i in range(offsets[c] + 1, offsets[c + 1]):
            e = np.int64(codes[i - 1]) * k + np.int64(codes[i])
            events[e] += 1
            if last[e] != c:
                last[e] = c
                cases[e] += 1
    present = np.flatnonzero(events)
    return present, events[present], cases[present]


@njit(cache=True)
def _count_hashed_edges(codes: U32, offsets: I64, k: int) -> tuple[I64, I64, I64]:
    """:func:`count_edges` with a hash table of the edges present (many activities)."""
    keys = np.empty(codes.size, np.uint64)
    p = 0
    for c in range(offsets.size - 1):
        for i in range(offsets[c] + 1, offsets[c + 1]):
            keys[p] = np.uint64(codes[i - 1]) * np.uint64(k) + np.uint64(codes[i])
            p += 1
    edge_of, first = dense_codes(keys[:p])
    edges = first.size
    events = np.zeros(edges, np.int64)
    cases = np.zeros(edges, np.int64)
    last = np.full(edges, -1, np.int64)
    p = 0
    for c in range(offsets.size - 1):
        for _ in range(offsets[c] + 1, offsets[c + 1]):
            e = edge_of[p]
            p += 1
            events[e] += 1
            if last[e] != c:
                last[e] = c
                cases[e] += 1
    edge_keys = np.empty(edges, np.int64)
    for e in range(edges):
        edge_keys[e] = np.int64(keys[first[e]])
    return edge_keys, events, cases


@njit(cache=True)
def count_edges(codes: U32, offsets: I64, k: int, dense_limit: int) -> tuple[I64, I64, I64]:
    """Directly-follows pairs inside each case: per edge present, its key ``source * k +
    target``, its number of pairs and its number of cases.

    Counts go to a ``k * k`` matrix when it has at most ``dense_limit`` cells, else to a hash
    table of the edges present.
    """
    if k * k <= dense_limit:
        return _count_dense_edges(codes, offsets, k)
    return _count_hashed_edges(codes, offsets, k)


@njit(cache=True)
def _same(codes: U32, a: int, b: int, length: int) -> bool:
    for i in range(length):  # noqa: SIM110 - numba compiles loops, not all(<generator>)
        if codes[a + i] != codes[b + i]:
            return False
    return True


@njit(cache=True)
def group_variants(codes: U32, offsets: I64) -> tuple[U32, I64, I64]:
    """Cases with the same activity sequence share a variant.

    Returns the variant of each case, and per variant (in order of first appearance) its first
    case and its number of cases.
    """
    m = offsets.size - 1
    variant = np.empty(m, np.uint32)
    first = np.empty(max(m, 1), np.int64)
    hashes = np.empty(max(m, 1), np.uint64)
    counts = np.zeros(max(m, 1), np.int64)
    table = np.full(1024, _EMPTY, np.int64)
    mask = np.uint64(table.size - 1)
    v = 0
    for c in range(m):
        start, stop = offsets[c], offsets[c + 1]
        h = np.uint64(stop - start)
        for i in range(start, stop):  # FNV-1a over the codes (Fowler, Noll & Vo)
            h = (h ^ np.uint64(codes[i])) * np.uint64(0x100000001B3)
        h = _mix(h)
        j = h & mask
        while True:
            found = table[j]
            if found == _EMPTY:
                table[j] = v
                first[v] = c
                hashes[v] = h
                counts[v] = 1
                variant[c] = v
                v += 1
                if 2 * v > table.size:
                    table = _grow_variants(table, hashes)
                    mask = np.uint64(table.size - 1)
                break
            if hashes[found] == h:
                rep = first[found]
                length = stop - start
                if offsets[rep + 1] - offsets[rep] == length and _same(
                    codes, offsets[rep], start, length
                ):
                    counts[found] += 1
                    variant[c] = found
                    break
            j = (j + np.uint64(1)) & mask
    return variant, first[:v].copy(), counts[:v].copy()


@njit(cache=True)
def _grow_variants(table: I64, hashes: U64) -> I64:
    size = table.size * 2
    mask = np.uint64(size - 1)
    bigger = np.full(size, _EMPTY, np.int64)
    for slot in range(table.size):
        v = table[slot]
        if v != _EMPTY:
            j = hashes[v] & mask
            while bigger[j] != _EMPTY:
                j = (j + np.uint64(1)) & mask
            bigger[j] = v
    return bigger


@njit(cache=True)
def timed_pairs(codes: U32, ts: I64, offsets: I64, case_order: I64) -> tuple[U32, U32, I64]:
    """Directly-follows pairs with their time difference, cases taken in ``case_order``.

    Returns per pair the source and target codes and the difference of the physical timestamps.
    """
    n = 0  # exactly one pair per event after the first of its case (an empty case has none)
    for c in range(offsets.size - 1):
        n += max(offsets[c + 1] - offsets[c] - 1, 0)
    source = np.empty(n, np.uint32)
    target = np.empty(n, np.uint32)
    delta = np.empty(n, np.int64)
    p = 0
    for c in case_order:
        for i in range(offsets[c] + 1, offsets[c + 1]):
            source[p] = codes[i - 1]
            target[p] = codes[i]
            delta[p] = ts[i] - ts[i - 1]
            p += 1
    return source[:p], target[:p], delta[:p]
