"""The match index: a fitted text model, per-side columns and material-blocked radius search.

``MatchIndex.build`` fits the text model on all records and splits them into offers and
wants. Two ways in:

``query(record, k)``
    One listing (indexed or new) against the index: the single-listing path of the portal.

``select(k, ...)`` / ``match_all(k)``
    Every listing's top ``k`` at once (the full rematch), or only those of some listings (a
    geographic cell of a distributed rematch). Vectorised: no Python loop over pairs.

Candidates (lossless). A pair is scored only if its two sites are within the pair's range
(``score.within_range``: the larger of the two transport distances) and the two listings
share a material block (``ListingArrays.block_matrix``; a pair sharing no block is rejected
by the scorer, so skipping it loses nothing). Per block, listings are grouped by reach
class (a quarter octave of ``max_km``), and KD-trees over unit vectors return the pairs
within each class pair's largest range; exact haversine distances then decide.

Work units. Within a block, offers are ordered by reach class and Z-order and cut into
tiles, and a tile's pairs into units of bounded size. A unit's pairs get their text
similarities from sparse products over a few offers at a time (rows with sorted indices,
so every pair's dot product adds the same terms in the same order in every path: single
query, batch, any cell split, and the baseline's merge agree bit for bit), are scored by
``score.score_arrays`` in one call and cut to the pairs in the unit's top ``k`` of their
offer or of their want. A pair in a listing's overall top ``k`` is in the top ``k`` of the
unit holding it, so the cut is exact; the final top ``k`` is taken once over what the
units kept.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from matching.engine.batch import ForkedBatches, can_fork
from matching.engine.cells import CellPlan
from matching.engine.geo import EARTH_RADIUS_KM, haversine_km
from matching.engine.infer import Profiles
from matching.engine.knowledge import Knowledge, string_codes
from matching.engine.records import (
    OFFER,
    WANT,
    ListingRecord,
    MatchColumns,
    MatchRecord,
    pack_records,
    unpack_records,
)
from matching.engine.score import (
    ListingArrays,
    PairScores,
    rowdot,
    score_arrays,
    within_range,
)
from matching.engine.text import BLOCKS as TEXT_BLOCKS
from matching.engine.text import TextModel, listing_text

COUNTERPART = {OFFER: WANT, WANT: OFFER}

# Offers per tile, and pairs per work unit (a tile with more pairs is cut at offer
# boundaries, which bounds memory).
TILE_OFFERS = 256
UNIT_PAIRS = 400_000
# From this many records, the text model is fitted on a thread while profiles are inferred.
OVERLAP_FIT = 5_000
# Dense entries of one offers × wants product slab (8 bytes each), and offers per slab.
PRODUCT_CELLS = 2_000_000
SLAB_OFFERS = 256
# A slab's offer rows are laid out dense when their matrix has at most this many columns
# (the taxonomy and pathway profiles), or over the features they use when that takes at
# most DENSE_CELLS entries (8 bytes each).
DENSE_FEATURES = 4_096
DENSE_CELLS = 4_000_000
# Pairs kept from the units before they are cut down to the top k seen so far (a cut
# runs beside the scoring, and its sort's memory with it: 4M cost 0.2 GB more at 100k).
COMPACT_ROWS = 1_500_000
# String fields the scorer compares for equality: coded as integers for bulk scoring.
_CODED = ("ewc_entry", "ewc_sub", "ewc_chap", "category", "category_group")
# Match records built at a time (each holds its components and explanation).
RECORD_CHUNK = 50_000
# Reach classes: 2**(1/4) apart, so a class is queried with at most 1.19 × its members'
# reach (1.41 × the area).
CLASSES_PER_OCTAVE = 4
# The chord radius of a query is widened by this relative margin; exact distances decide.
_RADIUS_SLACK = 1e-9


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, ``(n, 3)``, for Euclidean (chord) radius queries."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


def chord(radius_km: float) -> float:
    """Chord length (unit sphere) that encloses every point within ``radius_km``."""
    angle = radius_km * (1.0 + _RADIUS_SLACK) / EARTH_RADIUS_KM + _RADIUS_SLACK
    return 2.0 if angle >= np.pi else float(2.0 * np.sin(angle / 2.0)) + _RADIUS_SLACK


def reach_class(max_km: np.ndarray) -> np.ndarray:
    """Integer reach class of each transport distance (equal classes → similar reach)."""
    return np.ceil(np.log2(np.maximum(max_km, 1.0)) * CLASSES_PER_OCTAVE).astype(np.int64)


def z_order(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Morton code of positions (16 bits per axis): sorting by it keeps neighbours close."""

    def spread(v: np.ndarray) -> np.ndarray:
        v = v.astype(np.uint64) & np.uint64(0xFFFF)
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            v = (v | (v << np.uint64(shift))) & np.uint64(mask)
        return v

    y = np.floor((np.asarray(lat) + 90.0) / 180.0 * 65535.0)
    x = np.floor((np.asarray(lon) + 180.0) / 360.0 * 65535.0)
    return (spread(y) << np.uint64(1)) | spread(x)


def block_matrix(arrays: ListingArrays) -> sp.csc_matrix:
    """Listings × material blocks indicator (CSC: one column of members per block)."""
    return sp.csc_matrix(arrays.block_matrix)


def take_rows(
    arrays: ListingArrays, idx: np.ndarray, *, matrices: frozenset[str] | None = None,
    codes: dict[str, np.ndarray] | None = None, skip: frozenset[str] = frozenset(),
) -> ListingArrays:
    """``arrays.take(idx)``, gathering sparse profile rows without a Python loop.

    ``matrices``: only those profile matrices (the others, and the embeddings, ``None``).
    ``skip``: fields left out (``None``). ``codes`` stand in for the string fields they
    name (``knowledge.string_codes``: the scores are the same)."""
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    codes = codes or {}
    fields = {}
    for name in arrays.__slots__:
        value = codes.get(name, getattr(arrays, name))
        if name in skip or (matrices is not None and (sp.issparse(value) or name == "embedding")
                            and name not in matrices):
            value = None
        elif sp.issparse(value):
            value = _csr_rows(value, idx)
        elif isinstance(value, np.ndarray):
            value = value[idx]
        fields[name] = value
    return type(arrays)(**fields)


# The profile matrices explanations read (``knowledge_reasons``), per side: with the
# products given, the scores read none.
_EXPLAINED = {OFFER: frozenset({"material"}), WANT: frozenset({"material", "use"})}
# Scalar fields ``score_arrays`` does not read, per side: positions (it is given the
# distances) and the other side's hazard field. Not gathering them saves a fifth of the
# gathers, which run over every candidate pair.
_UNSCORED = {
    OFFER: frozenset({"lat", "lon", "accepts_hazardous", "material_confidence"}),
    WANT: frozenset({"lat", "lon", "hazardous"}),
}
_NO_MATRICES: frozenset[str] = frozenset()


def take_scalars(
    arrays: ListingArrays, idx: np.ndarray, codes: dict[str, np.ndarray] | None = None,
    *, skip: frozenset[str] = frozenset(),
) -> ListingArrays:
    """``take_rows`` without the profile matrices: for ``score_arrays`` with
    ``products``, which never reads them, nor the fields in ``skip``."""
    return take_rows(arrays, idx, matrices=_NO_MATRICES, codes=codes, skip=skip)


def _csr_rows(matrix: sp.csr_matrix, rows) -> sp.csr_matrix:
    """Rows of a CSR matrix in the given order (SciPy's compiled row gather)."""
    out = matrix[np.asarray(rows, dtype=np.int64)]
    if matrix.has_sorted_indices:
        out.has_sorted_indices = True  # rows are copied as they are
    return out


def pair_products(
    matrices: Sequence[tuple[sp.csr_matrix, sp.csr_matrix]],
    offer_pos: np.ndarray,
    want_pos: np.ndarray,
) -> list[np.ndarray]:
    """Dot products of each (offer, want) pair's rows, for each (offer, want) matrix pair.

    Offers are taken a slab at a time (at most ``SLAB_OFFERS``, and at most
    ``PRODUCT_CELLS`` slab × wants entries), against the wants that slab's pairs name:
    nearby offers share most of their wants, so the slab's rectangle is several times
    denser in pairs than the whole unit's (11 % at 100k listings). The slab's offer rows
    are laid out dense (features × offers, over the features they use) and each want's
    sparse row is multiplied into it: no symbolic pass, no sparse result to convert.

    Each product adds its terms in the want row's (ascending) feature order starting from
    zero; the terms of features the offer lacks are +0.0 and leave the sum's bits as they
    are (all values are ≥ 0). So every pair gets the same bits as a row-by-row product or
    the baseline's merge of sorted rows.
    """
    n = len(offer_pos)
    out = [np.zeros(n, dtype=np.float64) for _ in matrices]
    if not n:
        return out
    offers, o_local = _table_unique(offer_pos, matrices[0][0].shape[0])
    order = np.argsort(o_local, kind="stable")
    # Pairs of offers lo … hi−1 (positions within ``offers``): order[starts[lo]:starts[hi]].
    starts = np.searchsorted(o_local[order], np.arange(len(offers) + 1))
    slabs = [(lo, min(lo + SLAB_OFFERS, len(offers)))
             for lo in range(0, len(offers), SLAB_OFFERS)]
    while slabs:
        lo, hi = slabs.pop()
        picked = order[starts[lo] : starts[hi]]
        wants, w_local = _table_unique(want_pos[picked], matrices[0][1].shape[0])
        if (hi - lo) * len(wants) > PRODUCT_CELLS and hi - lo > 1:
            step = max(1, PRODUCT_CELLS // len(wants))
            slabs.extend((a, min(a + step, hi)) for a in range(lo, hi, step))
            continue
        at = w_local * (hi - lo) + (o_local[picked] - lo)
        for (o_matrix, w_matrix), values in zip(matrices, out, strict=True):
            if o_matrix.shape[1] == 0:
                continue
            dense = _slab_product(_csr_rows(o_matrix, offers[lo:hi]), _csr_rows(w_matrix, wants))
            values[picked] = dense.reshape(-1)[at]
    return out


def _table_unique(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of positions in ``[0, size)``, found by
    marking a table instead of sorting (units and slabs name a few thousand listings of
    tens of thousands: a scan of the table is cheaper than a sort of the pairs)."""
    seen = np.zeros(size, dtype=bool)
    seen[values] = True
    distinct = np.flatnonzero(seen)
    local = np.empty(size, dtype=np.int64)
    local[distinct] = np.arange(len(distinct))
    return distinct, local[values]


def _slab_product(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """``b @ a.T`` as a dense (wants × offers) array, summed in ``b``'s feature order."""
    if a.shape[1] <= DENSE_FEATURES:
        return b @ np.ascontiguousarray(a.toarray().T)
    # Only the features the slab's offers use: the others would only add zeros.
    features, local_of = np.unique(a.indices, return_inverse=True)
    if len(features) * a.shape[0] > DENSE_CELLS:
        return (b @ sp.csr_matrix(a.T)).toarray()
    dense = np.zeros((len(features), a.shape[0]))
    dense[local_of.reshape(-1), np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))] = a.data
    local = np.full(a.shape[1], -1, dtype=np.int64)
    local[features] = np.arange(len(features))
    column = local[b.indices]
    used = column >= 0
    kept = np.r_[0, np.cumsum(used)]
    narrow = sp.csr_matrix((b.data[used], column[used], kept[b.indptr]),
                           shape=(b.shape[0], len(features)))
    return narrow @ dense


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


class _LazyTerms(Sequence):
    """Shared words of row ``o`` of ``om`` and row ``w`` of ``wm``, computed only if the
    explanation asks for them (a few in a hundred do)."""

    __slots__ = ("_model", "_om", "_wm", "_o", "_w", "_terms")

    def __init__(self, model: TextModel, om: sp.csr_matrix, wm: sp.csr_matrix, o: int,
                 w: int) -> None:
        self._model, self._om, self._wm, self._o, self._w = model, om, wm, o, w
        self._terms: list[str] | None = None

    def _get(self) -> list[str]:
        if self._terms is None:
            om, wm, o, w = self._om, self._wm, self._o, self._w
            self._terms = self._model.shared_terms(
                (om.indices[om.indptr[o] : om.indptr[o + 1]],
                 om.data[om.indptr[o] : om.indptr[o + 1]]),
                (wm.indices[wm.indptr[w] : wm.indptr[w + 1]],
                 wm.data[wm.indptr[w] : wm.indptr[w + 1]]),
            )
        return self._terms

    def __getitem__(self, i):
        return self._get()[i]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())


@dataclass(frozen=True)
class _Side:
    """One kind's listings: records, scoring columns, text rows, positions and blocks."""

    records: tuple[ListingRecord, ...]
    arrays: ListingArrays
    matrix: sp.csr_matrix
    xyz: np.ndarray
    reach: np.ndarray  # reach class per listing
    blocks: sp.csc_matrix
    # Dense block membership (listings × blocks, bool) when blocks are few: it lets a pair
    # that shares several blocks be scored in one of them only.
    block_flags: np.ndarray | None = None
    _trees: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(
        cls, records: Sequence[ListingRecord], matrix: sp.csr_matrix, knowledge: Knowledge,
        profiles: Profiles | None = None, scalars: dict[str, np.ndarray] | None = None,
    ) -> _Side:
        arrays = ListingArrays.from_records(records, knowledge=knowledge, profiles=profiles,
                                            scalars=scalars)
        matrix = sp.csr_matrix(matrix)
        matrix.sort_indices()
        return cls(
            records=tuple(records),
            arrays=arrays,
            matrix=matrix,
            xyz=unit_vectors(arrays.lat, arrays.lon),
            reach=reach_class(arrays.max_km),
            blocks=block_matrix(arrays),
            block_flags=_block_flags(arrays),
        )

    def __len__(self) -> int:
        return len(self.records)

    def members(self, block: int) -> np.ndarray:
        lo, hi = self.blocks.indptr[block], self.blocks.indptr[block + 1]
        return np.sort(self.blocks.indices[lo:hi]).astype(np.int64)

    def buckets(self, block: int) -> list[tuple[cKDTree, np.ndarray, float]]:
        """(tree, positions, largest reach) per reach class of a block (cached)."""
        found = self._trees.get(block)
        if found is None:
            found = _buckets(self, self.members(block))
            self._trees[block] = found
        return found


MAX_DENSE_BLOCKS = 512


def _block_flags(arrays: ListingArrays) -> np.ndarray | None:
    """Each listing's blocks as packed bits (block ``b`` is bit ``b % 8`` of byte ``b // 8``):
    a pair's first shared block is then read from a few bytes, not one flag per block."""
    blocks = arrays.block_matrix
    if blocks.shape[1] > MAX_DENSE_BLOCKS:
        return None
    return np.packbits(blocks.toarray() != 0, axis=1, bitorder="little")


def _first_shared(o_bits: np.ndarray, w_bits: np.ndarray, o, w, block: int) -> np.ndarray:
    """Whether ``block``, shared by each pair (o[i], w[i]), is the first block they share."""
    whole, rest = divmod(block, 8)
    shared = o_bits[:, : whole + 1][o] & w_bits[:, : whole + 1][w]
    first = (shared[:, whole] & ((1 << rest) - 1)) == 0
    if whole:
        first &= ~shared[:, :whole].any(axis=1)
    return first


def _buckets(side: _Side, positions: np.ndarray) -> list[tuple[cKDTree, np.ndarray, float]]:
    out = []
    if not len(positions):
        return out
    classes = side.reach[positions]
    order = np.argsort(classes, kind="stable")
    positions, classes = positions[order], classes[order]
    bounds = np.r_[0, np.flatnonzero(np.diff(classes)) + 1, len(positions)]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        members = positions[lo:hi]
        out.append(
            (cKDTree(side.xyz[members]), members, float(side.arrays.max_km[members].max()))
        )
    return out


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


class _Pile:
    """Scored pairs kept from the units, cut down to the top ``k`` seen so far whenever
    they pass ``COMPACT_ROWS`` (or twice what the last cut left: the top ``k`` of 300k
    listings alone is 4.7M pairs, and a pile that never shrank would be re-sorted on every
    unit).

    With ``background``, a cut runs on a thread of its own while new units pile up beside
    it: done by the thread that hands out the units, each cut (1–2 s at 100k listings)
    left the scoring threads without work. Cutting any part of the pairs keeps every pair
    of the final top ``k`` (a pair in the top ``k`` of a set is in the top ``k`` of every
    subset holding it), so when and what is cut changes nothing.
    """

    def __init__(self, cut, *, background: bool) -> None:
        self._cut = cut
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._rows = 0
        self._limit = COMPACT_ROWS
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
        self._limit = max(COMPACT_ROWS, 2 * len(cut[0]))


def _empty_selection() -> Selection:
    e = np.empty(0, dtype=np.int64)
    return Selection(e, e, np.empty(0), np.empty(0), np.empty(0), np.empty(0, dtype=bool))


def _scalar_columns(records: Sequence[ListingRecord], knowledge: Knowledge
                    ) -> dict[str, dict[str, np.ndarray]]:
    """``ListingArrays.scalar_columns`` of each side's records."""
    return {kind: ListingArrays.scalar_columns([records[i] for i in _kind_rows(records, kind)],
                                               knowledge=knowledge)
            for kind in (OFFER, WANT)}


def _kind_rows(records: Sequence[ListingRecord], kind: str) -> np.ndarray:
    """Positions of the records of one kind, in order (a side's rows)."""
    return np.asarray([i for i, record in enumerate(records) if record.kind == kind],
                      dtype=np.int64)


class MatchIndex:
    """All active listings, ready to find each one's best counterparts."""

    def __init__(
        self,
        *,
        records: tuple[ListingRecord, ...],
        knowledge: Knowledge,
        text_model: TextModel,
        sides: dict[str, _Side],
        version: str,
    ) -> None:
        self.records = records
        self.knowledge = knowledge
        # Which reference data the profiles were read with (checked again on ``attach``).
        self.fingerprint = knowledge.fingerprint
        self.text_model = text_model
        self.version = version
        # How the fit ran (processes, helpers' memory): set by ``build``.
        self.fit_info: dict[str, float] = {}
        self._sides = sides
        self._where = {
            record.id: (kind, pos)
            for kind, side in sides.items()
            for pos, record in enumerate(side.records)
        }

    @classmethod
    def build(
        cls, records: Sequence[ListingRecord], knowledge: Knowledge, *,
        version: str | Callable[[], str] = "", profiles: Profiles | None = None,
        processes: int = 1,
    ) -> MatchIndex:
        """Fit the text model on all records and prepare each side.

        ``version``: the model's version, or a function giving it (a content hash of the
        records, computed while helpers infer).

        ``profiles``: the records' inferred profiles (in record order), when inferred
        elsewhere, e.g. in parts by several workers; the index is the same either way.
        ``processes``: how many processes infer the profiles and fit the text model's
        blocks (forked helpers beside this one, ``ForkedBatches``); the index is the same
        either way."""
        records = tuple(records)
        ids = [record.id for record in records]
        if len(set(ids)) != len(ids):
            raise ValueError("listing ids must be unique")
        bad = [record.id for record in records if record.kind not in COUNTERPART]
        if bad:
            raise ValueError(f"listings {bad[:5]} are neither {OFFER!r} nor {WANT!r}")
        infers = knowledge.config.infers and bool(knowledge.materials)

        def texts_of() -> list[str]:
            return [listing_text(record, knowledge=knowledge) for record in records]

        fit_info: dict[str, float] = {"processes": 1}
        scalars = None
        forking = processes > 1 and can_fork() and len(records) >= OVERLAP_FIT
        if forking and (profiles is not None or not infers):
            # Only the text model to fit: its two blocks on two processes. A helper takes
            # the first (the longer: words); this process finds the version and the sides'
            # scalar fields, then fits the other.
            texts = texts_of()
            jobs = [partial(TextModel.fit_block, name, texts) for name in TEXT_BLOCKS]
            with ForkedBatches(_run, jobs, helpers=processes - 1) as work:
                version = version() if callable(version) else version
                scalars = _scalar_columns(records, knowledge)
                text_model, matrix = TextModel.from_blocks(*work.results())
            fit_info = {"processes": 1 + work.helpers,
                        "helper_failures": len(work.failures)}
        elif profiles is not None or not infers or len(records) < OVERLAP_FIT:
            text_model, matrix = TextModel.fit_transform(texts_of())
        elif forking:
            # The profiles' batches are shared out between this process and forked
            # helpers: the inference is pure Python, and the GIL would keep threads on one
            # core. Rows are independent, so the profiles are the same. This process
            # first fits the text model, reads the sides' scalar fields and finds the
            # version while the helpers infer, then infers too: nothing of the text model
            # crosses a pipe, and no step is left to run alone before or after them.
            inference = knowledge.inference
            jobs = [partial(inference.batch_profiles, b) for b in inference.batches(records)]
            with ForkedBatches(_run, jobs, helpers=processes - 1) as work:
                text_model, matrix = TextModel.fit_transform(texts_of())
                version = version() if callable(version) else version
                scalars = _scalar_columns(records, knowledge)
                parts = work.results()
            profiles = parts[0] if len(parts) == 1 else Profiles.stack(parts)
            fit_info = {"processes": 1 + work.helpers,
                        "helper_peak_private_mb": round(work.peak_private_mb, 1),
                        "helper_peak_rss_mb": round(work.peak_rss_mb, 1),
                        "helper_failures": len(work.failures)}
        else:
            # The text model's sparse work runs without the GIL: fitted on a thread, it
            # overlaps the inference (rows are independent: inferred all at once, the
            # profiles are those each side would get).
            with ThreadPoolExecutor(1, thread_name_prefix="text-fit") as pool:
                fitting = pool.submit(TextModel.fit_transform, texts_of())
                profiles = knowledge.inference.profiles(records)
                text_model, matrix = fitting.result()
        version = version() if callable(version) else version
        index = cls._assemble(records, knowledge, text_model, sp.csr_matrix(matrix), version,
                              profiles, scalars)
        index.fit_info = fit_info
        return index

    @classmethod
    def _assemble(
        cls,
        records: tuple[ListingRecord, ...],
        knowledge: Knowledge,
        text_model: TextModel,
        matrix: sp.csr_matrix,
        version: str,
        profiles: Profiles | None = None,
        scalars: dict[str, dict[str, np.ndarray]] | None = None,
    ) -> MatchIndex:
        sides = {}
        for kind in (OFFER, WANT):
            rows = _kind_rows(records, kind)
            sides[kind] = _Side.build([records[i] for i in rows], _csr_rows(matrix, rows),
                                      knowledge,
                                      None if profiles is None else profiles.take(rows),
                                      None if scalars is None else scalars[kind])
        return cls(
            records=records,
            knowledge=knowledge,
            text_model=text_model,
            sides=sides,
            version=version,
        )

    def with_records(self, records: Sequence[ListingRecord]) -> MatchIndex:
        """A small index of other records under this index's text model (same version).

        For listings saved since this index was fitted: their rows are what the model
        gives any new text, so they compete on equal terms with the indexed ones.
        """
        records = tuple(records)
        matrix = self.text_model.transform(
            [listing_text(record, knowledge=self.knowledge) for record in records]
        )
        return self._assemble(
            records, self.knowledge, self.text_model, sp.csr_matrix(matrix), self.version
        )

    def __len__(self) -> int:
        return len(self.records)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_where"]  # rebuilt on load: cheaper than pickling 100k tuples
        state.pop("_codes", None)  # derived on first use
        # Reference data is loaded by whoever unpickles (``attach``), not stored per model.
        state["knowledge"] = None
        # The records once, as columns; each side names its own by position.
        state["records"] = pack_records(self.records)
        position = {id(record): i for i, record in enumerate(self.records)}
        state["_sides"] = {
            kind: (np.array([position[id(r)] for r in side.records], dtype=np.int64),
                   side.arrays, side.matrix, side.xyz, side.reach, side.blocks,
                   side.block_flags)
            for kind, side in self._sides.items()
        }
        return state

    def __setstate__(self, state: dict) -> None:
        if isinstance(state["records"], tuple) and all(
                isinstance(record, ListingRecord) for record in state["records"]):
            # Pickled before the records were packed: the sides hold their own records.
            state["_sides"] = {kind: _Side(*parts) for kind, parts in state["_sides"].items()}
        else:
            records = state["records"] = unpack_records(state["records"])
            state["_sides"] = {
                kind: _Side(tuple(records[i] for i in rows.tolist()), *parts)
                for kind, (rows, *parts) in state["_sides"].items()
            }
        self.__dict__.update(state)
        self._where = {
            record.id: (kind, pos)
            for kind, side in self._sides.items()
            for pos, record in enumerate(side.records)
        }

    def attach(self, knowledge: Knowledge) -> None:
        """Give an unpickled index its reference data (the configuration it was fitted with)."""
        config = self._sides[OFFER].arrays.config
        if knowledge.config != config:
            raise ValueError("the index was fitted with another scoring configuration")
        if not all(side.arrays.complete for side in self._sides.values()):
            raise ValueError("the index was fitted by an older engine")
        if getattr(self, "fingerprint", None) != knowledge.fingerprint:
            # Profiles read with other data would not line up with new listings' rows.
            raise ValueError("the index was fitted with another knowledge base")
        self.knowledge = knowledge

    def side(self, kind: str) -> _Side:
        return self._sides[kind]

    def position(self, listing_id: int) -> tuple[str, int] | None:
        """(kind, position within its side) of an indexed listing."""
        return self._where.get(listing_id)

    # --- one listing ---------------------------------------------------------------------

    def query(
        self,
        record: ListingRecord,
        k: int = 20,
        *,
        exclude: frozenset[int] = frozenset(),
        extra: MatchIndex | None = None,
    ) -> list[MatchRecord]:
        """Best ``k`` counterparts of one listing (indexed or new), by (−score, id).

        A record whose id is indexed but whose fields changed is scored as given.
        ``exclude`` drops indexed counterparts by id (listings changed since the index was
        built); ``extra`` is a small index of their current versions whose counterparts
        compete too (``extra`` shares this index's text model).
        """
        _check_k(k)
        if record.kind not in COUNTERPART:
            raise ValueError(f"kind must be {OFFER!r} or {WANT!r}, not {record.kind!r}")
        if k == 0:
            return []
        arrays, row = self._prepare(record)
        found = [self._scored_candidates(record, arrays, row, k, exclude)]
        if extra is not None:
            found.append(extra._scored_candidates(record, arrays, row, k, frozenset()))
        matches = [m for part in found for m in part]
        counterpart = (lambda m: m.want_id) if record.kind == OFFER else (lambda m: m.offer_id)
        matches.sort(key=lambda m: (-m.score, counterpart(m)))
        return matches[:k]

    def _prepare(self, record: ListingRecord) -> tuple[ListingArrays, sp.csr_matrix]:
        where = self._where.get(record.id)
        if where is not None and where[0] == record.kind:
            side = self._sides[where[0]]
            if side.records[where[1]] == record:
                return take_rows(side.arrays, [where[1]]), _csr_rows(side.matrix, [where[1]])
        arrays = ListingArrays.from_records([record], knowledge=self.knowledge)
        row = sp.csr_matrix(
            self.text_model.transform([listing_text(record, knowledge=self.knowledge)])
        )
        row.sort_indices()
        return arrays, row

    def _near(self, kind: str, arrays: ListingArrays) -> tuple[np.ndarray, np.ndarray]:
        """Counterparts sharing a block and within the pair range: positions, distances."""
        other = self._sides[kind]
        point = unit_vectors(arrays.lat, arrays.lon)
        reach = float(arrays.max_km[0])
        blocks = block_matrix(arrays)
        found = []
        for block in np.flatnonzero(np.diff(blocks.indptr)):
            if block >= other.blocks.shape[1]:
                continue
            for tree, members, bucket_reach in other.buckets(int(block)):
                hits = tree.query_ball_point(point[0], chord(max(reach, bucket_reach)))
                found.append(members[np.asarray(hits, dtype=np.int64)])
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0)
        cand = np.unique(np.concatenate(found))
        dist = haversine_km(arrays.lat, arrays.lon, other.arrays.lat[cand],
                            other.arrays.lon[cand])
        dist = np.asarray(dist, dtype=np.float64).reshape(-1)
        keep = within_range(dist, arrays.max_km, other.arrays.max_km[cand])
        return cand[keep], dist[keep]

    def _scored_candidates(
        self,
        record: ListingRecord,
        arrays: ListingArrays,
        row: sp.csr_matrix,
        k: int,
        exclude: frozenset[int],
    ) -> list[MatchRecord]:
        kind = COUNTERPART[record.kind]
        other = self._sides[kind]
        if not len(other):
            return []
        cand, dist = self._near(kind, arrays)
        if exclude and len(cand):
            keep = ~np.isin(other.arrays.ids[cand], np.fromiter(exclude, dtype=np.int64))
            cand, dist = cand[keep], dist[keep]
        if not len(cand):
            return []
        cand_rows = _csr_rows(other.matrix, cand)
        sims = np.asarray((cand_rows @ row.T).toarray(), dtype=np.float64).reshape(-1)
        cand_arrays = take_rows(other.arrays, cand)
        if record.kind == OFFER:
            scored = score_arrays(arrays, cand_arrays, text_sim=sims, distance_km=dist)
        else:
            scored = score_arrays(cand_arrays, arrays, text_sim=sims, distance_km=dist)
        alive = np.flatnonzero(scored.accepted)
        order = np.lexsort((cand_arrays.ids[alive], -scored.score[alive]))[:k]
        matches = []
        query_row = sp.csr_matrix(row)
        for j in alive[order]:
            counterpart = other.records[cand[j]]
            offer, want = (record, counterpart) if record.kind == OFFER else (counterpart, record)
            terms = _LazyTerms(self.text_model, query_row, cand_rows, 0, int(j))
            matches.append(
                scored.record(j, offer, want, knowledge=self.knowledge, shared_terms=terms)
            )
        return matches

    # --- many listings -------------------------------------------------------------------

    def match_all(self, k: int = 20) -> list[MatchRecord]:
        """Every accepted pair in the top ``k`` of its offer or of its want (deduplicated).

        Ordered by (−score, offer id, want id).
        """
        return self.match_records(self.select(k))

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
        unit_pairs = max(1, UNIT_PAIRS // max(1, threads))

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

        pile = _Pile(cut, background=threads > 1)
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

    @property
    def _needs_dedupe(self) -> bool:
        """Pairs may come out of several blocks (many blocks, no dense flags to pick one)."""
        if all(side.block_flags is not None for side in self._sides.values()):
            return False
        return any(
            np.any(np.diff(sp.csr_matrix(side.blocks).indptr) > 1) for side in self._sides.values()
        )

    def _candidate_tiles(
        self, offer_set: np.ndarray, want_set: np.ndarray
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
        """Pairs of ``offer_set`` × ``want_set`` whose positions are within reach of each
        other (tree queries: a superset of the in-range pairs), a tile of offers of one
        block at a time: ``(tile, offer positions, want positions, block)``.

        ``_tile_units`` finishes a tile: exact distances, the range and block rules, and
        work units of at most ``unit_pairs`` pairs.
        """
        o_side, w_side = self._sides[OFFER], self._sides[WANT]
        in_o = np.zeros(len(o_side), dtype=bool)
        in_o[offer_set] = True
        in_w = np.zeros(len(w_side), dtype=bool)
        in_w[want_set] = True
        n_blocks = min(o_side.blocks.shape[1], w_side.blocks.shape[1])
        for block in range(n_blocks):
            offers = o_side.members(block)
            offers = offers[in_o[offers]]
            wants = w_side.members(block)
            wants = wants[in_w[wants]]
            if not len(offers) or not len(wants):
                continue
            want_buckets = _buckets(w_side, wants)
            order = np.lexsort(
                (z_order(o_side.arrays.lat[offers], o_side.arrays.lon[offers]),
                 o_side.reach[offers])
            )
            offers = offers[order]
            for lo in range(0, len(offers), TILE_OFFERS):
                tile = offers[lo : lo + TILE_OFFERS]
                found = self._tile_pairs(tile, want_buckets)
                if found is not None:
                    yield tile, *found, block

    def _tile_pairs(self, tile: np.ndarray, want_buckets) -> tuple[np.ndarray, ...] | None:
        o_side = self._sides[OFFER]
        found_o, found_w = [], []
        for o_tree, o_members, o_reach in _buckets(o_side, tile):
            for w_tree, w_members, w_reach in want_buckets:
                pairs = o_tree.sparse_distance_matrix(
                    w_tree, chord(max(o_reach, w_reach)), output_type="ndarray"
                )
                if len(pairs):
                    found_o.append(o_members[pairs["i"]])
                    found_w.append(w_members[pairs["j"]])
        if not found_o:
            return None
        return np.concatenate(found_o), np.concatenate(found_w)

    def _tile_units(
        self, tile: np.ndarray, o: np.ndarray, w: np.ndarray, block: int, unit_pairs: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        o_side, w_side = self._sides[OFFER], self._sides[WANT]
        o_flags, w_flags = o_side.block_flags, w_side.block_flags
        if o_flags is not None and w_flags is not None and o_side.blocks.shape[1] > 1:
            # A pair belongs to the first block both share: scored once, not once per block.
            first = _first_shared(o_flags, w_flags, o, w, block)
            o, w = o[first], w[first]
        o_arr, w_arr = o_side.arrays, w_side.arrays
        d = np.asarray(haversine_km(o_arr.lat[o], o_arr.lon[o], w_arr.lat[w], w_arr.lon[w]))
        keep = within_range(d, o_arr.max_km[o], w_arr.max_km[w])
        o, w, d = o[keep], w[keep], d[keep]
        if not len(o):
            return
        # Group by offer in tile order (reach class, then Z-order), so consecutive offers,
        # and the sparse products over them, stay within one neighbourhood.
        by_position = np.argsort(tile)
        rank = by_position[np.searchsorted(tile[by_position], o)]
        order = radix_order(rank, w)
        o, w, d = o[order], w[order], d[order]
        if len(o) <= unit_pairs:
            yield o, w, d
            return
        # Cut at offer boundaries so that no unit exceeds unit_pairs (unless one offer
        # alone has more).
        bounds = [*(np.flatnonzero(np.diff(o)) + 1).tolist(), len(o)]
        cuts = [0]
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            if end - cuts[-1] > unit_pairs:
                cuts.append(start)
        cuts.append(len(o))
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            yield o[a:b], w[a:b], d[a:b]

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

    # --- from selected pairs to match records ---------------------------------------------

    def scores(self, selection: Selection) -> PairScores:
        """Components and scores of the selected pairs: the same numbers, to the last bit,
        as when they were chosen and as a single query gives (the profile products are
        ``pair_products``, as in ``_reduce``; row-wise sums of elementwise products, which
        NumPy adds in another order from eight terms on, differed in the last bit for a
        few percent of the pairs)."""
        o_side, w_side = self._sides[OFFER], self._sides[WANT]
        oa, wa = o_side.arrays, w_side.arrays
        o, w = selection.offer, selection.want
        inferred, pathway = pair_products(
            [(oa.material_near, wa.material), (oa.use_potential, wa.use)], o, w)
        products = {"inferred": inferred, "pathway": pathway}
        if oa.embedding.shape[1]:
            products["cosine"] = rowdot(oa.embedding[o], wa.embedding[w])
        return score_arrays(
            take_rows(oa, o, matrices=_EXPLAINED[OFFER]),
            take_rows(wa, w, matrices=_EXPLAINED[WANT]),
            text_sim=selection.text_sim,
            distance_km=selection.distance_km,
            products=products,
        )

    def match_records(self, selection: Selection) -> list[MatchRecord]:
        """``MatchRecord`` of every selected pair (components and explanation)."""
        return [m for chunk in self.iter_match_columns(selection) for m in chunk.records()]

    def by_place(self, selection: Selection) -> Selection:
        """The same pairs ordered by where their offer is (Z-order), then offer and want.

        The order to write them in: consecutive chunks then name a few thousand nearby
        listings instead of tens of thousands scattered ones, which PostgreSQL's
        integrity check and the pair index handle much faster (docs/performance.md)."""
        o_arr = self._sides[OFFER].arrays
        place = z_order(o_arr.lat, o_arr.lon)[selection.offer]
        order = radix_order(place, selection.offer, selection.want)
        return selection.take(order)

    def iter_match_columns(
        self, selection: Selection, chunk: int = RECORD_CHUNK
    ) -> Iterator[MatchColumns]:
        """The selected pairs' matches as columns, a chunk at a time (bounded memory)."""
        for lo in range(0, len(selection), chunk):
            yield self._columns(selection.take(slice(lo, lo + chunk)))

    def _columns(self, selection: Selection) -> MatchColumns:
        scored = self.scores(selection)
        o_side, w_side = self._sides[OFFER], self._sides[WANT]
        om, wm = o_side.matrix, w_side.matrix
        offers, wants = selection.offer, selection.want

        def terms(j: int) -> _LazyTerms:
            return _LazyTerms(self.text_model, om, wm, offers[j], wants[j])

        explanations = scored.explanations(
            [o_side.records[o] for o in offers.tolist()],
            [w_side.records[w] for w in wants.tolist()],
            knowledge=self.knowledge,
            shared_terms=terms,
        )
        return MatchColumns(
            offer_id=o_side.arrays.ids[offers],
            want_id=w_side.arrays.ids[wants],
            score=np.asarray(scored.score, dtype=np.float64),
            distance_km=np.asarray(scored.distance_km, dtype=np.float64),
            components={name: np.asarray(value, dtype=np.float64)
                        for name, value in scored.components.items()},
            explanation=explanations,
        )


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


def _check_k(k) -> None:
    if not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"k must be a non-negative integer, not {k!r}")
