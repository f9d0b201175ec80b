"""The matching engine: plain records in, scored offer/want pairs out (no Django).

``MatchIndex.build(records, knowledge)`` fits the text model and the radius trees;
``query(record, k)`` ranks one listing's counterparts and ``match_all(k)`` every listing's.
Scoring rules live in ``score``, units in ``quantity``, reference data in ``knowledge``.

This module is the engine's front door: code outside the engine imports from here only.
"""

from __future__ import annotations

from matching.engine.batch import collector_paused
from matching.engine.cells import CellPlan, plan_cells
from matching.engine.geo import EARTH_RADIUS_KM, GeoIndex, haversine_km
from matching.engine.index import MatchIndex, Selection
from matching.engine.infer import Profiles
from matching.engine.knowledge import Knowledge, ewc_display, ewc_proximity
from matching.engine.quantity import FREQUENCIES, UNITS, canonical_amount, quantity_fit
from matching.engine.records import (
    OFFER,
    WANT,
    ListingRecord,
    MatchColumns,
    MatchRecord,
    pack_records,
    unpack_records,
)
from matching.engine.score import COMPONENTS, combine, explain, score_pair
from matching.engine.semantic import load_embedder
from matching.engine.suggest import (
    HAZARD_DEPENDS,
    HAZARD_NO,
    HAZARD_YES,
    EwcSuggester,
    Suggestion,
    evaluate,
)
from matching.engine.text import TextModel, listing_text

# The version of the engine's scoring and stored model format; a model fitted by another
# version is refitted. v6: block flags packed in stored models (v5 models are refitted);
# v5: knowledge fingerprint; v4: pathway weight by the want's material certainty; v3:
# category blocks, char 4-grams; v2: knowledge, firm rule
ENGINE_VERSION = "v6"

__all__ = [
    "COMPONENTS",
    "EARTH_RADIUS_KM",
    "ENGINE_VERSION",
    "FREQUENCIES",
    "HAZARD_DEPENDS",
    "HAZARD_NO",
    "HAZARD_YES",
    "OFFER",
    "UNITS",
    "WANT",
    "CellPlan",
    "EwcSuggester",
    "GeoIndex",
    "Knowledge",
    "ListingRecord",
    "MatchColumns",
    "MatchIndex",
    "MatchRecord",
    "Profiles",
    "Selection",
    "Suggestion",
    "TextModel",
    "canonical_amount",
    "collector_paused",
    "combine",
    "evaluate",
    "ewc_display",
    "ewc_proximity",
    "explain",
    "haversine_km",
    "listing_text",
    "load_embedder",
    "pack_records",
    "plan_cells",
    "quantity_fit",
    "score_pair",
    "unpack_records",
]
