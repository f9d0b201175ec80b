"""Pair components, hard rules, the combined score and the explanation."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date

import pytest

from matching.engine import (
    COMPONENTS,
    DEFAULT_DATA_DIR,
    OFFER,
    WANT,
    Knowledge,
    combine,
    score_pair,
)
from matching.engine.config import (
    BASE_WEIGHT,
    DISTANCE_WEIGHT,
    MIN_MATERIAL,
    PATHWAY_WEIGHT,
    QUANTITY_WEIGHT,
    TAXONOMY_WEIGHT,
)
from matching.engine.score import material_score


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> Knowledge:
    """The List of Waste and the categories only: no knowledge base, so the formula and
    the code-based reasons are tested apart from inference (see test_engine_infer)."""
    root = tmp_path_factory.mktemp("bare")
    for name in ("ewc_list_of_waste.csv", "material_categories.csv"):
        shutil.copy(DEFAULT_DATA_DIR / name, root / name)
    return Knowledge.load(root)


@pytest.fixture()
def fly_ash(make):
    offer = make(
        id=1,
        kind=OFFER,
        title="Coal fly ash",
        category="ash",
        ewc_code="100102",
        amount_per_year=8000.0,
        canonical_unit="t",
    )
    want = make(
        id=2,
        kind=WANT,
        title="Fly ash for cement",
        ewc_code="100117",
        amount_per_year=10000.0,
        canonical_unit="t",
    )
    return offer, want


def test_fly_ash_explanation_and_numbers(kb, fly_ash):
    offer, want = fly_ash
    match = score_pair(offer, want, text_sim=0.3, distance_km=12.4, knowledge=kb)
    assert match is not None
    assert match.explanation == "same EWC sub-chapter 10 01, 12 km, covers 80% of the need"
    c = match.components
    assert set(c) == set(COMPONENTS)
    assert c["text"] == pytest.approx(0.3)
    assert c["ewc"] == 0.6 and c["category"] == 0.0 and c["timing"] == 1.0
    # Stated codes are taxonomy evidence; with no knowledge base nothing else is.
    assert c["taxonomy"] == 0.6 and c["pathway"] == 0.0 and c["semantic"] == 0.0
    assert c["material"] == pytest.approx(1 - (1 - 0.3) * (1 - TAXONOMY_WEIGHT * 0.6))
    assert c["distance"] == pytest.approx(1 - 12.4 / 100)
    assert c["quantity"] == pytest.approx(0.8)
    expected = c["material"] * (BASE_WEIGHT + DISTANCE_WEIGHT * (1 - 0.124) + QUANTITY_WEIGHT * 0.8)
    assert match.score == pytest.approx(expected)
    assert match.score == pytest.approx(combine(c))
    assert match.distance_km == 12.4


def test_explanation_variants(kb, fly_ash):
    offer, want = fly_ash
    same_entry = score_pair(
        offer,
        _with(want, ewc_code="100102"),
        text_sim=0.2,
        distance_km=3.25,
        knowledge=kb,
    )
    assert same_entry.explanation == "same EWC entry 10 01 02, 3.2 km, covers 80% of the need"
    by_category = score_pair(
        offer,
        _with(want, ewc_code="", category="ash", amount_per_year=None, canonical_unit=""),
        text_sim=0.2,
        distance_km=40.0,
        knowledge=kb,
    )
    assert by_category.explanation == "same category: Ashes, 40 km, quantity unknown"
    related = score_pair(
        offer,
        _with(want, ewc_code="", category="slag"),
        text_sim=0.2,
        distance_km=40.0,
        knowledge=kb,
    )
    assert related.explanation.startswith("related categories: Ashes and Slags, 40 km")
    by_text = score_pair(
        _with(offer, ewc_code="", category=""),
        _with(want, ewc_code=""),
        text_sim=0.4,
        distance_km=12.0,
        knowledge=kb,
        shared_terms=["fly ash", "cement"],
    )
    assert by_text.explanation == "similar wording: fly ash, cement, 12 km, covers 80% of the need"


def _with(record, **fields):
    return replace(record, **fields)


def test_combine_formula():
    parts = {"material": 0.5, "distance": 0.8, "quantity": 0.8, "timing": 1.0}
    logistics = BASE_WEIGHT + DISTANCE_WEIGHT * 0.8 + QUANTITY_WEIGHT * 0.8
    assert combine(parts) == pytest.approx(0.5 * logistics)
    assert combine({**parts, "timing": 0.0}) == 0.0
    assert combine({"material": 1.0, "distance": 1.0, "quantity": 1.0}) == pytest.approx(1.0)
    # Logistics move a right material by at most a fifth.
    assert combine({"material": 1.0, "distance": 0.0, "quantity": 0.0}) == pytest.approx(0.8)


def test_material_never_below_text_and_evidence_only_helps():
    assert material_score(0.4, 0.0, 0.0) == pytest.approx(0.4)
    assert material_score(0.4, 0.3, 0.0) > 0.4  # any agreeing code adds, none takes away
    assert material_score(0.0, 1.0, 0.0) == pytest.approx(TAXONOMY_WEIGHT)
    assert material_score(0.2, 0.0, 1.0) == pytest.approx(1 - 0.8 * (1 - PATHWAY_WEIGHT))
    assert material_score(1.0, 1.0, 1.0, 1.0) == 1.0


def test_distance_rule_uses_the_larger_reach(kb, fly_ash):
    offer, want = fly_ash
    assert score_pair(offer, want, text_sim=0.3, distance_km=100.0, knowledge=kb) is not None
    assert score_pair(offer, want, text_sim=0.3, distance_km=100.01, knowledge=kb) is None
    far_want = _with(want, max_km=150.0)
    match = score_pair(offer, far_want, text_sim=0.3, distance_km=120.0, knowledge=kb)
    assert match is not None and match.components["distance"] == pytest.approx(1 - 120 / 150)


def test_zero_reach_accepts_only_the_same_site(kb, fly_ash):
    offer, want = (_with(r, max_km=0.0) for r in fly_ash)
    match = score_pair(offer, want, text_sim=0.3, distance_km=0.0, knowledge=kb)
    assert match is not None and match.components["distance"] == 1.0
    assert score_pair(offer, want, text_sim=0.3, distance_km=0.1, knowledge=kb) is None


def test_hazardous_offer_needs_a_permitted_taker(kb, fly_ash):
    offer, want = fly_ash
    flagged = _with(offer, hazardous=True)
    assert score_pair(flagged, want, text_sim=0.3, distance_km=5, knowledge=kb) is None
    permitted = _with(want, accepts_hazardous=True)
    match = score_pair(flagged, permitted, text_sim=0.3, distance_km=5, knowledge=kb)
    assert match is not None and match.explanation.endswith("hazardous (taker permitted)")
    # A starred code is hazardous even when the firm left the flag off.
    starred = _with(offer, ewc_code="100104", hazardous=False)
    assert score_pair(starred, want, text_sim=0.3, distance_km=5, knowledge=kb) is None
    assert score_pair(starred, permitted, text_sim=0.3, distance_km=5, knowledge=kb) is not None


@pytest.mark.parametrize(
    ("offer_window", "want_window", "accepted"),
    [
        ((date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 4, 1), None), False),
        ((date(2025, 1, 1), date(2025, 3, 31)), (None, date(2024, 12, 31)), False),
        ((date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 3, 31), None), True),  # one day
        ((date(2025, 1, 1), None), (None, date(2025, 1, 1)), True),
        ((None, None), (date(2030, 1, 1), date(2030, 2, 1)), True),
        ((date(2025, 5, 1), date(2025, 6, 1)), (date(2025, 1, 1), date(2025, 12, 31)), True),
    ],
)
def test_windows_must_overlap(kb, fly_ash, offer_window, want_window, accepted):
    offer = _with(fly_ash[0], available_from=offer_window[0], available_until=offer_window[1])
    want = _with(fly_ash[1], available_from=want_window[0], available_until=want_window[1])
    match = score_pair(offer, want, text_sim=0.3, distance_km=5, knowledge=kb)
    assert (match is not None) is accepted
    if match is not None:
        assert match.components["timing"] == 1.0


def test_material_threshold(kb, make):
    offer = make(id=1, kind=OFFER, title="a")
    want = make(id=2, kind=WANT, title="b")
    below = MIN_MATERIAL - 0.001
    assert score_pair(offer, want, text_sim=below, distance_km=1, knowledge=kb) is None
    assert score_pair(offer, want, text_sim=MIN_MATERIAL, distance_km=1, knowledge=kb)


def test_quantity_unknown_is_neutral(kb, fly_ash):
    offer, want = fly_ash
    match = score_pair(
        _with(offer, amount_per_year=None, canonical_unit=""),
        want,
        text_sim=0.3,
        distance_km=5,
        knowledge=kb,
    )
    assert match.components["quantity"] == 0.5
    assert "quantity unknown" in match.explanation


def test_mass_against_volume_uses_density(kb, fly_ash):
    offer, want = fly_ash
    want_m3 = _with(want, amount_per_year=10000.0, canonical_unit="m3")
    unknown = score_pair(offer, want_m3, text_sim=0.3, distance_km=5, knowledge=kb)
    assert unknown.components["quantity"] == 0.5
    dense = _with(offer, density_t_per_m3=0.5)  # 8000 t = 16000 m3 ≥ 10000 m3 needed
    full = score_pair(dense, want_m3, text_sim=0.3, distance_km=5, knowledge=kb)
    assert full.components["quantity"] == 1.0


def test_pair_order_is_checked(kb, fly_ash):
    offer, want = fly_ash
    with pytest.raises(ValueError):
        score_pair(want, offer, text_sim=0.3, distance_km=5, knowledge=kb)


def test_a_firms_own_offer_and_want_are_not_matched():
    from matching.engine.knowledge import Knowledge
    from matching.engine.records import ListingRecord
    from matching.engine.score import score_pair

    kb = Knowledge.load()
    offer = ListingRecord(id=1, kind="offer", title="Coal fly ash", lat=61.0, lon=21.0,
                          max_km=50, ewc_code="100102", company_id=7)
    want = ListingRecord(id=2, kind="want", title="Coal fly ash for cement", lat=61.0,
                         lon=21.1, max_km=50, company_id=7)
    assert score_pair(offer, want, text_sim=0.9, distance_km=5.0, knowledge=kb) is None
    other = ListingRecord(id=3, kind="want", title="Coal fly ash for cement", lat=61.0,
                          lon=21.1, max_km=50, company_id=8)
    assert score_pair(offer, other, text_sim=0.9, distance_km=5.0, knowledge=kb) is not None
