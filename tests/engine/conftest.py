"""Fixtures for the engine tests (plain Python: no Django settings needed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from matching.engine import (
    OFFER,
    WANT,
    Knowledge,
    ListingRecord,
    MatchIndex,
    MatchRecord,
    haversine_km,
    listing_text,
    score_pair,
)

BASE = ListingRecord(id=0, kind=OFFER, title="", lat=60.0, lon=24.0, max_km=100.0)


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return Knowledge.load()


@pytest.fixture()
def make() -> Callable[..., ListingRecord]:
    """Build a ListingRecord from keyword overrides of a neutral base."""

    def _make(**fields) -> ListingRecord:
        return replace(BASE, **fields)

    return _make


def naive_query(index: MatchIndex, record: ListingRecord, k: int) -> list[MatchRecord]:
    """Brute force: every counterpart, scalar haversine, score_pair, sort, cut."""
    model, knowledge = index.text_model, index.knowledge
    row = model.transform([listing_text(record, knowledge=knowledge)])
    rows = model.transform([listing_text(other, knowledge=knowledge) for other in index.records])
    found = []
    for i, other in enumerate(index.records):
        if other.kind == record.kind or other.id == record.id:
            continue
        other_row = rows[i]
        sim = float((other_row @ row.T).toarray()[0, 0])
        dist = haversine_km(record.lat, record.lon, other.lat, other.lon)
        offer, want = (record, other) if record.kind == OFFER else (other, record)
        match = score_pair(
            offer,
            want,
            text_sim=sim,
            distance_km=dist,
            knowledge=knowledge,
            shared_terms=model.shared_terms(row, other_row),
        )
        if match is not None:
            found.append(match)
    counterpart = (lambda m: m.want_id) if record.kind == OFFER else (lambda m: m.offer_id)
    found.sort(key=lambda m: (-m.score, counterpart(m)))
    return found[:k]


@pytest.fixture()
def naive() -> Callable[[MatchIndex, ListingRecord, int], list[MatchRecord]]:
    return naive_query


def assert_same_matches(fast: list[MatchRecord], slow: list[MatchRecord]) -> None:
    """Same pairs in the same order; numbers equal up to float noise."""
    assert [(m.offer_id, m.want_id) for m in fast] == [(m.offer_id, m.want_id) for m in slow]
    for a, b in zip(fast, slow, strict=True):
        assert a.score == pytest.approx(b.score, abs=1e-9)
        assert a.distance_km == pytest.approx(b.distance_km, abs=1e-9)
        assert a.components.keys() == b.components.keys()
        assert np.allclose(list(a.components.values()), list(b.components.values()), atol=1e-9)
        assert a.explanation == b.explanation


@pytest.fixture()
def same_matches() -> Callable[[list[MatchRecord], list[MatchRecord]], None]:
    return assert_same_matches


__all__ = ["OFFER", "WANT"]
