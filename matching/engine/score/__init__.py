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
move a right material by at most 20 %. With a learned ranker in the configuration
(``learned.LearnedRanker``, fitted by the app on decisions), the final score of an
accepted pair is the ranker's instead (``learned``).
"""

from __future__ import annotations

from matching.engine.config import COMPONENTS, pathway_weight
from matching.engine.score.arrays import ListingArrays, blocks_meet, material_blocks, rowdot
from matching.engine.score.explanations import explain, explanation_lines, knowledge_reasons
from matching.engine.score.learned import (
    HAND_SET,
    HAND_SET_FEATURE,
    LEARNABLE_FEATURES,
    LearnedRanker,
    feature_matrix,
    final_score,
    ranker_version,
)
from matching.engine.score.rules import (
    PairScores,
    combine,
    different_firms,
    hazard_allowed,
    material_score,
    score_arrays,
    score_pair,
    transport_range,
    windows_overlap,
    within_range,
)

# Stored models name ``matching.engine.score.ListingArrays`` (pickled before the split):
# it stays importable from here.
__all__ = [
    "COMPONENTS",
    "HAND_SET",
    "HAND_SET_FEATURE",
    "LEARNABLE_FEATURES",
    "LearnedRanker",
    "feature_matrix",
    "final_score",
    "ranker_version",
    "ListingArrays",
    "PairScores",
    "blocks_meet",
    "combine",
    "different_firms",
    "explain",
    "explanation_lines",
    "hazard_allowed",
    "knowledge_reasons",
    "material_blocks",
    "material_score",
    "pathway_weight",
    "rowdot",
    "score_arrays",
    "score_pair",
    "transport_range",
    "windows_overlap",
    "within_range",
]
