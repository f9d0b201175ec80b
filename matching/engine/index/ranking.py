"""Top ``k`` per group (radix sorts of coarse scores, then an exact sort of the ties), and
the pile of scored pairs cut down to the top ``k`` seen so far.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np


def top_k_mask(
    group: np.ndarray, score: np.ndarray, tiebreak: np.ndarray, k: int, eligible=None
) -> np.ndarray:
    """Pairs ranked < ``k`` within their group by (−score, tiebreak); ``eligible`` groups only."""
    mask = np.zeros(len(group), dtype=bool)
    if not len(group) or k <= 0:
        return mask
    # Groups with at most k pairs keep them all; only the others need ranking. Groups
    # are positions (small non-negative integers): counting needs no sort.
    small = np.bincount(group)[group] <= k
    mask[small] = True
    rest = np.flatnonzero(~small)
    if len(rest):
        mask[rest[_ranked_below(group[rest], score[rest], tiebreak[rest], k)]] = True
    if eligible is not None:
        mask &= eligible
    return mask


_COARSE = 65535  # a score's coarse rank is a 16-bit digit: NumPy radix-sorts those


def radix_order(*keys: np.ndarray) -> np.ndarray:
    """The order of ``np.lexsort(keys[::-1])`` (by ``keys[0]``, then ``keys[1]``, …) for
    non-negative integer keys: stable sorts of their 16-bit digits, least significant
    first, which NumPy does by radix, several times faster than a 64-bit sort."""
    order = np.arange(len(keys[0]))
    for key in reversed(keys):
        top = int(key.max()) if len(key) else 0
        for shift in range(0, max(top, 1).bit_length(), 16):
            digit = ((key[order] >> shift) & 0xFFFF).astype(np.uint16)
            order = order[np.argsort(digit, kind="stable")]
    return order


def _ranked_below(group: np.ndarray, score: np.ndarray, tiebreak: np.ndarray, k: int):
    """Positions ranked < ``k`` within their group by (−score, tiebreak)."""
    if len(group) > 4 * k and score.min() >= 0.0 and score.max() <= 1.0:
        # Pairs ordered by group, then coarse score (descending) give each group's k-th
        # coarse score. Pairs of a better coarse score rank < k for sure (coarsening
        # keeps the order of scores a coarse step apart); of those at the k-th's coarse
        # score, an exact sort of just them picks the rest.
        coarse = (_COARSE - np.floor(score * _COARSE)).astype(np.uint16)
        order = radix_order(group, coarse)
        g, c = group[order], coarse[order]
        starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
        sizes = np.diff(np.r_[starts, len(g)])
        # Per run: the k-th coarse score (a run of ≤ k pairs keeps all of its pairs).
        kth = np.where(sizes > k, c[np.minimum(starts + k - 1, len(g) - 1)].astype(np.int32),
                       _COARSE + 1)
        run_kth = np.repeat(kth, sizes)
        sure = c < run_kth
        tied = np.flatnonzero(c == run_kth)
        if not len(tied):
            return order[sure]
        # Each run still needs k minus its sure pairs from its tied ones.
        need = k - np.add.reduceat(sure, starts)
        run_of = np.repeat(np.arange(len(starts)), sizes)[tied]
        exact = np.lexsort((tiebreak[order[tied]], -score[order[tied]], run_of))
        ranked = tied[exact]
        first = np.searchsorted(run_of[exact], run_of[exact])
        chosen = ranked[np.arange(len(ranked)) - first < need[run_of[exact]]]
        return np.concatenate([order[sure], order[chosen]])
    return _ranked_exact(group, score, tiebreak, k)


def _raise_floor(floor: np.ndarray, group: np.ndarray, score: np.ndarray, k: int) -> None:
    """``floor[g]`` = max(itself, the lowest of ``score`` in group ``g``) for each group
    with ``k`` entries (the pairs of a group's top ``k``: their lowest is its ``k``-th)."""
    full = np.flatnonzero(np.bincount(group, minlength=len(floor)) >= k)
    if not len(full):
        return
    lowest = np.full(len(floor), np.inf)
    np.minimum.at(lowest, group, score)
    floor[full] = np.maximum(floor[full], lowest[full])


def _ranked_exact(group: np.ndarray, score: np.ndarray, tiebreak: np.ndarray, k: int):
    order = np.lexsort((tiebreak, -score, group))
    g = group[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    return order[(np.arange(len(g)) - run_start) < k]


class _Pile:
    """Scored pairs kept from the units, cut down to the top ``k`` seen so far whenever
    they pass ``limit`` (``Tuning.compact_rows``; or twice what the last cut left: the
    top ``k`` of 300k listings alone is 4.7M pairs, and a pile that never shrank would be
    re-sorted on every unit).

    With ``background``, a cut runs on a thread of its own while new units pile up beside
    it: done by the thread that hands out the units, each cut (1–2 s at 100k listings)
    left the scoring threads without work. Cutting any part of the pairs keeps every pair
    of the final top ``k`` (a pair in the top ``k`` of a set is in the top ``k`` of every
    subset holding it), so when and what is cut changes nothing.
    """

    def __init__(self, cut, *, background: bool, limit: int) -> None:
        self._cut = cut
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._rows = 0
        self._least = self._limit = limit
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="match-cut") if background else None
        self._cutting = None

    def add(self, unit: tuple[np.ndarray, ...] | None) -> None:
        if unit is not None:
            self._parts.append(unit)
            self._rows += len(unit[0])
        if self._cutting is not None and self._cutting.done():
            self._take_cut()
        if self._rows > self._limit and self._cutting is None:
            parts, self._parts, self._rows = self._parts, [], 0
            if self._pool is None:
                self._done(self._cut(parts))
            else:
                self._cutting = self._pool.submit(self._cut, parts)

    def parts(self) -> list[tuple[np.ndarray, ...]]:
        """Everything kept (waits for a cut still running)."""
        if self._cutting is not None:
            self._take_cut()
        return self._parts

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _take_cut(self) -> None:
        cutting, self._cutting = self._cutting, None
        self._done(cutting.result())

    def _done(self, cut: tuple[np.ndarray, ...]) -> None:
        self._parts.insert(0, cut)
        self._rows += len(cut[0])
        # The top k of many listings can itself exceed the bound: wait until the pile
        # doubles, or every unit would re-sort all of it.
        self._limit = max(self._least, 2 * len(cut[0]))


def _check_k(k) -> None:
    if not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"k must be a non-negative integer, not {k!r}")
