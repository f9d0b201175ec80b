"""Every listing's top ``k`` at once (``MatchIndex.select``): work units scored on threads,
kept pairs piled and cut, the offers' and wants' rankings merged; and the two halves of
a geographic cell's work (``select_cell``, ``merge_cell``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from matching.engine.cells import CellPlan
from matching.engine.config import Tuning
from matching.engine.index.geometry import _Candidates
from matching.engine.index.products import _UNSCORED, pair_products, take_scalars
from matching.engine.index.ranking import _check_k, _Pile, _raise_floor, top_k_mask
from matching.engine.knowledge import string_codes
from matching.engine.records import OFFER, WANT
from matching.engine.score import rowdot, score_arrays

# String fields the scorer compares for equality: coded as integers for bulk scoring.
_CODED = ("ewc_entry", "ewc_sub", "ewc_chap", "category", "category_group")


@dataclass(frozen=True)
class Selection:
    """Selected pairs as positions into the offer and want sides, ordered by rank (or by
    place: ``MatchIndex.select(placed=True)``)."""

    offer: np.ndarray
    want: np.ndarray
    distance_km: np.ndarray
    text_sim: np.ndarray
    score: np.ndarray
    offer_top: np.ndarray  # bool: in the top k of its (selecting) offer
    candidates: int = 0  # pairs scored to get here

    def __len__(self) -> int:
        return len(self.offer)

    def take(self, mask: np.ndarray) -> Selection:
        return Selection(self.offer[mask], self.want[mask], self.distance_km[mask],
                         self.text_sim[mask], self.score[mask], self.offer_top[mask],
                         self.candidates)

    @classmethod
    def concat(cls, parts: Sequence[Selection]) -> Selection:
        if not parts:
            return _empty_selection()
        names = ("offer", "want", "distance_km", "text_sim", "score", "offer_top")
        return cls(*(np.concatenate([getattr(p, n) for p in parts]) for n in names),
                   candidates=sum(p.candidates for p in parts))


def _empty_selection() -> Selection:
    e = np.empty(0, dtype=np.int64)
    return Selection(e, e, np.empty(0), np.empty(0), np.empty(0), np.empty(0, dtype=bool))


class _Selecting(_Candidates):
    """The bulk half of ``MatchIndex``: selection of pairs over many listings."""

    tuning: Tuning

    def select(
        self,
        k: int,
        *,
        offers: np.ndarray | None = None,
        wants: np.ndarray | None = None,
        offer_pool: np.ndarray | None = None,
        want_pool: np.ndarray | None = None,
        timings: dict[str, float] | None = None,
        threads: int = 1,
        placed: bool = False,
    ) -> Selection:
        """Pairs in the top ``k`` of a selecting offer or a selecting want, ranked (by
        score, then offer and want id), or with ``placed`` in ``by_place`` order (the
        order a full rematch writes in: no ranking sort to undo).

        ``offers``/``wants`` are the selecting listings (positions within their side; all
        by default). Their counterparts are drawn from ``want_pool``/``offer_pool`` (all by
        default), which must hold every counterpart within range of them: a geographic
        cell passes its own listings and those within its margin. ``timings`` (if given)
        accumulates seconds spent finding candidates and waiting for scores.

        ``threads`` > 1 scores work units on that many threads while this one finds the
        next units' candidates; the result is the same.
        """
        _check_k(k)
        o_side, w_side = self._sides[OFFER], self._sides[WANT]
        all_o = np.arange(len(o_side), dtype=np.int64)
        all_w = np.arange(len(w_side), dtype=np.int64)
        sel_o = all_o if offers is None else np.unique(np.asarray(offers, dtype=np.int64))
        sel_w = all_w if wants is None else np.unique(np.asarray(wants, dtype=np.int64))
        pool_o = all_o if offer_pool is None else np.asarray(offer_pool, dtype=np.int64)
        pool_w = all_w if want_pool is None else np.asarray(want_pool, dtype=np.int64)
        if k == 0 or not len(o_side) or not len(w_side):
            return _empty_selection()
        self._string_codes()  # once, before the scoring threads read them
        selecting_o = np.zeros(len(o_side), dtype=bool)
        selecting_o[sel_o] = True
        selecting_w = np.zeros(len(w_side), dtype=bool)
        selecting_w[sel_w] = True
        # Selecting offers meet every want of the pool; other offers of the pool only
        # meet selecting wants. The two sets of pairs are disjoint and hold all needed.
        others_o = np.setdiff1d(np.union1d(pool_o, sel_o), sel_o)
        scored_pairs = 0
        clock = {"candidates_s": 0.0, "score_s": 0.0}
        sets = [(sel_o, np.union1d(pool_w, sel_w)), (others_o, sel_w)]

        # Units scored at once hold their pairs' arrays together: smaller units keep the
        # memory of several threads near that of one.
        unit_pairs = max(1, self.tuning.unit_pairs // max(1, threads))

        # Per want: a score that ``k`` of its pairs kept so far reach (−inf until then).
        # A pair below it is not in the want's top ``k``: a unit keeps it only for its
        # offer. Found by the pile's cuts, read by the scoring threads; it only ever
        # rises, and any value a thread reads is a true bound, so the result is the same
        # whenever it is updated (at 100k listings the units kept 7–10M pairs, not 13M).
        want_floor = np.full(len(w_side), -np.inf)

        def reduce(tile_pairs):
            # Distances, the range and block rules and the ordering run here, on a
            # scoring thread: the thread finding candidates does the tree queries only.
            pairs, kept_parts = 0, []
            for o, w, d in self._tile_units(*tile_pairs, unit_pairs):
                pairs += len(o)
                part = self._reduce(o, w, d, k, selecting_o, selecting_w, want_floor)
                if part is not None:
                    kept_parts.append(part)
            if not kept_parts:
                return pairs, None
            if len(kept_parts) == 1:
                return pairs, kept_parts[0]
            return pairs, tuple(np.concatenate(c) for c in zip(*kept_parts, strict=True))

        def cut(parts):
            return self._top_k_union(parts, k, selecting_o, selecting_w, want_floor)[:5]

        pile = _Pile(cut, background=threads > 1, limit=self.tuning.compact_rows)
        units = self._timed_units(sets, clock)
        try:
            for pairs, unit in _mapped(reduce, units, threads, clock):
                started = time.perf_counter()
                scored_pairs += pairs
                pile.add(unit)
                clock["score_s"] += time.perf_counter() - started
            started = time.perf_counter()
            kept = pile.parts()
        finally:
            pile.close()
        if timings is not None:
            for name, value in clock.items():
                timings[name] = timings.get(name, 0.0) + value
        if not kept:
            return _empty_selection()
        if threads > 1:
            with ThreadPoolExecutor(1, thread_name_prefix="match-final") as final:
                chosen = self._top_k_union(kept, k, selecting_o, selecting_w, pool=final)
        else:
            chosen = self._top_k_union(kept, k, selecting_o, selecting_w)
        if timings is not None:
            timings["score_s"] = timings.get("score_s", 0.0) + time.perf_counter() - started
        if placed:
            return self.by_place(Selection(*chosen, candidates=scored_pairs))
        return self._ranked(*chosen, candidates=scored_pairs)

    def _timed_units(self, sets, clock: dict[str, float]) -> Iterator[tuple]:
        """The candidate tiles of each (offers, wants) set; time spent finding them is
        added to ``clock["candidates_s"]``."""
        for o_set, w_set in sets:
            if not len(o_set) or not len(w_set):
                continue
            units = self._candidate_tiles(o_set, w_set)
            while True:
                started = time.perf_counter()
                found = next(units, None)
                clock["candidates_s"] += time.perf_counter() - started
                if found is None:
                    break
                yield found

    def _ranked(self, o, w, d, s, score, offer_top, candidates: int = 0) -> Selection:
        ids_o = self._sides[OFFER].arrays.ids[o]
        ids_w = self._sides[WANT].arrays.ids[w]
        order = np.lexsort((ids_w, ids_o, -score))
        return Selection(o[order], w[order], d[order], s[order], score[order],
                         offer_top[order], candidates=candidates)

    def _top_k_union(
        self, parts: list[tuple[np.ndarray, ...]], k: int, selecting_o, selecting_w,
        want_floor: np.ndarray | None = None, pool: ThreadPoolExecutor | None = None,
    ) -> tuple[np.ndarray, ...]:
        """Of scored pairs, those in the top ``k`` of a selecting offer or want.

        ``want_floor`` (if given) is raised to each want's ``k``-th best score among
        these pairs, where it has ``k`` of them. ``pool`` (if given) ranks the wants'
        pairs on one of its threads while this one ranks the offers'."""
        o_side, w_side = self._sides[OFFER], self._sides[WANT]
        o, w, d, s, score = (np.concatenate(column) for column in zip(*parts, strict=True))
        if self._needs_dedupe:
            # A pair sharing two blocks was found in both: keep one copy.
            key = o.astype(np.int64) * len(w_side) + w
            _, first = np.unique(key, return_index=True)
            o, w, d, s, score = o[first], w[first], d[first], s[first], score[first]
        o_ids, w_ids = o_side.arrays.ids[o], w_side.arrays.ids[w]
        if pool is None:
            offer_top = top_k_mask(o, score, w_ids, k, selecting_o[o])
            want_top = top_k_mask(w, score, o_ids, k)
        else:
            # The two rankings are independent (and mostly sorts, which release the GIL).
            wanted = pool.submit(top_k_mask, w, score, o_ids, k)
            offer_top = top_k_mask(o, score, w_ids, k, selecting_o[o])
            want_top = wanted.result()
        if want_floor is not None:
            _raise_floor(want_floor, w[want_top], score[want_top], k)
        chosen = offer_top | (want_top & selecting_w[w])
        return o[chosen], w[chosen], d[chosen], s[chosen], score[chosen], offer_top[chosen]

    def select_cell(self, plan: CellPlan, cell: int, k: int) -> Selection:
        """First half of a cell's work: score the pairs whose offer lies in the cell.

        Every pair is scored in exactly one cell, the cell of its offer, against the wants
        of the cell's pool. Returned: the pairs in their offer's top ``k`` (final:
        ``offer_top``) and those in their want's top ``k`` among this cell's pairs (a
        partial list; ``merge_cell`` of the want's cell completes it).
        """
        offers = self._sides[OFFER].arrays
        wants = self._sides[WANT].arrays
        mine = np.flatnonzero(plan.assign(offers.lat, offers.lon) == cell)
        pool = np.flatnonzero(plan.pool(cell, wants.lat, wants.lon))
        return self.select(k, offers=mine, wants=pool, offer_pool=mine, want_pool=pool)

    def merge_cell(
        self, plan: CellPlan, cell: int, parts: Sequence[Selection], k: int
    ) -> Selection:
        """Second half: the final pairs whose want lies in ``cell``, from every cell's part.

        A want's top ``k`` overall is within the union of its top ``k`` of each cell, so
        this is exact; with the offers' final pairs, the union over cells is ``select(k)``.
        """
        found = Selection.concat(parts)
        wants = self._sides[WANT].arrays
        found = found.take(plan.assign(wants.lat[found.want], wants.lon[found.want]) == cell)
        ids_o = self._sides[OFFER].arrays.ids[found.offer]
        chosen = found.offer_top | top_k_mask(found.want, found.score, ids_o, k)
        found = found.take(chosen)
        return self._ranked(found.offer, found.want, found.distance_km, found.text_sim,
                            found.score, found.offer_top, candidates=found.candidates)

    def _reduce(
        self,
        o: np.ndarray,
        w: np.ndarray,
        d: np.ndarray,
        k: int,
        selecting_o: np.ndarray,
        selecting_w: np.ndarray,
        want_floor: np.ndarray | None = None,
    ) -> tuple[np.ndarray, ...] | None:
        """Score a unit's pairs; keep those in the unit's top ``k`` of either side (for the
        want's side, only those reaching its ``want_floor``)."""
        o_side, w_side = self._sides[OFFER], self._sides[WANT]
        oa, wa = o_side.arrays, w_side.arrays
        s, inferred, pathway = pair_products(
            [(o_side.matrix, w_side.matrix), (oa.material_near, wa.material),
             (oa.use_potential, wa.use)],
            o,
            w,
            tuning=self.tuning,
        )
        products = {"inferred": inferred, "pathway": pathway}
        if oa.embedding.shape[1]:
            products["cosine"] = rowdot(oa.embedding[o], wa.embedding[w])
        codes = self._string_codes()
        scored = score_arrays(
            take_scalars(oa, o, codes[OFFER], skip=_UNSCORED[OFFER]),
            take_scalars(wa, w, codes[WANT], skip=_UNSCORED[WANT]),
            text_sim=s, distance_km=d,
            products=products,
        )
        alive = np.flatnonzero(scored.accepted)
        if not len(alive):
            return None
        o, w, d, s = o[alive], w[alive], d[alive], s[alive]
        score = np.asarray(scored.score[alive], dtype=np.float64)
        if want_floor is None:
            want_top = top_k_mask(w, score, o_side.arrays.ids[o], k, selecting_w[w])
        else:
            # A want's top k within the unit, among just its pairs that reach its floor:
            # those of its final top k are among them (fewer pairs to rank).
            want_top = np.zeros(len(w), dtype=bool)
            reach = np.flatnonzero(score >= want_floor[w])
            want_top[reach] = top_k_mask(w[reach], score[reach], o_side.arrays.ids[o[reach]],
                                         k, selecting_w[w[reach]])
        keep = top_k_mask(o, score, w_side.arrays.ids[w], k, selecting_o[o]) | want_top
        return o[keep], w[keep], d[keep], s[keep], score[keep]

    def _string_codes(self) -> dict[str, dict[str, np.ndarray]]:
        """Integer codes of the string fields the scorer compares, per side (cached)."""
        codes = self.__dict__.get("_codes")
        if codes is None:
            sides = (self._sides[OFFER].arrays, self._sides[WANT].arrays)
            codes = {OFFER: {}, WANT: {}}
            for name in _CODED:
                o_codes, w_codes = string_codes(*(getattr(a, name) for a in sides))
                codes[OFFER][name], codes[WANT][name] = o_codes, w_codes
            self._codes = codes
        return codes


def _mapped(function, items: Iterator, threads: int, clock: dict[str, float]) -> Iterator:
    """``function`` of each item, in order; with ``threads`` > 1, computed by a pool while
    the items are produced here. Time spent waiting for results goes to ``score_s``.

    NumPy and SciPy release the GIL in their array work (sparse products, sorts, gathers),
    which is most of a unit's scoring: two threads keep two cores busy.
    """
    if threads <= 1:
        for item in items:
            started = time.perf_counter()
            result = function(item)
            clock["score_s"] += time.perf_counter() - started
            yield result
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="match-score") as pool:
        pending: deque = deque()
        try:
            for item in items:
                pending.append(pool.submit(function, item))
                # A bounded backlog bounds memory (each unit holds its pairs' arrays).
                while len(pending) > threads:
                    yield _waited(pending.popleft(), clock)
            while pending:
                yield _waited(pending.popleft(), clock)
        finally:
            for future in pending:
                future.cancel()


def _waited(future, clock: dict[str, float]):
    started = time.perf_counter()
    result = future.result()
    clock["score_s"] += time.perf_counter() - started
    return result


def _run(job):
    return job()
