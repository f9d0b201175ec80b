"""The matching engine: plain records in, scored offer/want pairs out (no Django).

``MatchIndex.build(records, knowledge)`` fits the text model and the radius trees;
``query(record, k)`` ranks one listing's counterparts and ``match_all(k)`` every listing's.
Scoring rules live in ``score``, units in ``quantity``, reference data in ``knowledge``.
"""

from __future__ import annotations

from matching.engine.geo import EARTH_RADIUS_KM, GeoIndex, haversine_km
from matching.engine.index import MatchIndex
from matching.engine.knowledge import Knowledge, ewc_display, ewc_proximity
from matching.engine.quantity import FREQUENCIES, UNITS, canonical_amount, quantity_fit
from matching.engine.records import OFFER, WANT, ListingRecord, MatchRecord
from matching.engine.score import COMPONENTS, combine, explain, score_pair
from matching.engine.text import TextModel, listing_text

__all__ = [
    "COMPONENTS",
    "EARTH_RADIUS_KM",
    "FREQUENCIES",
    "OFFER",
    "UNITS",
    "WANT",
    "GeoIndex",
    "Knowledge",
    "ListingRecord",
    "MatchIndex",
    "MatchRecord",
    "TextModel",
    "canonical_amount",
    "combine",
    "ewc_display",
    "ewc_proximity",
    "explain",
    "haversine_km",
    "listing_text",
    "quantity_fit",
    "score_pair",
]
