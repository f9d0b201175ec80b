"""Pair scoring: components in [0, 1], hard rules, the combined score, the explanation.

Every rule lives here once, written over NumPy arrays (``score_arrays``) so the index can
score all candidates of a listing in one go; ``score_pair`` runs the very same code on one
pair, and both turn a scored pair into a ``MatchRecord`` with ``PairScores.record``, so the
fast path and any brute-force baseline agree.

Per listing, ``ListingArrays.from_records`` infers (``infer``) a material profile (which
fine-grained materials it is, or asks for), a use profile (which receiving uses it
describes), their expansions through the taxonomy and the pathway table, its material
blocks, and optionally a sentence embedding. Per pair, ``score_arrays`` combines aligned
rows with row-wise dot products: no Python loop over pairs.

Components
    text      cosine of the TF-IDF rows (words and character n-grams, ``text``).
    ewc       List of Waste proximity of stated codes: 1 same entry, 0.6 same sub-chapter,
              0.3 same chapter.
    category  stated categories: 1 same, 0.5 same top-level group, else 0.
    taxonomy  how close what the offer is lies to what the want asks for: the offer's
              material profile through the taxonomy (1 same material, 0.6 same category,
              0.3 same group) against the want's; at least ``ewc`` and ``category``.
    pathway   evidence that the offer's material serves the want's use: the offer's
              material profile through the pathway table (documented pathways at their
              evidence weight, 0.5 where the use accepts the material's category) against
              the want's use profile.
    semantic  cosine of sentence embeddings, (cos − 0.2) / 0.8 clipped (0 when off).
    material  noisy-OR of the evidence: ``1 − (1 − text)·Π(1 − wᵢ·eᵢ)`` over taxonomy
              (w 0.4), pathway (w 0.7 ± 0.05, ``pathway_weight``) and semantic (w 0.5).
              Never below the text, and each kind of evidence can only add: silence is not
              evidence against a match. The weights are below 1 so that knowledge never
              saturates the score: among candidates of the right material, the wording
              still decides. The pathway weighs a little more for a want that names no
              material (its purpose is all it says) and a little less for one that names
              its material for certain (then what the offer *is* should decide).
    distance  1 − d / range, with range = max(offer.max_km, want.max_km).
    quantity  share of the need covered (``quantity.quantity_fit``); 0.5 when unknown, so
              a missing quantity is neither rewarded nor punished against a half-fit.
    timing    1 when the availability windows overlap (a missing bound is open), else 0.

Hard rules (rejected pairs get no match): both sides of one firm; distance beyond
range; hazardous offer to a want not permitted to take hazardous input (the offer's
flag or a starred EWC code);
disjoint windows; material below ``MIN_MATERIAL`` (0.1); no shared material block (the
offer's possible materials and the want's accepted ones fall in disjoint coarse classes;
see ``infer.InferenceModel`` and docs/matching.md).

Score: ``material · timing · (0.8 + 0.12 · distance + 0.08 · quantity)``. Material
dominates: within reach the right material is what matters; logistics break ties and can
move a right material by at most 20 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from matching.engine.knowledge import (
    CATEGORY_SAME,
    EMBEDDINGS,
    EWC_SAME_CHAPTER,
    EWC_SAME_ENTRY,
    EWC_SAME_SUB_CHAPTER,
    PATHWAYS,
    TAXONOMY,
    TEXT,
    Knowledge,
    ScoringConfig,
    category_proximity_keys,
    ewc_display,
    ewc_keys,
    ewc_proximity_keys,
)
from matching.engine.quantity import DIM_NONE, amount_dimension, fit_arrays
from matching.engine.records import OFFER, WANT, ListingRecord, MatchRecord

if TYPE_CHECKING:
    from matching.engine.infer import Profiles

COMPONENTS = (
    "text",
    "ewc",
    "category",
    "taxonomy",
    "pathway",
    "semantic",
    "material",
    "distance",
    "quantity",
    "timing",
)

MIN_MATERIAL = 0.1
TAXONOMY_WEIGHT = 0.4
PATHWAY_WEIGHT = 0.7
# The pathway weight moves by this much between a want whose material is unknown (+half)
# and one whose material is certain (−half): 0.75 … 0.65 around PATHWAY_WEIGHT.
PURPOSE_SHIFT = 0.1
SEMANTIC_WEIGHT = 0.5
SEMANTIC_FLOOR = 0.2  # embedding cosines below this say nothing
BASE_WEIGHT = 0.8
DISTANCE_WEIGHT = 0.12
QUANTITY_WEIGHT = 0.08
QUANTITY_UNKNOWN = 0.5


@dataclass(frozen=True, slots=True)
class ListingArrays:
    """Column view of listings, prepared once for vectorised scoring.

    Scalars are 1-D arrays; profiles are CSR matrices with one row per listing, so
    ``take`` carries everything a pair needs.
    """

    ids: np.ndarray  # int64
    company: np.ndarray  # int64: owning firm, -1 when unknown
    lat: np.ndarray
    lon: np.ndarray
    max_km: np.ndarray
    ewc_entry: np.ndarray  # str: "100102" or ""
    ewc_sub: np.ndarray
    ewc_chap: np.ndarray
    category: np.ndarray  # str: slug or ""
    category_group: np.ndarray
    amount: np.ndarray  # canonical amount per year; NaN when unknown
    dim: np.ndarray  # quantity.DIM_* code
    density: np.ndarray  # t/m3; NaN when not stated
    start: np.ndarray  # date ordinal; -inf when open
    end: np.ndarray  # date ordinal; +inf when open
    hazardous: np.ndarray  # bool: offer material is hazardous
    accepts_hazardous: np.ndarray  # bool
    material: sp.csr_matrix  # n × materials: inferred material profile (rows sum to 1 or 0)
    material_near: sp.csr_matrix  # material @ taxonomy similarity
    use: sp.csr_matrix  # n × uses: inferred use profile
    use_potential: sp.csr_matrix  # material @ pathway evidence: uses the listing could serve
    block_matrix: sp.csr_matrix  # n × blocks, int8: coarse material classes (see infer)
    embedding: np.ndarray  # n × d float32 unit rows (d = 0 when the backend is off)
    config: ScoringConfig  # the components these arrays were prepared for
    # Row sums of ``material`` (how sure the listing's material is), kept as a column so
    # the scorer has it when the index passes products instead of profiles. Last, so an
    # index pickled before it existed loads without it and is refused (``complete``).
    material_confidence: np.ndarray

    @classmethod
    def from_records(
        cls, records: Sequence[ListingRecord], *, knowledge: Knowledge,
        profiles: Profiles | None = None, scalars: dict[str, np.ndarray] | None = None,
    ) -> ListingArrays:
        """Validate and convert records; ``ValueError`` names the offending listing.

        ``profiles``: the records' inferred profiles, when inferred elsewhere (the parts
        of a distributed fit); inferred here otherwise. ``scalars``: the records'
        ``scalar_columns``, when found before."""
        if scalars is None:
            scalars = cls.scalar_columns(records, knowledge=knowledge)
        return cls(**scalars, **_profile_fields(records, knowledge, profiles),
                   config=knowledge.config)

    @classmethod
    def scalar_columns(
        cls, records: Sequence[ListingRecord], *, knowledge: Knowledge
    ) -> dict[str, np.ndarray]:
        """The fields read from the records alone (not the profiles), validated."""
        scalar_names = [
            name
            for name in cls.__slots__
            if name not in _MATRIX_FIELDS and name not in ("config", "material_confidence")
        ]
        columns: dict[str, list] = {name: [] for name in scalar_names}
        for record in records:
            try:
                row = _record_row(record, knowledge)
            except ValueError as exc:
                raise ValueError(f"listing {record.id}: {exc}") from None
            for name, value in row.items():
                columns[name].append(value)
        dtypes = {
            "ids": np.int64,
            "company": np.int64,
            "dim": np.int8,
            "hazardous": bool,
            "accepts_hazardous": bool,
            "ewc_entry": str,
            "ewc_sub": str,
            "ewc_chap": str,
            "category": str,
            "category_group": str,
        }
        return {
            name: np.asarray(values, dtype=dtypes.get(name, np.float64))
            for name, values in columns.items()
        }

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def complete(self) -> bool:
        """Whether every field is set (an index pickled by an older engine lacks some)."""
        return all(hasattr(self, name) for name in self.__slots__)

    def take(self, idx: np.ndarray) -> ListingArrays:
        """Rows ``idx`` as a new ``ListingArrays``."""
        idx = np.asarray(idx, dtype=np.intp).reshape(-1)
        taken = {
            name: _take_rows(getattr(self, name), idx)
            if name in _MATRIX_FIELDS
            else getattr(self, name)[idx]
            for name in self.__slots__
            if name != "config"
        }
        return ListingArrays(**taken, config=self.config)


_MATRIX_FIELDS = frozenset(
    {"material", "material_near", "use", "use_potential", "block_matrix", "embedding"}
)


def _take_rows(matrix, idx: np.ndarray):
    if isinstance(matrix, np.ndarray):
        return matrix[idx]
    # Plain CSR row gathering, cheaper than SciPy's general fancy indexing.
    starts, ends = matrix.indptr[idx], matrix.indptr[idx + 1]
    lengths = ends - starts
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    if indptr[-1]:
        gather = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
    else:
        gather = np.empty(0, dtype=np.intp)
    return sp.csr_matrix(
        (matrix.data[gather], matrix.indices[gather], indptr),
        shape=(len(idx), matrix.shape[1]),
    )


def _profile_fields(
    records: Sequence[ListingRecord], knowledge: Knowledge, profiles: Profiles | None = None
) -> dict:
    """Inferred profiles (``profiles``, if already inferred), their expansions, blocks and
    embeddings of records."""
    n = len(records)
    config = knowledge.config
    if config.infers and knowledge.materials:
        model = knowledge.inference
        if profiles is None:
            profiles = model.profiles(records)
        material, use, blocks = profiles.material, profiles.use, profiles.blocks
        material_near = sp.csr_matrix(material @ model.taxonomy)
        use_potential = sp.csr_matrix(material @ model.pathway)
        if not config.blocking:
            blocks = _one_block(n)
    else:
        material = material_near = sp.csr_matrix((n, 0), dtype=np.float64)
        use = use_potential = sp.csr_matrix((n, 0), dtype=np.float64)
        blocks = _one_block(n)
    if config.on(EMBEDDINGS):
        from matching.engine.semantic import embed_records

        embedding = embed_records(records, config.embedder)
    else:
        embedding = np.zeros((n, 0), dtype=np.float32)
    for matrix in (material, material_near, use, use_potential, blocks):
        matrix.sort_indices()
    return {
        "material_confidence": np.clip(np.asarray(material.sum(axis=1)).ravel(), 0.0, 1.0),
        "material": material,
        "material_near": material_near,
        "use": use,
        "use_potential": use_potential,
        "block_matrix": sp.csr_matrix(blocks, dtype=np.int8),
        "embedding": embedding,
    }


def _one_block(n: int) -> sp.csr_matrix:
    return sp.csr_matrix(np.ones((n, 1), dtype=np.int8))


def material_blocks(records: Sequence[ListingRecord], knowledge: Knowledge) -> sp.csr_matrix:
    """The material-block indicator matrix of records (n × blocks, int8 CSR).

    A pair is possible only when its offer's and want's rows share a block (see
    ``blocks_meet``); a listing with no inferable material is in every block.
    """
    config = knowledge.config
    if not (config.infers and config.blocking and knowledge.materials):
        return _one_block(len(records))
    blocks = sp.csr_matrix(knowledge.inference.profiles(records).blocks, dtype=np.int8)
    blocks.sort_indices()
    return blocks


def rowdot(a, b) -> np.ndarray:
    """Row-wise dot products of aligned rows (a length-1 side broadcasts).

    Works on CSR matrices and dense 2-D arrays; zero columns give zeros.
    """
    n = max(a.shape[0], b.shape[0])
    if a.shape[1] == 0 or b.shape[1] == 0:
        return np.zeros(n)
    if isinstance(a, np.ndarray):
        return np.einsum(
            "ij,ij->i", np.broadcast_to(a, (n, a.shape[1])), np.broadcast_to(b, (n, b.shape[1]))
        ).astype(np.float64)
    if a.shape[0] == b.shape[0]:
        return np.asarray(a.multiply(b).sum(axis=1), dtype=np.float64).ravel()
    if a.shape[0] == 1:
        return np.asarray((b @ a.T).toarray(), dtype=np.float64).ravel()
    return np.asarray((a @ b.T).toarray(), dtype=np.float64).ravel()


def blocks_meet(offer_blocks, want_blocks) -> np.ndarray:
    """Whether aligned block rows share at least one block."""
    return (
        rowdot(
            sp.csr_matrix(offer_blocks, dtype=np.float64),
            sp.csr_matrix(want_blocks, dtype=np.float64),
        )
        > 0
    )


def _date_ordinal(value: date | None, open_value: float) -> float:
    return open_value if value is None else float(value.toordinal())


def _record_row(record: ListingRecord, knowledge: Knowledge) -> dict[str, object]:
    if record.kind not in (OFFER, WANT):
        raise ValueError(f"kind must be {OFFER!r} or {WANT!r}, not {record.kind!r}")
    lat, lon, max_km = float(record.lat), float(record.lon), float(record.max_km)
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90.0):
        raise ValueError(f"invalid coordinates ({record.lat!r}, {record.lon!r})")
    if not (math.isfinite(max_km) and max_km >= 0.0):
        raise ValueError(f"max_km must be a non-negative number, not {record.max_km!r}")
    dim, factor = amount_dimension(record.canonical_unit)
    amount = record.amount_per_year
    if amount is None or dim == DIM_NONE:
        amount_value = math.nan
    else:
        amount_value = float(amount) * factor
        if not (math.isfinite(amount_value) and amount_value >= 0.0):
            raise ValueError(f"amount_per_year must be a non-negative number, not {amount!r}")
    density = record.density_t_per_m3
    density_value = (
        float(density)
        if density is not None and math.isfinite(float(density)) and float(density) > 0
        else math.nan
    )
    entry, sub, chap = ewc_keys(record.ewc_code)
    return {
        "ids": int(record.id),
        "lat": lat,
        "lon": lon,
        "max_km": max_km,
        "ewc_entry": entry,
        "ewc_sub": sub,
        "ewc_chap": chap,
        "category": record.category or "",
        "category_group": knowledge.category_group(record.category or ""),
        "amount": amount_value,
        "dim": dim,
        "density": density_value,
        "start": _date_ordinal(record.available_from, -math.inf),
        "end": _date_ordinal(record.available_until, math.inf),
        # The starred code is a safety net behind the firm's own flag: a code from the
        # hazardous side of the list never reaches a taker without a permit.
        "hazardous": bool(record.hazardous) or knowledge.is_hazardous(record.ewc_code),
        "accepts_hazardous": bool(record.accepts_hazardous),
        "company": -1 if record.company_id is None else int(record.company_id),
    }


# --- rules (one place each; scalars or arrays) -----------------------------------------


def transport_range(offer_max_km: ArrayLike, want_max_km: ArrayLike) -> np.ndarray:
    """How far a pair may be apart: either side's willingness to carry suffices."""
    return np.maximum(offer_max_km, want_max_km)


def within_range(distance_km: ArrayLike, offer_max_km: ArrayLike, want_max_km: ArrayLike):
    return np.asarray(distance_km) <= transport_range(offer_max_km, want_max_km)


def different_firms(offer_company: ArrayLike, want_company: ArrayLike):
    """A firm's own offer and want are an internal matter, not a match."""
    offer_company = np.asarray(offer_company)
    return (offer_company < 0) | (offer_company != np.asarray(want_company))


def hazard_allowed(offer_hazardous: ArrayLike, want_accepts: ArrayLike):
    return ~np.asarray(offer_hazardous, dtype=bool) | np.asarray(want_accepts, dtype=bool)


def windows_overlap(
    offer_start: ArrayLike, offer_end: ArrayLike, want_start: ArrayLike, want_end: ArrayLike
):
    """Inclusive date windows (ordinals, ±inf when open) share at least one day."""
    return np.maximum(offer_start, want_start) <= np.minimum(offer_end, want_end)


def pathway_weight(want_material_confidence: ArrayLike) -> np.ndarray:
    """Weight of the pathway evidence for wants whose material is this sure (0 … 1).

    A want that only states a purpose ("organic co-substrate for anaerobic digestion") is
    served by whatever material serves that purpose; one that names its material ("slag
    as clinker substitute") is served first by that material, so a documented pathway of
    another material (fly ash → clinker substitute) should weigh a little less there.
    """
    confidence = np.clip(np.asarray(want_material_confidence, dtype=np.float64), 0.0, 1.0)
    return PATHWAY_WEIGHT + PURPOSE_SHIFT * (0.5 - confidence)


def material_score(
    text: ArrayLike,
    taxonomy: ArrayLike = 0.0,
    pathway: ArrayLike = 0.0,
    semantic: ArrayLike = 0.0,
    *,
    pathway_weight: ArrayLike = PATHWAY_WEIGHT,
) -> np.ndarray:
    """Noisy-OR of the evidence: ``1 − (1 − text)·Π(1 − wᵢ·eᵢ)``, in [0, 1], ≥ text."""
    miss = 1.0 - np.clip(np.asarray(text, dtype=np.float64), 0.0, 1.0)
    for value, weight in (
        (taxonomy, TAXONOMY_WEIGHT),
        (pathway, pathway_weight),
        (semantic, SEMANTIC_WEIGHT),
    ):
        miss = miss * (1.0 - weight * np.clip(np.asarray(value, dtype=np.float64), 0.0, 1.0))
    return np.clip(1.0 - miss, 0.0, 1.0)


def combine(components: Mapping[str, ArrayLike]) -> float | np.ndarray:
    """``material · timing · (0.8 + 0.12 · distance + 0.08 · quantity)``, in [0, 1]."""
    logistics = (
        BASE_WEIGHT
        + DISTANCE_WEIGHT * np.asarray(components["distance"], dtype=np.float64)
        + QUANTITY_WEIGHT * np.asarray(components["quantity"], dtype=np.float64)
    )
    timing = np.asarray(components.get("timing", 1.0), dtype=np.float64)
    score = np.clip(np.asarray(components["material"]) * timing * logistics, 0.0, 1.0)
    return float(score) if np.ndim(score) == 0 else score


@dataclass(frozen=True, slots=True)
class PairScores:
    """Scores of offer/want pairs (broadcast arrays)."""

    components: dict[str, np.ndarray]
    fit: np.ndarray  # raw quantity fit, NaN when unknown
    accepted: np.ndarray  # bool: passed every hard rule
    score: np.ndarray  # 0 where rejected
    distance_km: np.ndarray
    offer_hazardous: np.ndarray  # bool: the flag or a starred code
    offers: ListingArrays | None = None  # the scored rows, for explanations
    wants: ListingArrays | None = None

    def record(
        self,
        j: int,
        offer: ListingRecord,
        want: ListingRecord,
        *,
        knowledge: Knowledge,
        shared_terms: Sequence[str] = (),
    ) -> MatchRecord:
        """The ``MatchRecord`` of accepted pair ``j`` (``offer``/``want`` are its records)."""
        rows = np.array([j])
        return MatchRecord(
            offer_id=offer.id,
            want_id=want.id,
            score=float(self.score[j]),
            distance_km=float(self.distance_km[j]),
            components={name: float(value[j]) for name, value in self.components.items()},
            explanation=self.explanations(
                [offer], [want], rows=rows, knowledge=knowledge,
                shared_terms=lambda _: shared_terms,
            )[0],
        )

    def explanations(
        self,
        offers: Sequence[ListingRecord],
        wants: Sequence[ListingRecord],
        *,
        knowledge: Knowledge,
        rows: np.ndarray | None = None,
        shared_terms: Callable[[int], Sequence[str]] | None = None,
    ) -> list[str]:
        """The one-line explanation (``explain``) of each accepted pair of ``rows`` (all by
        default); ``offers[i]``/``wants[i]`` are the records of ``rows[i]``, and
        ``shared_terms(i)`` its shared words (asked for only when the wording explains it).

        The knowledge reasons are found for all pairs at once: this runs for every stored
        match of a full rematch.
        """
        rows = np.arange(len(self.score)) if rows is None else np.asarray(rows, np.int64)
        rejected = np.flatnonzero(~self.accepted[rows])
        if len(rejected):
            i = int(rejected[0])
            raise ValueError(f"pair {offers[i].id}/{wants[i].id} was rejected")
        reasons = knowledge_reasons(self, rows, knowledge=knowledge)
        self._category_reasons(reasons, rows, knowledge)
        # What a material reason reads (the other components do not enter it).
        names = [n for n in ("text", "ewc", "category", "semantic") if n in self.components]
        columns = [self.components[name][rows].tolist() for name in names]
        for i, reason in enumerate(reasons):
            if reason is None:
                components = {name: column[i] for name, column in zip(names, columns,
                                                                      strict=True)}
                reasons[i] = _material_reason(offers[i], wants[i], components, knowledge,
                                              shared_terms(i) if shared_terms else ())
        return explanation_lines(
            reasons, self.distance_km[rows], self.fit[rows], self.offer_hazardous[rows]
        )

    def _category_reasons(self, reasons: list[str | None], rows: np.ndarray,
                          knowledge: Knowledge) -> None:
        """Fill in the reasons ``_material_reason`` gives from the categories (most of
        those the knowledge base leaves open), found for all pairs at once; the others
        stay ``None``."""
        offers, wants = self.offers, self.wants
        if offers is None or wants is None or not len(rows):
            return
        parts = [self.components.get(n) for n in ("text", "ewc", "category")]
        if any(part is None for part in parts):
            return
        text, ewc, category = (np.asarray(part)[rows] for part in parts)
        strongest = np.maximum(ewc, category)
        # _material_reason's branches: structured evidence leads, and it is not an EWC's.
        by_category = ((strongest > 0) & (strongest >= text)
                       & ~((ewc >= category) & (ewc >= EWC_SAME_CHAPTER))
                       & np.fromiter((r is None for r in reasons), bool, len(reasons)))
        picked = np.flatnonzero(by_category)
        if not len(picked):
            return
        o_rows = rows[picked] if len(offers) > 1 else np.zeros(len(picked), np.int64)
        w_rows = rows[picked] if len(wants) > 1 else np.zeros(len(picked), np.int64)
        said: dict[tuple[str, str, bool], str] = {}
        for i, a, b, same in zip(picked.tolist(), offers.category[o_rows].tolist(),
                                 wants.category[w_rows].tolist(),
                                 (category[picked] >= CATEGORY_SAME).tolist(), strict=True):
            if not a or not b:
                continue  # a listing without a category: left to _material_reason
            reason = said.get((a, b, same))
            if reason is None:
                reason = said[(a, b, same)] = _category_reason(a, b, same, knowledge)
            reasons[i] = reason


def _row_of(arrays: ListingArrays, j: int) -> int:
    return 0 if len(arrays) == 1 else j


def score_arrays(
    offers: ListingArrays,
    wants: ListingArrays,
    *,
    text_sim: ArrayLike,
    distance_km: ArrayLike,
    products: Mapping[str, ArrayLike] | None = None,
) -> PairScores:
    """Score pairs ``offers[i]`` × ``wants[i]`` (length-1 sides broadcast).

    The components counted are those of the configuration the arrays were prepared for.
    ``products`` holds the pairs' profile dot products when the caller computed them in
    bulk (the index, tile by tile): ``inferred`` (material_near · material), ``pathway``
    (use_potential · use) and, with embeddings on, ``cosine``; the arrays may then lack
    their profile matrices, and the pairs are taken to share a material block (the index
    only forms such pairs).
    """
    config = offers.config
    if wants.config != config:
        raise ValueError("offers and wants were prepared for different scoring configurations")
    on = config.on

    distance_km = np.asarray(distance_km, dtype=np.float64)
    n = max(len(offers), len(wants), int(np.size(distance_km)))
    text = np.clip(np.nan_to_num(np.asarray(text_sim, dtype=np.float64)), 0.0, 1.0)
    if not on(TEXT):
        text = np.zeros_like(text)
    zero = np.zeros(n)
    if on(TAXONOMY):
        ewc = ewc_proximity_keys(
            offers.ewc_entry,
            offers.ewc_sub,
            offers.ewc_chap,
            wants.ewc_entry,
            wants.ewc_sub,
            wants.ewc_chap,
        )
        category = category_proximity_keys(
            offers.category, offers.category_group, wants.category, wants.category_group
        )
        inferred = np.clip(
            rowdot(offers.material_near, wants.material)
            if products is None
            else np.asarray(products["inferred"], dtype=np.float64),
            0.0,
            1.0,
        )
        taxonomy = np.maximum(np.maximum(ewc, category), inferred)
    else:
        ewc = category = taxonomy = zero
    if on(PATHWAYS):
        raw = (
            rowdot(offers.use_potential, wants.use)
            if products is None
            else np.asarray(products["pathway"], dtype=np.float64)
        )
        pathway = np.clip(raw, 0.0, 1.0)
    else:
        pathway = zero
    if products is None:
        use_embeddings = on(EMBEDDINGS) and offers.embedding.shape[1]
        cosine = rowdot(offers.embedding, wants.embedding) if use_embeddings else None
    else:
        cosine = products.get("cosine")
    if on(EMBEDDINGS) and cosine is not None:
        cosine = np.asarray(cosine, dtype=np.float64)
        semantic = np.clip((cosine - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR), 0.0, 1.0)
    else:
        semantic = zero
    material = material_score(
        text,
        taxonomy,
        pathway,
        semantic,
        pathway_weight=pathway_weight(wants.material_confidence),
    )
    reach = transport_range(offers.max_km, wants.max_km)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.where(reach > 0, 1.0 - distance_km / reach, 1.0)
    distance = np.clip(distance, 0.0, 1.0)
    fit = fit_arrays(
        offer_amount=offers.amount,
        offer_dim=offers.dim,
        want_amount=wants.amount,
        want_dim=wants.dim,
        offer_density=offers.density,
        want_density=wants.density,
    )
    quantity = np.where(np.isnan(fit), QUANTITY_UNKNOWN, fit)
    overlap = windows_overlap(offers.start, offers.end, wants.start, wants.end)
    timing = overlap.astype(np.float64)
    components = {
        "text": text,
        "ewc": ewc,
        "category": category,
        "taxonomy": taxonomy,
        "pathway": pathway,
        "semantic": semantic,
        "material": material,
        "distance": distance,
        "quantity": quantity,
        "timing": timing,
    }
    shape = np.broadcast_shapes(*(np.shape(value) for value in components.values()))
    components = {name: np.broadcast_to(value, shape) for name, value in components.items()}
    accepted = (
        within_range(distance_km, offers.max_km, wants.max_km)
        & hazard_allowed(offers.hazardous, wants.accepts_hazardous)
        & overlap
        & (material >= MIN_MATERIAL - 1e-12)
        & (offers.ids != wants.ids)
        & different_firms(offers.company, wants.company)
    )
    if products is None:
        accepted = accepted & blocks_meet(offers.block_matrix, wants.block_matrix)
    accepted = np.broadcast_to(accepted, shape)
    score = np.where(accepted, combine(components), 0.0)
    return PairScores(
        components=components,
        fit=np.broadcast_to(fit, shape),
        accepted=accepted,
        score=score,
        distance_km=np.broadcast_to(distance_km, shape),
        offer_hazardous=np.broadcast_to(offers.hazardous, shape),
        offers=offers,
        wants=wants,
    )


def score_pair(
    offer: ListingRecord,
    want: ListingRecord,
    *,
    text_sim: float,
    distance_km: float,
    knowledge: Knowledge,
    shared_terms: Sequence[str] = (),
) -> MatchRecord | None:
    """Score one offer/want pair; ``None`` when a hard rule rejects it.

    ``shared_terms`` (words both texts use) only feed the explanation.
    """
    if offer.kind != OFFER or want.kind != WANT:
        raise ValueError("score_pair takes an offer and a want, in that order")
    offers = ListingArrays.from_records([offer], knowledge=knowledge)
    wants = ListingArrays.from_records([want], knowledge=knowledge)
    scored = score_arrays(offers, wants, text_sim=[text_sim], distance_km=[distance_km])
    if not scored.accepted[0]:
        return None
    return scored.record(0, offer, want, knowledge=knowledge, shared_terms=shared_terms)


# --- explanation ------------------------------------------------------------------------


def knowledge_reasons(
    scores: PairScores, rows: np.ndarray, *, knowledge: Knowledge
) -> list[str | None]:
    """Why the knowledge base thinks each pair of ``rows`` fits, when it is the main reason.

    The strongest pathway ("fly ash → clinker substitute (EU cement BREF 2013)") or the
    closest materials ("same material: …", "related materials: …"); ``None`` when the
    text (or codes, or nothing) explains the match better.
    """
    out: list[str | None] = [None] * len(rows)
    offers, wants = scores.offers, scores.wants
    if (
        offers is None
        or wants is None
        or not knowledge.materials
        or offers.material.shape[1] == 0
        or not len(rows)
    ):
        return out
    model = knowledge.inference

    def column(name: str) -> np.ndarray:
        value = scores.components.get(name)
        return np.zeros(len(rows)) if value is None else np.asarray(value)[rows]

    o_rows = rows if len(offers) > 1 else np.zeros(len(rows), np.int64)
    w_rows = rows if len(wants) > 1 else np.zeros(len(rows), np.int64)
    text, taxonomy_raw = column("text"), column("taxonomy")
    # Each kind of evidence as much as it adds to the material score.
    pathway = pathway_weight(wants.material_confidence[w_rows]) * column("pathway")
    taxonomy = TAXONOMY_WEIGHT * taxonomy_raw
    structured = np.maximum(column("ewc"), column("category"))
    material = sp.csr_matrix(offers.material)
    has_material = np.diff(material.indptr)[o_rows] > 0
    open_ = has_material.copy()
    ask = open_ & (pathway > 0) & (pathway >= np.maximum(taxonomy, text))
    found, m, u = _strongest(material, o_rows[ask], sp.csr_matrix(wants.use), w_rows[ask],
                             model.pathway_dense)
    # A few thousand distinct pathways describe a million matches.
    described: dict[tuple[int, int], str] = {}
    for i, a, b in zip(np.flatnonzero(ask)[found].tolist(), m.tolist(), u.tolist(),
                       strict=True):
        said = described.get((a, b))
        if said is None:
            said = described[(a, b)] = model.describe_pathway(a, b)
        out[i] = said
        open_[i] = False
    ask = open_ & (taxonomy > 0) & (taxonomy >= text) & (structured < taxonomy_raw)
    found, m, w = _strongest(material, o_rows[ask], sp.csr_matrix(wants.material),
                             w_rows[ask], model.taxonomy_dense)
    for i, a, b in zip(np.flatnonzero(ask)[found].tolist(), m.tolist(), w.tolist(),
                       strict=True):
        out[i] = model.describe_materials(a, b)
    return out


def _strongest(
    a_matrix: sp.csr_matrix, a_rows: np.ndarray, b_matrix: sp.csr_matrix, b_rows: np.ndarray,
    table: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair of rows: the (a, b) with the largest ``A[row, a] · table[a, b] ·
    B[row, b]``, when one is > 0 (the first such in row-major order of the stored entries
    wins ties). Returns (found mask, a of the found, b of the found).

    Profiles have a handful of entries: every pair's entries are laid out side by side.
    """
    a_lo = a_matrix.indptr[a_rows]
    b_lo = b_matrix.indptr[b_rows]
    na = a_matrix.indptr[a_rows + 1] - a_lo
    nb = b_matrix.indptr[b_rows + 1] - b_lo
    sizes = na * nb
    pair = np.repeat(np.arange(len(a_rows)), sizes)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    width = nb[pair]
    ai = a_lo[pair] + offset // np.maximum(width, 1)
    bi = b_lo[pair] + offset % np.maximum(width, 1)
    a, b = a_matrix.indices[ai], b_matrix.indices[bi]
    # One flat gather: several times faster than indexing the table by (a, b).
    weight = a_matrix.data[ai] * table.ravel()[a * table.shape[1] + b] * b_matrix.data[bi]
    positive = np.flatnonzero(weight > 0)
    best = np.zeros(len(a_rows))
    if len(positive):
        # ``pair`` is sorted: each pair's maximum is one reduction over its run (several
        # times faster than ``np.maximum.at``, and the same values).
        runs = np.flatnonzero(np.r_[True, np.diff(pair[positive]) != 0])
        best[pair[positive[runs]]] = np.maximum.reduceat(weight[positive], runs)
    top = positive[weight[positive] == best[pair[positive]]]
    first = top[np.r_[True, pair[top][1:] != pair[top][:-1]]] if len(top) else top
    found = np.zeros(len(a_rows), dtype=bool)
    found[pair[first]] = True
    return found, a[first], b[first]


def _sparse_row(matrix: sp.csr_matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[lo:hi], matrix.data[lo:hi]


def _material_reason(
    offer: ListingRecord,
    want: ListingRecord,
    components: Mapping[str, float],
    knowledge: Knowledge,
    shared_terms: Sequence[str],
) -> str:
    text, ewc, category = components["text"], components["ewc"], components["category"]
    if max(ewc, category) > 0 and max(ewc, category) >= text:
        code = offer.ewc_code
        if ewc >= category:
            if ewc >= EWC_SAME_ENTRY:
                return f"same EWC entry {ewc_display(code)}"
            if ewc >= EWC_SAME_SUB_CHAPTER:
                return f"same EWC sub-chapter {ewc_display(ewc_keys(code)[1])}"
            if ewc >= EWC_SAME_CHAPTER:
                return f"same EWC chapter {ewc_keys(code)[2]}"
        return _category_reason(offer.category, want.category, category >= CATEGORY_SAME,
                                knowledge)
    if components.get("semantic", 0.0) * SEMANTIC_WEIGHT > text:
        return "similar meaning" + (": " + ", ".join(shared_terms) if shared_terms else "")
    if shared_terms:
        return "similar wording: " + ", ".join(shared_terms)
    return "similar wording"


def _category_reason(offer: str, want: str, same: bool, knowledge: Knowledge) -> str:
    if same:
        return f"same category: {knowledge.category_name(offer)}"
    return (f"related categories: {knowledge.category_name(offer)}"
            f" and {knowledge.category_name(want)}")


def _distance_text(distance_km: float) -> str:
    if distance_km < 10:
        return f"{distance_km:.1f} km"
    return f"{distance_km:,.0f} km"


def explain(
    offer: ListingRecord,
    want: ListingRecord,
    *,
    components: Mapping[str, float],
    distance_km: float,
    quantity_fit: float | None,
    knowledge: Knowledge,
    offer_hazardous: bool | None = None,
    shared_terms: Sequence[str] = (),
    knowledge_reason: str | None = None,
) -> str:
    """One line: why the material fits, how far, how much of the need it covers.

    e.g. ``"fly ash → clinker substitute (EU cement BREF 2013), 12 km, covers 80% of the
    need"``; ``knowledge_reason`` (from ``knowledge_reason``) names the pathway or the
    materials when they are the main reason.
    """
    return _explanation(
        knowledge_reason or _material_reason(offer, want, components, knowledge, shared_terms),
        distance_km,
        quantity_fit,
        offer.hazardous if offer_hazardous is None else offer_hazardous,
    )


def explanation_lines(
    reasons: Sequence[str], distance_km: np.ndarray, quantity_fit: np.ndarray,
    hazardous: np.ndarray,
) -> list[str]:
    """``_explanation`` of many pairs (``quantity_fit`` NaN when unknown), the same text.

    Distances of 10 km or more and quantity shares are whole numbers: each distinct one is
    formatted once, and each line is joined by one format call (a full rematch explains
    millions).
    """
    n = len(reasons)
    distance_km = np.asarray(distance_km, dtype=np.float64)
    quantity_fit = np.asarray(quantity_fit, dtype=np.float64)
    distances = np.empty(n, dtype=object)
    near = distance_km < 10
    distances[near] = [_distance_text(d) for d in distance_km[near].tolist()]
    # f"{d:,.0f}" and np.rint both round the exact binary value half to even.
    distances[~near] = _int_texts(np.rint(distance_km[~near]), "{:,d} km")
    quantities = np.full(n, "quantity unknown", dtype=object)
    known = ~np.isnan(quantity_fit)
    # The same float operations as _explanation's math.floor(fit * 100 + 1e-9).
    quantities[known] = _int_texts(np.floor(quantity_fit[known] * 100 + 1e-9),
                                   "covers {:d}% of the need")
    hazard = np.where(np.asarray(hazardous, dtype=bool), ", hazardous (taker permitted)", "")
    return list(map("{}, {}, {}{}".format, reasons, distances.tolist(), quantities.tolist(),
                    hazard.tolist()))


def _int_texts(values: np.ndarray, template: str) -> np.ndarray:
    """``template`` of each whole-number value, each distinct value formatted once."""
    distinct, inverse = np.unique(values.astype(np.int64), return_inverse=True)
    texts = np.array([template.format(v) for v in distinct.tolist()] or [""], dtype=object)
    return texts[inverse.reshape(-1)] if len(values) else np.empty(0, dtype=object)


def _explanation(
    reason: str, distance_km: float, quantity_fit: float | None, hazardous: bool
) -> str:
    parts = [reason, _distance_text(distance_km)]
    if quantity_fit is None:
        parts.append("quantity unknown")
    else:
        # Floor, so a 99.6 % fit never reads as the whole need.
        parts.append(f"covers {math.floor(quantity_fit * 100 + 1e-9):d}% of the need")
    if hazardous:
        parts.append("hazardous (taker permitted)")
    return ", ".join(parts)
