"""How much each kind of evidence counts, sparse profile helpers and ``Profiles``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


def keep_top(matrix: sp.csr_matrix, *, top: int, relative: float) -> sp.csr_matrix:
    """Per row: entries within ``relative`` of the row's maximum, at most ``top`` of them."""
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    n_rows = matrix.shape[0]
    rows = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
    data, cols = matrix.data, matrix.indices
    if not len(data):
        return sp.csr_matrix(matrix.shape, dtype=np.float64)
    row_max = np.zeros(n_rows)
    filled = np.flatnonzero(np.diff(matrix.indptr))
    row_max[filled] = np.maximum.reduceat(data, matrix.indptr[filled])
    # Rank within each row by value (descending), ties by column, without a Python loop.
    order = np.lexsort((cols, -data, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    starts = np.searchsorted(rows, np.arange(n_rows))
    rank = np.arange(len(rows)) - starts[rows]
    keep = (rank < top) & (data >= relative * row_max[rows]) & (data > 0)
    out = sp.csr_matrix((data[keep], (rows[keep], cols[keep])), shape=matrix.shape)
    out.sort_indices()
    return out


def normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to sum 1 (empty rows stay empty)."""
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    out = sp.csr_matrix(sp.diags(scale) @ matrix)
    out.sort_indices()
    return out


def either(*parts: sp.csr_matrix) -> sp.csr_matrix:
    """Evidence from independent sources: ``1 − Π(1 − pᵢ)`` per entry, rows capped at 1.

    Each part is a distribution scaled by its confidence; agreeing sources reinforce each
    other, and a row never carries more than certainty.
    """
    total = sp.csr_matrix(parts[0], dtype=np.float64)
    for part in parts[1:]:
        part = sp.csr_matrix(part, dtype=np.float64)
        total = sp.csr_matrix(total + part - total.multiply(part))
    # Row sums in column order: a row sums to the same bits alone or in any batch (the
    # sparse sums above may leave a row's entries in another order).
    total.sum_duplicates()
    total.sort_indices()
    sums = np.asarray(total.sum(axis=1)).ravel()
    scale = np.where(sums > 1.0, 1.0 / np.maximum(sums, 1e-300), 1.0)
    out = sp.csr_matrix(sp.diags(scale) @ total)
    out.eliminate_zeros()
    out.sort_indices()
    return out


# --- the model built from the knowledge base -------------------------------------------

# Confidence of each kind of evidence (a profile row sums to at most 1: its confidence).
FULL_EVIDENCE = 2.0  # raw phrase evidence that makes a material certain
CODE_EXACT = 0.9  # a stated entry listed for a material
CODE_NOS = 0.45  # a stated "not otherwise specified" (…99) entry
CODE_SUB_CHAPTER = 0.5  # a material listed by the stated code's sub-chapter
CODE_CHAPTER = 0.2
CODE_SURE = 0.45  # code evidence at least this strong also sets the blocks
CATEGORY_STATED = 0.6  # a stated material category, spread over its materials
NACE_CONFIDENCE = 0.3  # the sector is a prior: what such firms usually have or need
CATEGORY_SAME = 0.6  # taxonomy: two materials of one category
GROUP_SAME = 0.3  # taxonomy: two materials of one top-level group
ACCEPTS_CATEGORY = 0.5  # pathway evidence when a use accepts the material's category
# A documented case (an exchange practised at named sites) is proven practice, nearly as
# strong a signal as a standardised route: measured on the dev set, 0.85 cost 2 points of
# MRR against 0.92 … 1.0 (§8 of docs/matching.md). Pilots and ideas weigh clearly less.
EVIDENCE_WEIGHTS = {
    "commercial": 1.0,
    "industrial": 1.0,
    "established": 1.0,
    "standard": 1.0,
    "demonstrated": 0.85,
    "pilot": 0.75,
    "case": 0.95,
    "research": 0.6,
    "emerging": 0.7,
}
# Blocks take a listing's strongest few material (offers) or use (wants) candidates. On
# the dev and held-out benchmarks, 3 within 60 % of the best lose no recall against 10
# within 15 % (and drop a few cross-category rivals) with 2.7× fewer candidate pairs.
BLOCK_RELATIVE = 0.6
BLOCK_TOP = 3
BLOCK_MIN_CONFIDENCE = 0.5
CACHE_SIZE = 4096

_EWC_NOISE = re.compile(r"\s*(other than|except)\b.*$", re.IGNORECASE)


_BREF = re.compile(
    r"^(?:Best Available Techniques \(BAT\) Reference Document|Reference Document on Best "
    r"Available Techniques)\s+(?:for|in|on)\s+(?:the\s+)?",
    re.IGNORECASE,
)
_ASIDE = re.compile(r"\s*\([^()\d]*\)")  # "(European Commission JRC)", "(EU)", "(CEN)"
_CUT = re.compile(r":|\s+-\s+|\s+—\s+")


def short_source(source: str, year: str = "", limit: int = 50) -> str:
    """A citation short enough for a one-line explanation.

    "Best Available Techniques (BAT) Reference Document for the Production of Cement,
    Lime and Magnesium Oxide (European Commission JRC)" + 2013 → "BREF Production of
    Cement, Lime and Magnesium Oxide, 2013".
    """
    text = (source or "").strip()
    bref = _BREF.match(text)
    if bref:
        text = "BREF " + text[bref.end() :]
    text = _CUT.split(_ASIDE.sub("", text), maxsplit=1)[0].strip().rstrip(",.;")
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;") + "…"
    if year and year not in text:
        text = f"{text}, {year}" if text else year
    return text


def evidence_weight(evidence: str) -> float:
    """Weight of a pathway by its evidence level (unknown wording counts fully)."""
    text = (evidence or "").lower()
    for word, weight in EVIDENCE_WEIGHTS.items():
        if word in text:
            return weight
    return 1.0


def _digits(code: str) -> str:
    return "".join(ch for ch in code or "" if ch.isdigit())


def _nace_related(a: str, b: str) -> bool:
    da, db = _digits(a), _digits(b)
    return bool(da and db) and (da.startswith(db) or db.startswith(da))


@dataclass(frozen=True)
class Profiles:
    """Per listing: material and use distributions, and the material blocks."""

    material: sp.csr_matrix  # n × materials, rows sum to 1 or are empty
    use: sp.csr_matrix  # n × uses (wants only: an offer's row is empty)
    blocks: sp.csr_matrix  # n × blocks, int8 indicator

    def take(self, rows: np.ndarray) -> Profiles:
        """The profiles of ``rows`` (positions), in that order."""
        return Profiles(*(sp.csr_matrix(m[rows]) for m in (self.material, self.use,
                                                           self.blocks)))

    @staticmethod
    def stack(parts: Sequence[Profiles]) -> Profiles:
        """Profiles of consecutive parts of a record list, as one (rows are independent)."""
        return Profiles(*(sp.csr_matrix(sp.vstack([getattr(p, name) for p in parts]))
                          for name in ("material", "use", "blocks")))
