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

from matching.engine.index.core import COUNTERPART, MatchIndex
from matching.engine.index.geometry import chord, reach_class, unit_vectors, z_order
from matching.engine.index.products import pair_products, take_rows, take_scalars
from matching.engine.index.ranking import radix_order, top_k_mask
from matching.engine.index.selection import Selection

__all__ = [
    "COUNTERPART",
    "MatchIndex",
    "Selection",
    "chord",
    "pair_products",
    "radix_order",
    "reach_class",
    "take_rows",
    "take_scalars",
    "top_k_mask",
    "unit_vectors",
    "z_order",
]
