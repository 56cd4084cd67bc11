"""Compiled numba kernels of the linkage package (private: use the typed wrappers).

- Dice of packed Bloom filters: a hardware popcount (LLVM ``ctpop``) of the AND of ``uint64``
  words, all-to-all with exact pruning, or over candidate pairs without gathering rows;
- encoding: OR of token bit masks into value filters and scatter of value filters to records;
- hashing: SipHash-2-4 (Aumasson & Bernstein 2012) and factorisation of byte strings straight
  from Arrow buffers.

Every kernel is compiled once and cached on disk (``cache=True``); the first call in a fresh
environment compiles (seconds), later processes load the cached machine code. Only the
long all-pairs loops run in parallel: short, memory-bound kernels ran slower with threads in
one-off timings on a shared 2-core machine (the region waits for its slowest thread); a
design choice for that machine, not a benchmarked claim. The string, hashing and encoding
kernels release the GIL (``nogil``), so encoding runs independent columns and fields on two
Python threads instead.
"""

# mypy: disable-error-code="call-arg, attr-defined, var-annotated"
# numba's typing of an ``@intrinsic`` (called with the typing context added by numba) and of
# its type objects is not what mypy sees; the kernels take and return arrays as ``Any`` and
# the typed public functions that call them live in bits.py, encode.py and normalise.py.

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic


@intrinsic
def _ctpop(typingctx: Any, x: Any) -> Any:  # noqa: ARG001 - numba passes the typing context
    """Population count of a 64-bit integer: one LLVM ``ctpop`` (a POPCNT instruction)."""
    if not isinstance(x, types.Integer) or x.bitwidth != 64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:  # noqa: ARG001
        return builder.ctpop(args[0])

    return x(x), codegen


@njit(cache=True)
def _common(x: Any, y: Any) -> int:
    total = 0
    for r in range(x.shape[0]):
        total += _ctpop(x[r] & y[r])
    return total


@njit(cache=True, inline="always")
def _dice_range(  # noqa: PLR0917 - numba kernels take positional arrays
    a: Any, b: Any, left: Any, right: Any, count_a: Any, count_b: Any, out: Any, lo: int, hi: int
) -> None:
    """Dice of pairs ``lo`` to ``hi`` (clipped to the pairs); 0 when both filters are empty."""
    for p in range(lo, min(hi, left.shape[0])):
        i = left[p]
        j = right[p]
        total = count_a[i] + count_b[j]
        out[p] = 0.0 if total == 0 else 2.0 * _common(a[i], b[j]) / total


@njit(cache=True)
def dice_pairs_kernel(  # noqa: PLR0917 - numba kernels take positional arrays
    a: Any, b: Any, left: Any, right: Any, count_a: Any, count_b: Any, out: Any
) -> None:
    """``out[p] = 2 |a[left[p]] & b[right[p]]| / (|a| + |b|)`` (0 when both are empty).

    The ratio is computed in float64 and stored in ``out``'s dtype.
    """
    _dice_range(a, b, left, right, count_a, count_b, out, 0, left.shape[0])


@njit(cache=True, parallel=True)
def dice_pairs_parallel_kernel(  # noqa: PLR0917 - numba kernels take positional arrays
    a: Any, b: Any, left: Any, right: Any, count_a: Any, count_b: Any, out: Any
) -> None:
    """:func:`dice_pairs_kernel` in parallel over blocks of pairs (for many pairs)."""
    n = left.shape[0]
    block = 65536
    for blk in prange((n + block - 1) // block):
        _dice_range(a, b, left, right, count_a, count_b, out, blk * block, (blk + 1) * block)


@njit(cache=True)
def popcount_kernel(words: Any, out: Any) -> None:
    """Set bits of each row."""
    w = words.shape[1]
    for i in range(words.shape[0]):
        total = 0
        for r in range(w):
            total += _ctpop(words[i, r])
        out[i] = total


@njit(cache=True, inline="always")
def _emit(  # noqa: PLR0917 - numba kernels take positional arrays
    out_i: Any,
    out_j: Any,
    out_common: Any,
    c: int,
    k: int,
    capacity: int,
    i: int,
    j: int,
    common: int,
) -> int:
    """Keep pair ``(i, j)`` as chunk ``c``'s ``k``-th find while there is room; counting goes on
    past the capacity, so the caller can re-run a chunk that overflowed."""
    if k < capacity:
        out_i[c, k] = i
        out_j[c, k] = j
        out_common[c, k] = common
    return k + 1


@njit(cache=True, parallel=True)
def dice_matrix_kernel(  # noqa: PLR0917 - numba kernels take positional arrays
    a: Any,
    b: Any,
    count_a: Any,
    count_b: Any,
    rest_a: Any,
    rest_b: Any,
    min_common: Any,
    chunk: int,
    chunk_ids: Any,
    capacity: int,
    out_i: Any,
    out_j: Any,
    out_common: Any,
    found: Any,
) -> None:
    """All pairs whose shared bits reach ``min_common[|a| + |b|]``, in row-major order.

    Rows of ``a`` are cut into chunks of ``chunk`` rows; the chunks ``chunk_ids`` are run, one
    per parallel task. Task ``c`` writes at most ``capacity`` pairs to row ``c`` of the outputs
    and counts all of them in ``found[c]`` (the caller runs the chunks that overflowed again
    with more room).

    Exact pruning, never a heuristic: a pair is skipped when even ``min(|a|, |b|)`` shared
    bits would not reach the threshold, and after the first 7 words when the shared bits so far
    plus the fewer bits either filter has in its other words (``rest_*[row]``) cannot reach it. The
    bound is exact; how many pairs it stops depends on the filters' density (the Dice benchmark
    against anonlink measures the whole kernel, not the share stopped).
    """
    n, w = a.shape
    m = b.shape[0]
    for c in prange(chunk_ids.shape[0]):
        k = 0
        lo = chunk_ids[c] * chunk
        for i in range(lo, min(n, lo + chunk)):
            na = count_a[i]
            x = a[i]
            x0, x1, x2, x3, x4, x5, x6 = x[0], x[1], x[2], x[3], x[4], x[5], x[6]
            rest = rest_a[i]
            for j in range(m):
                nb = count_b[j]
                need = min_common[na + nb]
                if need > min(na, nb):
                    continue
                y = b[j]
                common = (
                    _ctpop(x0 & y[0])
                    + _ctpop(x1 & y[1])
                    + _ctpop(x2 & y[2])
                    + _ctpop(x3 & y[3])
                    + _ctpop(x4 & y[4])
                    + _ctpop(x5 & y[5])
                    + _ctpop(x6 & y[6])
                )
                if common + min(rest, rest_b[j]) < need:
                    continue
                for r in range(7, w):
                    common += _ctpop(x[r] & y[r])
                if common >= need:
                    k = _emit(out_i, out_j, out_common, c, k, capacity, i, j, common)
        found[c] = k


@njit(cache=True, parallel=True)
def dice_matrix_short_kernel(  # noqa: PLR0917 - numba kernels take positional arrays
    a: Any,
    b: Any,
    count_a: Any,
    count_b: Any,
    min_common: Any,
    chunk: int,
    chunk_ids: Any,
    capacity: int,
    out_i: Any,
    out_j: Any,
    out_common: Any,
    found: Any,
) -> None:
    """:func:`dice_matrix_kernel` for filters of fewer than 8 words (no staged pruning)."""
    n = a.shape[0]
    m = b.shape[0]
    for c in prange(chunk_ids.shape[0]):
        k = 0
        lo = chunk_ids[c] * chunk
        for i in range(lo, min(n, lo + chunk)):
            na = count_a[i]
            for j in range(m):
                nb = count_b[j]
                need = min_common[na + nb]
                if need > min(na, nb):
                    continue
                common = _common(a[i], b[j])
                if common >= need:
                    k = _emit(out_i, out_j, out_common, c, k, capacity, i, j, common)
        found[c] = k


# --- strings from Arrow buffers ------------------------------------------------------------


@njit(cache=True, nogil=True)
def views_to_offsets(views: Any, data: Any, base: Any, valid: Any) -> Any:
    """Arrow string views (16 bytes each) to contiguous bytes and int64 offsets.

    A view holds its length (int32) then either the bytes themselves (up to 12) or a prefix,
    a buffer index and an offset (int32 each); ``base[b]`` is where buffer ``b`` starts in
    ``data``. Null rows become empty strings.
    """
    n = views.shape[0]
    lengths = views[:, :4].copy().view(np.int32)
    offsets = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        offsets[r + 1] = offsets[r] + (lengths[r, 0] if valid[r] else 0)
    out = np.empty(offsets[n], dtype=np.uint8)
    meta = views[:, 8:].copy().view(np.int32)
    for r in range(n):
        if not valid[r]:
            continue
        length = lengths[r, 0]
        o = offsets[r]
        if length <= 12:
            for t in range(length):
                out[o + t] = views[r, 4 + t]
        else:
            s = base[meta[r, 0]] + meta[r, 1]
            for t in range(length):
                out[o + t] = data[s + t]
    return offsets, out


@njit(cache=True, nogil=True)
def _bytes_hash(data: Any, start: int, stop: int) -> np.uint64:
    h = np.uint64(0xCBF29CE484222325)
    for t in range(start, stop):
        h = (h ^ np.uint64(data[t])) * np.uint64(0x100000001B3)
    return h ^ (h >> np.uint64(29))


@njit(cache=True, inline="always")
def _fmix64(x: Any) -> Any:
    """MurmurHash3's 64-bit finaliser: every bit of ``x`` moves every bit of the result."""
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xC4CEB9FE1A85EC53)
    return x ^ (x >> np.uint64(33))


@njit(cache=True, nogil=True)
def _grow(keys: Any, slots: Any, count: int) -> Any:
    """Double an open-addressing table of (key, code) and re-insert the codes."""
    size = slots.shape[0] * 2
    mask = np.uint64(size - 1)
    new_slots = np.full(size, -1, dtype=np.int64)
    for c in range(count):
        slot = _fmix64(keys[c]) & mask  # every key bit moves the slot
        while new_slots[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        new_slots[slot] = c
    return new_slots


@njit(cache=True, nogil=True)
def _factorise_keys(keys_in: Any, valid: Any) -> Any:
    """Codes of 64-bit keys in order of first appearance (-1 where not ``valid``) and each
    code's first row: an open-addressing table that doubles when half full, so few distinct
    keys stay in cache."""
    n = keys_in.shape[0]
    slots = np.full(1024, -1, dtype=np.int64)
    keys = np.empty(max(n, 1), dtype=np.uint64)
    first = np.empty(max(n, 1), dtype=np.int64)
    codes = np.empty(n, dtype=np.int64)
    count = 0
    mask = np.uint64(slots.shape[0] - 1)
    for r in range(n):
        if not valid[r]:
            codes[r] = -1
            continue
        h = keys_in[r]
        slot = _fmix64(h) & mask
        while True:
            c = slots[slot]
            if c < 0:
                slots[slot] = count
                keys[count] = h
                first[count] = r
                codes[r] = count
                count += 1
                if 2 * count > slots.shape[0]:
                    slots = _grow(keys, slots, count)
                    mask = np.uint64(slots.shape[0] - 1)
                break
            if keys[c] == h:
                codes[r] = c
                break
            slot = (slot + np.uint64(1)) & mask
    return codes, first[:count].copy()


@njit(cache=True, inline="always")
def _low_bytes(word: Any, used: Any) -> Any:
    """The low ``used`` bytes of a little-endian word (all of it from 8, none from 0)."""
    if used >= 8:
        return word
    if used <= 0:
        return np.uint64(0)
    return word & ((np.uint64(1) << np.uint64(8 * used)) - np.uint64(1))


@njit(cache=True, nogil=True)
def _grow_pairs(table: Any) -> Any:
    """Double an open-addressing table of (hash, code + 1) pairs and re-insert the entries."""
    size = table.shape[0]  # slots in the new table: twice the old one's
    new = np.zeros(2 * size, dtype=np.uint64)
    mask = np.uint64(size - 1)
    for s in range(size // 2):
        if table[2 * s + 1] == 0:
            continue
        h = table[2 * s]
        slot = (h * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(17) & mask
        while new[2 * slot + 1] != 0:
            slot = (slot + np.uint64(1)) & mask
        new[2 * slot] = h
        new[2 * slot + 1] = table[2 * s + 1]
    return new


@njit(cache=True, nogil=True)
def factorise_views(views: Any, data: Any, base: Any, valid: Any) -> Any:
    """Code of each string of an Arrow string-view array in order of first appearance (-1
    for nulls) and each code's first row; exact.

    A string of up to 12 bytes is its own 16-byte key (length and bytes, read as two
    little-endian words, bytes past the string masked off); a longer one is keyed by its
    length, first 4 bytes and FNV-1a hash, and compared byte for byte with the first string
    of a matching key. ``base[b]`` is where data buffer ``b`` starts in ``data``. One pass
    over an open-addressing table of (hash, code) pairs, so a probe reads one cache line;
    the keys of each code's first string are kept side by side for the comparison.
    """
    n = views.shape[0]
    words = views.reshape(-1).view(np.uint64)
    table = np.zeros(2 * 1024, dtype=np.uint64)  # (hash, code + 1); code + 1 == 0: empty
    size = max(n, 1)
    keys = np.empty((size, 2), dtype=np.uint64)
    key_start = np.empty(size, dtype=np.int64)
    first = np.empty(size, dtype=np.int64)
    codes = np.empty(n, dtype=np.int64)
    count = 0
    mask = np.uint64(1024 - 1)
    for r in range(n):
        if not valid[r]:
            codes[r] = -1
            continue
        w0 = words[2 * r]
        w1 = words[2 * r + 1]
        length = np.int64(w0 & np.uint64(0xFFFFFFFF))
        start = np.int64(0)
        if length <= 12:
            k1 = _low_bytes(w0, 4 + length)
            k2 = _low_bytes(w1, length - 4)
        else:
            start = base[np.int64(w1 & np.uint64(0xFFFFFFFF))] + np.int64(w1 >> np.uint64(32))
            k1 = w0
            k2 = _bytes_hash(data, start, start + length)
        h = _fmix64(k1 ^ _fmix64(k2 ^ np.uint64(0x9E3779B97F4A7C15)))
        slot = (h * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(17) & mask
        while True:
            entry = table[2 * slot + 1]
            if entry == 0:
                table[2 * slot] = h
                table[2 * slot + 1] = np.uint64(count + 1)
                keys[count, 0] = k1
                keys[count, 1] = k2
                key_start[count] = start
                first[count] = r
                codes[r] = count
                count += 1
                if 4 * count > table.shape[0]:  # more than half of the slots in use
                    table = _grow_pairs(table)
                    mask = np.uint64(table.shape[0] // 2 - 1)
                break
            c = np.int64(entry) - 1
            if table[2 * slot] == h and keys[c, 0] == k1 and keys[c, 1] == k2:
                same = True
                if length > 12:
                    other = key_start[c]
                    for t in range(length):
                        if data[other + t] != data[start + t]:
                            same = False
                            break
                if same:
                    codes[r] = c
                    break
            slot = (slot + np.uint64(1)) & mask
    return codes, first[:count].copy()


@njit(cache=True, nogil=True)
def factorise_small(values: Any, size: int) -> Any:
    """:func:`factorise_ints` (every row valid) for values in ``[0, size)``: a direct table
    instead of a hash table, the same codes and first rows."""
    table = np.full(size, -1, dtype=np.int64)
    n = values.shape[0]
    codes = np.empty(n, dtype=np.int64)
    first = np.empty(max(n, 1), dtype=np.int64)
    count = 0
    for r in range(n):
        v = values[r]
        c = table[v]
        if c < 0:
            c = count
            table[v] = c
            first[c] = r
            count += 1
        codes[r] = c
    return codes, first[:count].copy()


@njit(cache=True, nogil=True)
def factorise_ints(values: Any, valid: Any) -> Any:
    """Code of each int64 in order of first appearance (-1 where not ``valid``), and each
    code's first row (a growing open-addressing table)."""
    return _factorise_keys(values.view(np.uint64), valid)


# --- SipHash-2-4 ---------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _rotl(x: Any, b: int) -> Any:
    return (x << np.uint64(b)) | (x >> np.uint64(64 - b))


@njit(cache=True, inline="always")
def _sipround(v0: Any, v1: Any, v2: Any, v3: Any) -> Any:
    v0 = v0 + v1
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = v2 + v3
    v3 = _rotl(v3, 16) ^ v2
    v0 = v0 + v3
    v3 = _rotl(v3, 21) ^ v0
    v2 = v2 + v1
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


@njit(cache=True, inline="always")
def _siphash(data: Any, s: Any, length: Any, k0: Any, k1: Any) -> Any:
    """SipHash-2-4 of ``data[s:s + length]`` under the key ``(k0, k1)``."""
    v0 = k0 ^ np.uint64(0x736F6D6570736575)
    v1 = k1 ^ np.uint64(0x646F72616E646F6D)
    v2 = k0 ^ np.uint64(0x6C7967656E657261)
    v3 = k1 ^ np.uint64(0x7465646279746573)
    full = length // 8
    for blk in range(full):
        m = np.uint64(0)
        for t in range(8):
            m |= np.uint64(data[s + 8 * blk + t]) << np.uint64(8 * t)
        v3 ^= m
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
        v0 ^= m
    last = np.uint64(length & 255) << np.uint64(56)
    for t in range(length - 8 * full):
        last |= np.uint64(data[s + 8 * full + t]) << np.uint64(8 * t)
    v3 ^= last
    v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    v0 ^= last
    v2 ^= np.uint64(0xFF)
    for _ in range(4):
        v0, v1, v2, v3 = _sipround(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


@njit(cache=True, nogil=True)
def siphash24_bytes(offsets: Any, data: Any, k0: Any, k1: Any) -> Any:
    """SipHash-2-4 of each byte string ``data[offsets[r]:offsets[r + 1]]``."""
    n = offsets.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    for r in range(n):
        out[r] = _siphash(data, offsets[r], offsets[r + 1] - offsets[r], k0, k1)
    return out


@njit(cache=True, inline="always")
def _hex_word(word: Any, out: Any, r: int, at: int) -> None:
    """The 16 lower-case hex digits of ``word`` (big-endian) into ``out[r, at:at + 16]``."""
    for t in range(16):
        nibble = (word >> np.uint64(60 - 4 * t)) & np.uint64(15)
        # "0"-"9" then "a"-"f" without a branch: 39 more from 10 on
        out[r, at + t] = np.uint8(48 + nibble + 39 * ((nibble + np.uint64(6)) >> np.uint64(4)))


@njit(cache=True, inline="always")
def _view_int(views: Any, r: int, at: int) -> Any:
    """The little-endian int32 at bytes ``at .. at + 3`` of view ``r``."""
    value = np.int64(views[r, at]) | np.int64(views[r, at + 1]) << 8
    value |= np.int64(views[r, at + 2]) << 16 | np.int64(views[r, at + 3]) << 24
    return value


@njit(cache=True, inline="always")
def _copy_view(views: Any, data: Any, base: Any, r: int, out: Any, at: int) -> Any:  # noqa: PLR0917
    """Copy the bytes of string view ``r`` to ``out[at:]``; returns their number."""
    length = _view_int(views, r, 0)
    if length <= 12:
        for t in range(length):
            out[at + t] = views[r, 4 + t]
    else:
        buffer = _view_int(views, r, 8)
        offset = _view_int(views, r, 12)
        s = base[buffer] + offset
        for t in range(length):
            out[at + t] = data[s + t]
    return length


@njit(cache=True, nogil=True)
def pseudonym_hex(  # noqa: PLR0917 - numba kernels take positional arrays
    a_views: Any,
    a_data: Any,
    a_base: Any,
    b_views: Any,
    b_data: Any,
    b_base: Any,
    valid: Any,
    sep: int,
    keys: Any,
) -> Any:
    """32 hex digits per valid row: SipHash-2-4 of ``a + sep + b`` (two Arrow string-view
    arrays) under key ``keys[0:2]`` then under ``keys[2:4]``, each as 16 big-endian hex
    digits. The message is assembled in a scratch buffer, never as a column; rows that are
    not ``valid`` are left undefined."""
    n = a_views.shape[0]
    out = np.empty((n, 32), dtype=np.uint8)
    longest = 1
    for r in range(n):
        if valid[r]:
            la = _view_int(a_views, r, 0)
            lb = _view_int(b_views, r, 0)
            longest = max(longest, la + lb + 1)
    scratch = np.empty(longest, dtype=np.uint8)
    for r in range(n):
        if not valid[r]:
            continue
        la = _copy_view(a_views, a_data, a_base, r, scratch, 0)
        scratch[la] = sep
        length = la + 1 + _copy_view(b_views, b_data, b_base, r, scratch, la + 1)
        _hex_word(_siphash(scratch, 0, length, keys[0], keys[1]), out, r, 0)
        _hex_word(_siphash(scratch, 0, length, keys[2], keys[3]), out, r, 16)
    return out


@njit(cache=True, nogil=True)
def mix_tokens(token: Any, hashes: Any, codes: Any) -> None:
    """``token[r] = splitmix64(token[r] ^ hashes[codes[r]])`` (0 hashed in where code < 0)."""
    for r in range(token.shape[0]):
        c = codes[r]
        x = token[r] ^ (hashes[c] if c >= 0 else np.uint64(0))
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        token[r] = x ^ (x >> np.uint64(31))


# --- tokens and Bloom filter bits ----------------------------------------------------------


@njit(cache=True, nogil=True)
def ngram_tokens(offsets: Any, data: Any, q: int, pad: int) -> Any:
    """q-grams of each string padded with ``q - 1`` ``pad`` bytes on both sides, each as the
    big-endian integer of its q bytes; returns (start of each string's tokens, tokens)."""
    n = offsets.shape[0] - 1
    starts = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        padded = offsets[r + 1] - offsets[r] + 2 * (q - 1)
        starts[r + 1] = starts[r] + max(padded - q + 1, 0)
    out = np.empty(starts[n], dtype=np.int64)
    for r in range(n):
        s = offsets[r]
        length = offsets[r + 1] - s
        o = starts[r]
        for j in range(starts[r + 1] - o):
            code = np.int64(0)
            for t in range(q):
                p = j + t - (q - 1)
                byte = pad if p < 0 or p >= length else data[s + p]
                code = code * 256 + byte
            out[o + j] = code
    return starts, out


@njit(cache=True, nogil=True)
def positional_tokens(offsets: Any, data: Any) -> Any:
    """``position * 256 + byte`` of every byte; returns (starts, tokens)."""
    n = offsets.shape[0] - 1
    out = np.empty(offsets[n] - offsets[0], dtype=np.int64)
    starts = offsets - offsets[0]
    for r in range(n):
        s = offsets[r]
        for p in range(offsets[r + 1] - s):
            out[starts[r] + p] = p * 256 + np.int64(data[s + p])
    return starts, out


@njit(cache=True, nogil=True)
def salted_tokens(pair_value: Any, pair_salt: Any, starts: Any, tokens: Any, shift: int) -> Any:
    """Tokens of each (salt, value) pair: ``salt << shift | token``; returns (starts, tokens)."""
    n = pair_value.shape[0]
    out_starts = np.zeros(n + 1, dtype=np.int64)
    for p in range(n):
        v = pair_value[p]
        out_starts[p + 1] = out_starts[p] + starts[v + 1] - starts[v]
    out = np.empty(out_starts[n], dtype=np.int64)
    for p in range(n):
        v = pair_value[p]
        salt = np.int64(pair_salt[p]) << shift
        o = out_starts[p]
        for t in range(starts[v + 1] - starts[v]):
            out[o + t] = salt | tokens[starts[v] + t]
    return out_starts, out


@njit(cache=True, nogil=True)
def token_masks(h1: Any, h2: Any, m: int, k: int) -> Any:
    """Packed ``(n, m / 64)`` filter of each token: bits ``(h1 mod m + i (h2 mod m)) mod m``,
    ``i < k`` (double hashing, Kirsch & Mitzenmacher 2006)."""
    n = h1.shape[0]
    out = np.zeros((n, m // 64), dtype=np.uint64)
    mm = np.uint64(m)
    for t in range(n):
        a = np.int64(h1[t] % mm)
        b = np.int64(h2[t] % mm)
        for i in range(k):
            p = (a + i * b) % m
            out[t, p >> 6] |= np.uint64(1) << np.uint64(p & 63)
    return out


@njit(cache=True, nogil=True)
def or_tokens(masks: Any, starts: Any, token_index: Any) -> Any:
    """Filter of each value: the OR of its tokens' masks (CSR: ``starts``, ``token_index``)."""
    n = starts.shape[0] - 1
    w = masks.shape[1]
    out = np.zeros((n, w), dtype=np.uint64)
    for v in range(n):
        for t in range(starts[v], starts[v + 1]):
            tok = token_index[t]
            for r in range(w):
                out[v, r] |= masks[tok, r]
    return out


@njit(cache=True, nogil=True)
def or_tokens_pair(masks: Any, other: Any, starts: Any, token_index: Any) -> Any:
    """:func:`or_tokens` of two mask tables over the same tokens in one pass (a field's own
    filter and its CLK bits): each value's token list is read once."""
    n = starts.shape[0] - 1
    w = masks.shape[1]
    v_w = other.shape[1]
    out = np.zeros((n, w), dtype=np.uint64)
    out_other = np.zeros((n, v_w), dtype=np.uint64)
    for v in range(n):
        for t in range(starts[v], starts[v + 1]):
            tok = token_index[t]
            for r in range(w):
                out[v, r] |= masks[tok, r]
            for r in range(v_w):
                out_other[v, r] |= other[tok, r]
    return out, out_other


@njit(cache=True, nogil=True)
def or_rows_into(tables: Any, codes: Any, out: Any) -> None:
    """``out[r] = OR of tables[f][codes[r, f]]`` over the fields ``f`` with ``codes[r, f] >= 0``
    (``tables``: a tuple of ``(m_f, w)`` arrays, one per field, read in place).

    All fields in one pass, four words at a time held in registers, so each record's filter
    is written once; the reads of the value rows (often cache misses) bound the time.
    """
    w = out.shape[1]
    fields = codes.shape[1]
    for r in range(codes.shape[0]):
        for b in range(0, w - 3, 4):
            a0 = a1 = a2 = a3 = np.uint64(0)
            for f in range(fields):
                c = codes[r, f]
                if c >= 0:
                    values = tables[f]
                    a0 |= values[c, b]
                    a1 |= values[c, b + 1]
                    a2 |= values[c, b + 2]
                    a3 |= values[c, b + 3]
            out[r, b] = a0
            out[r, b + 1] = a1
            out[r, b + 2] = a2
            out[r, b + 3] = a3
        for t in range(w - w % 4, w):
            a0 = np.uint64(0)
            for f in range(fields):
                c = codes[r, f]
                if c >= 0:
                    a0 |= tables[f][c, t]
            out[r, t] = a0


@njit(cache=True, nogil=True)
def binary_views(raw: Any, codes: Any) -> Any:
    """Arrow binary views of rows ``raw[codes[r]]`` of a ``(m, nbytes)`` byte matrix held in
    one buffer (null where ``codes[r] < 0``).

    Rows of up to 12 bytes are stored in the view itself; longer rows point at buffer 0,
    offset ``codes[r] * nbytes`` (the caller keeps that under 2**31), so records that share
    a value share its bytes. Null rows are all zeros. The view of each row of ``raw`` is
    built once, as two little-endian words, and copied to the records by code.
    """
    m, nbytes = raw.shape
    n = codes.shape[0]
    table = np.zeros((max(m, 1), 2), dtype=np.uint64)
    for c in range(m):
        w0 = np.uint64(nbytes)
        w1 = np.uint64(0)
        for t in range(min(4, nbytes)):
            w0 |= np.uint64(raw[c, t]) << np.uint64(8 * (4 + t))
        if nbytes <= 12:
            for t in range(4, nbytes):
                w1 |= np.uint64(raw[c, t]) << np.uint64(8 * (t - 4))
        else:
            w1 = np.uint64(c * nbytes) << np.uint64(32)
        table[c, 0] = w0
        table[c, 1] = w1
    words = np.empty(2 * n, dtype=np.uint64)
    for r in range(n):
        c = codes[r]
        if c < 0:
            words[2 * r] = 0
            words[2 * r + 1] = 0
        else:
            words[2 * r] = table[c, 0]
            words[2 * r + 1] = table[c, 1]
    return words.view(np.uint8).reshape(n, 16)
