"""The matching engine: plain records in, scored offer/want pairs out (no Django).

This package is the engine's front door: the app imports from ``matching.engine`` only.

``MatchIndex.build(records, knowledge)`` fits the text model and the radius trees;
``query(record, k)`` ranks one listing's counterparts and ``match_all(k)`` every listing's
(``select`` and the cell helpers for a distributed rematch). Inside:

- ``config``: the engine version, scoring weights, ``ScoringConfig`` and ``Tuning``;
- ``records``: listings and matches as plain values; ``knowledge``: reference data;
- ``infer``: material and use profiles; ``text``: the text model; ``score``: rules,
  scores and explanations, and the learned ranker a configuration may carry
  (``LearnedRanker``, plain data the app fits on decisions); ``index``: candidates,
  products, ranking and selection;
- ``quantity``, ``geo``, ``cells``: units, distances, the cells of a distributed rematch;
- ``persistence``: what a pickled index holds; ``runtime``: forked helpers, the collector
  pause; ``semantic`` (optional embeddings) and ``suggest`` (EWC code suggestions) are
  imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matching.engine.cells import Cell, CellPlan, plan_cells
from matching.engine.config import (
    COMPONENTS,
    DEFAULT_COMPONENTS,
    DEFAULT_TUNING,
    ENGINE_VERSION,
    PATHWAY,
    SEMANTIC,
    SWITCHABLE,
    TAXONOMY,
    TEXT,
    ScoringConfig,
    Tuning,
    parse_components,
)
from matching.engine.geo import EARTH_RADIUS_KM, haversine_km
from matching.engine.index import MatchIndex, Selection
from matching.engine.infer import InferenceModel, Profiles
from matching.engine.knowledge import (
    DEFAULT_DATA_DIR,
    EwcEntry,
    Knowledge,
    ewc_display,
    ewc_proximity,
    normalise_ewc,
    string_codes,
)
from matching.engine.ngrams import strip_accents
from matching.engine.quantity import (
    DIM_NONE,
    FREQUENCIES,
    UNITS,
    amount_dimension,
    canonical_amount,
    fit_arrays,
    format_amount,
    quantity_fit,
    split_rate,
)
from matching.engine.records import (
    MAX_DESCRIPTION_CHARS,
    MAX_TITLE_CHARS,
    OFFER,
    WANT,
    ListingRecord,
    MatchColumns,
    MatchRecord,
    pack_records,
    record_problem,
    unpack_records,
)
from matching.engine.runtime import ForkedBatches, can_fork, collector_paused
from matching.engine.score import (
    HAND_SET,
    HAND_SET_FEATURE,
    LEARNABLE_FEATURES,
    LearnedRanker,
    combine,
    explain,
    feature_matrix,
    final_score,
    ranker_version,
    score_pair,
)
from matching.engine.score.quality_fit import CERTIFICATE_CODES, CERTIFICATES
from matching.engine.text import BLOCKS as TEXT_BLOCKS
from matching.engine.text import TextModel, listing_text

if TYPE_CHECKING:
    from matching.engine.semantic import CachedEmbedder, Embedder, embed_records, load_embedder
    from matching.engine.suggest import (
        HAZARD_DEPENDS,
        HAZARD_LABELS,
        HAZARD_NO,
        HAZARD_YES,
        EwcAdvice,
        EwcSuggester,
        Suggestion,
        evaluate,
    )

# Imported on first use: the semantic backend may pull in torch, and the suggester's
# models are needed by the EWC suggestions only.
_LAZY = {
    "CachedEmbedder": "matching.engine.semantic",
    "Embedder": "matching.engine.semantic",
    "embed_records": "matching.engine.semantic",
    "load_embedder": "matching.engine.semantic",
    "HAZARD_DEPENDS": "matching.engine.suggest",
    "HAZARD_LABELS": "matching.engine.suggest",
    "HAZARD_NO": "matching.engine.suggest",
    "HAZARD_YES": "matching.engine.suggest",
    "EwcAdvice": "matching.engine.suggest",
    "EwcSuggester": "matching.engine.suggest",
    "Suggestion": "matching.engine.suggest",
    "evaluate": "matching.engine.suggest",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CERTIFICATES",
    "CERTIFICATE_CODES",
    "COMPONENTS",
    "DEFAULT_COMPONENTS",
    "DEFAULT_DATA_DIR",
    "DEFAULT_TUNING",
    "DIM_NONE",
    "EARTH_RADIUS_KM",
    "ENGINE_VERSION",
    "FREQUENCIES",
    "HAND_SET",
    "HAND_SET_FEATURE",
    "LEARNABLE_FEATURES",
    "LearnedRanker",
    "feature_matrix",
    "final_score",
    "ranker_version",
    "HAZARD_DEPENDS",
    "HAZARD_LABELS",
    "HAZARD_NO",
    "HAZARD_YES",
    "OFFER",
    "PATHWAY",
    "SEMANTIC",
    "SWITCHABLE",
    "TAXONOMY",
    "TEXT",
    "TEXT_BLOCKS",
    "UNITS",
    "WANT",
    "CachedEmbedder",
    "Cell",
    "CellPlan",
    "Embedder",
    "EwcEntry",
    "EwcAdvice",
    "EwcSuggester",
    "ForkedBatches",
    "InferenceModel",
    "Knowledge",
    "ListingRecord",
    "MAX_DESCRIPTION_CHARS",
    "MAX_TITLE_CHARS",
    "MatchColumns",
    "MatchIndex",
    "MatchRecord",
    "Profiles",
    "ScoringConfig",
    "Selection",
    "Suggestion",
    "TextModel",
    "Tuning",
    "amount_dimension",
    "can_fork",
    "canonical_amount",
    "split_rate",
    "collector_paused",
    "combine",
    "embed_records",
    "evaluate",
    "ewc_display",
    "ewc_proximity",
    "explain",
    "fit_arrays",
    "format_amount",
    "haversine_km",
    "listing_text",
    "load_embedder",
    "normalise_ewc",
    "pack_records",
    "record_problem",
    "parse_components",
    "plan_cells",
    "quantity_fit",
    "score_pair",
    "string_codes",
    "strip_accents",
    "unpack_records",
]
