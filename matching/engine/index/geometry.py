"""Where listings are: unit vectors and chords for radius trees, reach classes, Z-order,
material blocks, each side's columns (``_Side``), and the candidate pairs of the full
rematch (tiles of nearby offers of one block against the wants within their reach).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from matching.engine.config import Tuning
from matching.engine.geo import EARTH_RADIUS_KM, haversine_km
from matching.engine.index.ranking import radix_order
from matching.engine.infer import Profiles
from matching.engine.knowledge import Knowledge
from matching.engine.records import OFFER, WANT, ListingRecord
from matching.engine.score import ListingArrays, within_range

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


class _Candidates:
    """Candidate pairs of ``MatchIndex.select``: tree queries over the sides' blocks,
    then exact distances, the range and block rules, and work units."""

    _sides: dict[str, _Side]
    tuning: Tuning

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
        tile_offers = self.tuning.tile_offers
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
            for lo in range(0, len(offers), tile_offers):
                tile = offers[lo : lo + tile_offers]
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
