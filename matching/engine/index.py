"""The match index: text model plus radius trees; top-k counterparts of a listing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matching.engine.geo import GeoIndex
from matching.engine.knowledge import Knowledge
from matching.engine.records import OFFER, WANT, ListingRecord, MatchRecord
from matching.engine.score import ListingArrays, score_arrays, within_range
from matching.engine.text import TextModel, listing_text

COUNTERPART = {OFFER: WANT, WANT: OFFER}


@dataclass(frozen=True, slots=True)
class _Bucket:
    """Counterparts of similar reach, so one far-reaching listing does not widen every query."""

    tree: GeoIndex
    members: np.ndarray  # positions within the side
    max_km: float


@dataclass(frozen=True, slots=True)
class _Side:
    records: tuple[ListingRecord, ...]
    arrays: ListingArrays
    matrix: sp.csr_matrix
    buckets: tuple[_Bucket, ...]

    @classmethod
    def build(
        cls, records: Sequence[ListingRecord], matrix: sp.csr_matrix, knowledge: Knowledge
    ) -> _Side:
        arrays = ListingArrays.from_records(records, knowledge=knowledge)
        # Reach classes by powers of two: a bucket is queried with its own largest reach,
        # at most twice what its members need.
        reach_class = np.ceil(np.log2(np.maximum(arrays.max_km, 1.0))).astype(np.int64)
        buckets = []
        for value in np.unique(reach_class):
            members = np.flatnonzero(reach_class == value)
            buckets.append(
                _Bucket(
                    tree=GeoIndex.build(lat=arrays.lat[members], lon=arrays.lon[members]),
                    members=members,
                    max_km=float(arrays.max_km[members].max()),
                )
            )
        return cls(tuple(records), arrays, matrix, tuple(buckets))

    def near(self, *, lat: float, lon: float, max_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Members within reach of a point by the pair rule: positions ascending, distances."""
        found_idx, found_dist = [], []
        for bucket in self.buckets:
            local, dist = bucket.tree.query_radius(
                lat=lat, lon=lon, radius_km=max(max_km, bucket.max_km)
            )
            found_idx.append(bucket.members[local])
            found_dist.append(dist)
        if not found_idx:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64)
        idx = np.concatenate(found_idx)
        dist = np.concatenate(found_dist)
        order = np.argsort(idx, kind="stable")
        idx, dist = idx[order], dist[order]
        keep = within_range(dist, max_km, self.arrays.max_km[idx])
        return idx[keep], dist[keep]


def _row(matrix: sp.csr_matrix, i: int) -> sp.csr_matrix:
    """Row ``i`` as a 1-row CSR without SciPy's (slow, validating) indexing."""
    start, end = matrix.indptr[i], matrix.indptr[i + 1]
    return sp.csr_matrix(
        (matrix.data[start:end], matrix.indices[start:end], [0, end - start]),
        shape=(1, matrix.shape[1]),
    )


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
        self.text_model = text_model
        self.version = version
        self._sides = sides
        self._where = {
            record.id: (kind, pos)
            for kind, side in sides.items()
            for pos, record in enumerate(side.records)
        }

    @classmethod
    def build(
        cls, records: Sequence[ListingRecord], knowledge: Knowledge, *, version: str = ""
    ) -> MatchIndex:
        """Fit the text model on all records and index each side's sites."""
        records = tuple(records)
        ids = [record.id for record in records]
        if len(set(ids)) != len(ids):
            raise ValueError("listing ids must be unique")
        bad = [record.id for record in records if record.kind not in COUNTERPART]
        if bad:
            raise ValueError(f"listings {bad[:5]} are neither {OFFER!r} nor {WANT!r}")
        text_model, matrix = TextModel.fit_transform(
            [listing_text(record, knowledge=knowledge) for record in records]
        )
        sides = {}
        for kind in (OFFER, WANT):
            rows = [i for i, record in enumerate(records) if record.kind == kind]
            sides[kind] = _Side.build(
                [records[i] for i in rows], matrix[np.asarray(rows, dtype=np.intp)], knowledge
            )
        return cls(
            records=records,
            knowledge=knowledge,
            text_model=text_model,
            sides=sides,
            version=version,
        )

    def __len__(self) -> int:
        return len(self.records)

    def query(self, record: ListingRecord, k: int = 20) -> list[MatchRecord]:
        """Best ``k`` counterparts of one listing (indexed or new), by (−score, id).

        A record whose id is indexed but whose fields changed is scored as given.
        """
        if record.kind not in COUNTERPART:
            raise ValueError(f"kind must be {OFFER!r} or {WANT!r}, not {record.kind!r}")
        where = self._where.get(record.id)
        if where is not None and where[0] == record.kind:
            side = self._sides[where[0]]
            if side.records[where[1]] == record:
                return self._query(record, side.arrays.take([where[1]]), side.matrix[where[1]], k)
        arrays = ListingArrays.from_records([record], knowledge=self.knowledge)
        row = self.text_model.transform([listing_text(record, knowledge=self.knowledge)])
        return self._query(record, arrays, row, k)

    def match_all(self, k: int = 20) -> list[MatchRecord]:
        """Every accepted pair in the top ``k`` of its offer or of its want (deduplicated).

        Ordered by (−score, offer id, want id).
        """
        found: dict[tuple[int, int], MatchRecord] = {}
        for kind in (OFFER, WANT):
            side = self._sides[kind]
            for pos, record in enumerate(side.records):
                for match in self._query(
                    record, side.arrays.take([pos]), _row(side.matrix, pos), k
                ):
                    found.setdefault((match.offer_id, match.want_id), match)
        return sorted(found.values(), key=lambda m: (-m.score, m.offer_id, m.want_id))

    def _query(
        self, record: ListingRecord, arrays: ListingArrays, row: sp.csr_matrix, k: int
    ) -> list[MatchRecord]:
        if not isinstance(k, int | np.integer) or k < 0:
            raise ValueError(f"k must be a non-negative integer, not {k!r}")
        other = self._sides[COUNTERPART[record.kind]]
        if k == 0 or not len(other.records):
            return []
        cand, dist = other.near(lat=arrays.lat[0], lon=arrays.lon[0], max_km=arrays.max_km[0])
        if not len(cand):
            return []
        cand_rows = other.matrix[cand]
        # One sparse product for all candidates against the record's row (densified: a
        # sparse × dense product is one pass over the candidates' nonzeros). Rows have sorted
        # indices, so each sum adds the shared terms in ascending feature order whichever
        # side asks: both directions of a pair get bit-identical similarities.
        query_vec = np.zeros(cand_rows.shape[1], dtype=np.float64)
        query_vec[row.indices] = row.data
        sims = cand_rows @ query_vec
        cand_arrays = other.arrays.take(cand)
        if record.kind == OFFER:
            scored = score_arrays(arrays, cand_arrays, text_sim=sims, distance_km=dist)
        else:
            scored = score_arrays(cand_arrays, arrays, text_sim=sims, distance_km=dist)
        alive = np.flatnonzero(scored.accepted)
        order = np.lexsort((cand_arrays.ids[alive], -scored.score[alive]))[:k]
        matches = []
        for j in alive[order]:
            counterpart = other.records[cand[j]]
            offer, want = (record, counterpart) if record.kind == OFFER else (counterpart, record)
            lo, hi = cand_rows.indptr[j], cand_rows.indptr[j + 1]
            terms = self.text_model.shared_terms(
                row, (cand_rows.indices[lo:hi], cand_rows.data[lo:hi])
            )
            matches.append(
                scored.record(j, offer, want, knowledge=self.knowledge, shared_terms=terms)
            )
        return matches
