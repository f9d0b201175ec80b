"""Sparse products of pairs' rows, and gathering the rows of the pairs to score.

Every pair's dot product adds the same terms in the same order in every path (single
query, batch, any cell split, the baseline's merge of sorted rows): bit for bit equal.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from matching.engine.config import DEFAULT_TUNING, Tuning
from matching.engine.records import OFFER, WANT
from matching.engine.score import ListingArrays
from matching.engine.text import TextModel


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
    *,
    tuning: Tuning = DEFAULT_TUNING,
) -> list[np.ndarray]:
    """Dot products of each (offer, want) pair's rows, for each (offer, want) matrix pair.

    Offers are taken a slab at a time (at most ``tuning.slab_offers``, and at most
    ``tuning.product_cells`` slab × wants entries), against the wants that slab's pairs name:
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
    slab_offers, product_cells = tuning.slab_offers, tuning.product_cells
    slabs = [(lo, min(lo + slab_offers, len(offers)))
             for lo in range(0, len(offers), slab_offers)]
    while slabs:
        lo, hi = slabs.pop()
        picked = order[starts[lo] : starts[hi]]
        wants, w_local = _table_unique(want_pos[picked], matrices[0][1].shape[0])
        if (hi - lo) * len(wants) > product_cells and hi - lo > 1:
            step = max(1, product_cells // len(wants))
            slabs.extend((a, min(a + step, hi)) for a in range(lo, hi, step))
            continue
        at = w_local * (hi - lo) + (o_local[picked] - lo)
        for (o_matrix, w_matrix), values in zip(matrices, out, strict=True):
            if o_matrix.shape[1] == 0:
                continue
            dense = _slab_product(_csr_rows(o_matrix, offers[lo:hi]), _csr_rows(w_matrix, wants),
                                  tuning)
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


def _slab_product(a: sp.csr_matrix, b: sp.csr_matrix, tuning: Tuning) -> np.ndarray:
    """``b @ a.T`` as a dense (wants × offers) array, summed in ``b``'s feature order."""
    if a.shape[1] <= tuning.dense_features:
        return b @ np.ascontiguousarray(a.toarray().T)
    # Only the features the slab's offers use: the others would only add zeros.
    features, local_of = np.unique(a.indices, return_inverse=True)
    if len(features) * a.shape[0] > tuning.dense_cells:
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
