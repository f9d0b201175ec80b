"""``MatchIndex``: building the index (text model, profiles, sides), one listing's best
counterparts (``query``) and the match records of selected pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import scipy.sparse as sp

from matching.engine import persistence
from matching.engine.config import DEFAULT_TUNING, Tuning
from matching.engine.geo import haversine_km
from matching.engine.index.geometry import _Side, block_matrix, chord, unit_vectors, z_order
from matching.engine.index.products import (
    _EXPLAINED,
    _csr_rows,
    _LazyTerms,
    pair_products,
    take_rows,
)
from matching.engine.index.ranking import _check_k, radix_order
from matching.engine.index.selection import Selection, _Selecting
from matching.engine.infer import Profiles
from matching.engine.knowledge import Knowledge
from matching.engine.records import OFFER, WANT, ListingRecord, MatchColumns, MatchRecord
from matching.engine.runtime import ForkedBatches, can_fork
from matching.engine.score import ListingArrays, PairScores, rowdot, score_arrays, within_range
from matching.engine.text import BLOCKS as TEXT_BLOCKS
from matching.engine.text import TextModel, listing_text

COUNTERPART = {OFFER: WANT, WANT: OFFER}


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


class MatchIndex(_Selecting):
    """All active listings, ready to find each one's best counterparts."""

    def __init__(
        self,
        *,
        records: tuple[ListingRecord, ...],
        knowledge: Knowledge,
        text_model: TextModel,
        sides: dict[str, _Side],
        version: str,
        tuning: Tuning = DEFAULT_TUNING,
    ) -> None:
        self.records = records
        self.knowledge = knowledge
        # Which reference data the profiles were read with (checked again on ``attach``).
        self.fingerprint = knowledge.fingerprint
        self.text_model = text_model
        self.version = version
        self.tuning = tuning
        # How the fit ran (processes, helpers' memory): set by ``build``.
        self.fit_info: dict[str, float] = {}
        self._sides = sides
        self._where = persistence.positions(sides)

    @classmethod
    def build(
        cls, records: Sequence[ListingRecord], knowledge: Knowledge, *,
        version: str | Callable[[], str] = "", profiles: Profiles | None = None,
        processes: int = 1, tuning: Tuning = DEFAULT_TUNING,
    ) -> MatchIndex:
        """Fit the text model on all records and prepare each side.

        ``version``: the model's version, or a function giving it (a content hash of the
        records, computed while helpers infer).

        ``profiles``: the records' inferred profiles (in record order), when inferred
        elsewhere, e.g. in parts by several workers; the index is the same either way.
        ``processes``: how many processes infer the profiles and fit the text model's
        blocks (forked helpers beside this one, ``ForkedBatches``); the index is the same
        either way. ``tuning``: sizes of the bulk work's pieces (``Tuning``), kept for
        ``select``; the index and its matches are the same for any."""
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
        forking = processes > 1 and can_fork() and len(records) >= tuning.overlap_fit
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
        elif profiles is not None or not infers or len(records) < tuning.overlap_fit:
            text_model, matrix = TextModel.fit_transform(texts_of())
        elif forking:
            # The profiles' batches are shared out between this process and forked
            # helpers: the inference is pure Python, and the GIL would keep threads on one
            # core. Rows are independent, so the profiles are the same. This process
            # first fits the text model, reads the sides' scalar fields and finds the
            # version while the helpers infer, then infers too: nothing of the text model
            # crosses a pipe, and no step is left to run alone before or after them.
            inference = knowledge.inference
            jobs = [partial(inference.batch_profiles, b)
                    for b in inference.batches(records, size=tuning.profile_batch)]
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
                profiles = knowledge.inference.profiles(records,
                                                         batch=tuning.profile_batch)
                text_model, matrix = fitting.result()
        version = version() if callable(version) else version
        index = cls._assemble(records, knowledge, text_model, sp.csr_matrix(matrix), version,
                              profiles, scalars, tuning=tuning)
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
        *, tuning: Tuning = DEFAULT_TUNING,
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
            tuning=tuning,
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
            records, self.knowledge, self.text_model, sp.csr_matrix(matrix), self.version,
            tuning=self.tuning,
        )

    def __len__(self) -> int:
        return len(self.records)

    def tuned(self, tuning: Tuning) -> MatchIndex:
        """This index, sharing all its data, with bulk work cut up by ``tuning``."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.tuning = tuning
        return other

    def __getstate__(self) -> dict:
        return persistence.index_state(self)

    def __setstate__(self, state: dict) -> None:
        persistence.restore_index(self, state)

    def attach(self, knowledge: Knowledge) -> None:
        """Give an unpickled index its reference data (the configuration it was fitted with)."""
        persistence.check_attachable(self, knowledge)
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

    def pair_scores(self, offer_ids: Sequence[int], want_ids: Sequence[int]) -> PairScores:
        """Components, hard rules and scores of given indexed pairs (``offer_ids[i]`` with
        ``want_ids[i]``), whether or not they are among anyone's top ``k``: for judging
        pairs the matcher did not store (evaluation of a learned ranker)."""
        positions = []
        for ids, kind in ((offer_ids, OFFER), (want_ids, WANT)):
            found = [self._where.get(int(i)) for i in ids]
            bad = [int(i) for i, where in zip(ids, found, strict=True)
                   if where is None or where[0] != kind]
            if bad:
                raise KeyError(f"listings {bad[:5]} are no indexed {kind}s")
            positions.append(np.array([where[1] for where in found], dtype=np.int64))
        o, w = positions
        o_side, w_side = self._sides[OFFER], self._sides[WANT]
        text_sim = np.asarray(
            _csr_rows(o_side.matrix, o).multiply(_csr_rows(w_side.matrix, w)).sum(axis=1),
            dtype=np.float64).reshape(-1)
        oa, wa = o_side.arrays, w_side.arrays
        distance = np.asarray(haversine_km(oa.lat[o], oa.lon[o], wa.lat[w], wa.lon[w]),
                              dtype=np.float64).reshape(-1)
        return score_arrays(take_rows(oa, o), take_rows(wa, w), text_sim=text_sim,
                            distance_km=distance)

    # --- many listings -------------------------------------------------------------------

    def match_all(self, k: int = 20) -> list[MatchRecord]:
        """Every accepted pair in the top ``k`` of its offer or of its want (deduplicated).

        Ordered by (−score, offer id, want id).
        """
        return self.match_records(self.select(k))

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
            [(oa.material_near, wa.material), (oa.use_potential, wa.use)], o, w,
            tuning=self.tuning)
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
        self, selection: Selection, chunk: int | None = None
    ) -> Iterator[MatchColumns]:
        """The selected pairs' matches as columns, ``chunk`` pairs at a time (bounded
        memory; by default ``tuning.record_chunk``)."""
        chunk = chunk or self.tuning.record_chunk
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


def _run(job):
    return job()
