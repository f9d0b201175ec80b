"""Listings as columns for vectorised scoring (``ListingArrays``) and the row-wise
products the scorer combines them with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from matching.engine.config import SEMANTIC, ScoringConfig
from matching.engine.knowledge import Knowledge, ewc_keys
from matching.engine.quantity import DIM_NONE, amount_dimension
from matching.engine.records import OFFER, WANT, ListingRecord
from matching.engine.score.quality_fit import quality_matrix, quality_row

if TYPE_CHECKING:
    from matching.engine.infer import Profiles


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
    # n × quality_fit.QUALITY_COLUMNS (NaN: not stated), or n × 0 when no listing states
    # a quality field. After ``material_confidence`` for the same reason.
    quality: np.ndarray

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
        columns["quality"] = quality_matrix(columns["quality"])
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
    if config.on(SEMANTIC):
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
        "quality": quality_row(record),
    }
