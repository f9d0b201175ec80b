"""Explanations that add up: whose range covers the distance, coverage only in comparable
units, shared words worth naming, and no "covers 0%"."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from matching.engine import OFFER, WANT, score_pair
from matching.engine.quantity import (
    DIM_ENERGY,
    DIM_MASS,
    NEEDS_ENERGY,
    quantity_fit,
    unknown_text,
)
from matching.engine.score.explanations import (
    _explanation,
    explanation_lines,
    telling_terms,
)


@pytest.fixture()
def fly_ash(make):
    offer = make(id=1, kind=OFFER, title="Coal fly ash", category="ash", ewc_code="100102",
                 amount_per_year=8000.0, canonical_unit="t", max_km=60.0)
    want = make(id=2, kind=WANT, title="Fly ash for cement", ewc_code="100117",
                amount_per_year=10000.0, canonical_unit="t", max_km=20.0)
    return offer, want


def test_a_want_with_a_shorter_range_is_told_the_offerers_range_covers_the_distance(
    kb, fly_ash
):
    offer, want = fly_ash

    match = score_pair(offer, want, text_sim=0.3, distance_km=45.2, knowledge=kb)

    assert "45 km (within the offerer's 60 km range; beyond the taker's 20 km)" in (
        match.explanation)


def test_an_offer_with_a_shorter_range_is_told_the_takers_range_covers_it():
    text = _explanation("same material", 30.0, 0.5, False, offer_max_km=10.0,
                        want_max_km=50.0)

    assert text == ("same material, 30 km (within the taker's 50 km range; beyond the "
                    "offerer's 10 km), covers 50% of the need")


def test_no_range_note_when_both_ranges_cover_the_distance():
    text = _explanation("same material", 12.0, 0.5, False, offer_max_km=60.0,
                        want_max_km=20.0)

    assert "range" not in text


def test_many_explanations_carry_the_same_range_notes_as_one():
    rng = np.random.default_rng(5)
    n = 200
    distances = rng.uniform(0, 80, n)
    offer_km, want_km = rng.choice([10.0, 30.0, 60.0], n), rng.choice([10.0, 30.0, 60.0], n)
    fits = np.where(rng.random(n) < 0.3, np.nan, rng.random(n))

    lines = explanation_lines(["r"] * n, distances, fits, np.zeros(n, bool),
                              offer_max_km=offer_km, want_max_km=want_km)

    assert lines == [
        _explanation("r", d, None if np.isnan(f) else f, False, offer_max_km=o, want_max_km=w)
        for d, f, o, w in zip(distances.tolist(), fits.tolist(), offer_km.tolist(),
                              want_km.tolist(), strict=True)
    ]
    assert any("within the offerer's" in line for line in lines)


def test_mass_against_energy_is_compared_through_a_stated_energy_content():
    # 100 t at 4 MWh/t is 400 MWh of a 500 MWh need.
    assert quantity_fit(offer_amount=100, offer_unit="t", want_amount=500, want_unit="MWh",
                        offer_energy=4.0) == pytest.approx(0.8)
    # The want's energy content serves when the offer states none.
    assert quantity_fit(offer_amount=100, offer_unit="t", want_amount=500, want_unit="MWh",
                        want_energy=2.5) == pytest.approx(0.5)


def test_volume_against_energy_goes_through_density_and_energy_content():
    # 100 m3 at 0.5 t/m3 = 50 t; a 400 MWh need at 4 MWh/t = 100 t.
    assert quantity_fit(offer_amount=100, offer_unit="m3", want_amount=400, want_unit="MWh",
                        offer_density=0.5, offer_energy=4.0) == pytest.approx(0.5)


def test_mass_against_energy_without_an_energy_content_is_not_comparable():
    assert quantity_fit(offer_amount=100, offer_unit="t", want_amount=500,
                        want_unit="MWh") is None
    assert unknown_text(NEEDS_ENERGY, DIM_MASS, DIM_ENERGY) == (
        "quantities not comparable (t offered, MWh needed: no energy content stated)")


def test_quantities_in_units_that_cannot_be_compared_say_why_not_unknown(kb, fly_ash):
    offer, want = fly_ash
    want = replace(want, amount_per_year=500.0, canonical_unit="MWh")

    match = score_pair(offer, want, text_sim=0.3, distance_km=5.0, knowledge=kb)

    assert "quantities not comparable (t offered, MWh needed: no energy content stated)" in (
        match.explanation)
    assert "quantity unknown" not in match.explanation


def test_mass_against_volume_without_a_density_says_no_density_stated(kb, fly_ash):
    offer, want = fly_ash
    want = replace(want, amount_per_year=500.0, canonical_unit="m3")

    match = score_pair(offer, want, text_sim=0.3, distance_km=5.0, knowledge=kb)

    assert "quantities not comparable (t offered, m³ needed: no density stated)" in (
        match.explanation)


def test_a_side_without_a_quantity_reads_quantity_unknown(kb, fly_ash):
    offer, want = fly_ash
    want = replace(want, amount_per_year=None, canonical_unit="")

    match = score_pair(offer, want, text_sim=0.3, distance_km=5.0, knowledge=kb)

    assert match.explanation.endswith("quantity unknown")


def test_a_sliver_of_the_need_reads_under_one_percent_never_zero():
    assert _explanation("r", 5.0, 0.004, False).endswith("covers under 1% of the need")
    lines = explanation_lines(["r", "r"], np.array([5.0, 5.0]), np.array([0.004, 0.0]),
                              np.zeros(2, bool))
    assert all(line.endswith("covers under 1% of the need") for line in lines)


def test_shared_words_leave_out_numbers_and_stop_words():
    terms = ["70", "90", "waste", "fly ash", "the", "2mm grit", "spent grain", "of the"]

    assert telling_terms(terms) == ["fly ash", "spent grain"]


def test_a_wording_reason_names_no_number_or_stop_word(kb, make):
    offer = make(id=1, kind=OFFER, title="Waste 70 90 sawdust")
    want = make(id=2, kind=WANT, title="Waste 70 90 sawdust wanted")

    match = score_pair(offer, want, text_sim=0.9, distance_km=5.0, knowledge=kb,
                       shared_terms=["70", "90", "waste", "sawdust"])

    assert match.explanation.startswith("similar wording: sawdust,")


def test_a_need_given_as_zero_says_so_not_quantity_unknown(kb, fly_ash):
    offer, want = fly_ash
    want = replace(want, amount_per_year=0.0)

    match = score_pair(offer, want, text_sim=0.3, distance_km=5.0, knowledge=kb)

    assert match.explanation.endswith("no share: the need is given as zero")
