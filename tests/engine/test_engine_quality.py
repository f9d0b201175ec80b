"""The quality component: an offer's stated quality against a want's stated requirement."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from matching.engine import Knowledge, ListingRecord, MatchIndex, score_pair
from matching.engine.config import QUALITY_WEIGHT
from matching.engine.score import combine
from matching.engine.score.quality_fit import (
    QUALITY_COLUMNS,
    contaminant_words,
    energy_mwh_per_t,
    quality_fit,
    quality_matrix,
    quality_phrase,
    quality_row,
)


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge.load()


def _offer(**fields) -> ListingRecord:
    return ListingRecord(id=1, kind="offer", title="Refuse derived fuel from sorted waste",
                         lat=60.0, lon=24.0, max_km=100, category="solid-fuel",
                         company_id=1, **fields)


def _want(**fields) -> ListingRecord:
    return ListingRecord(id=2, kind="want", title="Refuse derived fuel for our kiln",
                         lat=60.1, lon=24.1, max_km=100, category="solid-fuel",
                         company_id=2, **fields)


def _fit(offer: ListingRecord, want: ListingRecord) -> float:
    rows = quality_matrix([quality_row(offer)]), quality_matrix([quality_row(want)])
    return float(np.asarray(quality_fit(*rows)).reshape(-1)[0])


def test_an_offer_within_every_requirement_fits_fully():
    offer = _offer(moisture_pct=15, calorific_mj_per_kg=20, particle_size_mm=30,
                   certificates="end-of-waste,reach", contaminants="glass, stones")
    want = _want(moisture_pct=20, calorific_mj_per_kg=18, particle_size_mm=50,
                 certificates="end-of-waste", contaminants="chlorine, PVC")
    assert _fit(offer, want) == 1.0


@pytest.mark.parametrize(("field", "good", "bad", "worse", "limit"), [
    ("moisture_pct", 20, 30, 45, 25),
    ("calorific_mj_per_kg", 20, 15, 10, 18),
    ("particle_size_mm", 30, 80, 200, 50),
])
def test_outside_the_requirement_the_fit_falls_gracefully_the_further_out(
        field, good, bad, worse, limit):
    want = _want(**{field: limit})
    fits = [_fit(_offer(**{field: value}), want) for value in (good, bad, worse)]
    assert fits[0] == 1.0
    assert 0.0 < fits[2] < fits[1] < 1.0


def test_a_missing_required_certificate_and_a_refused_contaminant_lower_the_fit():
    want = _want(certificates="end-of-waste,reach", contaminants="chlorine; heavy metals")
    assert _fit(_offer(certificates="end-of-waste"), want) == 0.5
    assert _fit(_offer(certificates="end-of-waste,reach"), want) == 1.0
    assert _fit(_offer(contaminants="Heavy metals, some sand"), want) < 1.0
    # "free of chlorine" names a contaminant the offer does not carry.
    assert _fit(_offer(contaminants="chlorine-free, glass"), want) == 1.0
    assert _fit(_offer(contaminants="free of chlorine"), want) == 1.0


def test_contaminant_words_fold_plurals_and_drop_filler():
    assert contaminant_words("PVC films, traces of metals; no chlorine") == {"pvc", "film",
                                                                            "metal"}


def test_a_silent_side_has_no_effect():
    offer = _offer(moisture_pct=60, calorific_mj_per_kg=5)
    assert _fit(offer, _want()) == 1.0
    assert _fit(_offer(), _want(moisture_pct=10)) == 1.0
    # Fields stated on one side each, but none on both: nothing is compared.
    assert _fit(_offer(moisture_pct=60), _want(calorific_mj_per_kg=25)) == 1.0


def test_listings_without_quality_fields_cost_no_columns():
    assert quality_matrix([quality_row(_offer()), quality_row(_want())]).shape == (2, 0)
    assert quality_matrix([]).shape == (0, 0)
    assert quality_matrix([quality_row(_offer(moisture_pct=3))]).shape == (1, QUALITY_COLUMNS)


def test_combine_is_unchanged_bit_for_bit_at_quality_one_and_lower_below_it():
    parts = {"material": 0.4123456789, "distance": 0.37, "quantity": 0.5, "timing": 1.0}
    plain = combine(parts)
    assert combine({**parts, "quality": 1.0}) == plain
    assert combine({**parts, "quality": 0.0}) == pytest.approx(plain * (1 - QUALITY_WEIGHT))
    assert plain * (1 - QUALITY_WEIGHT) < combine({**parts, "quality": 0.5}) < plain


def test_score_pair_ranks_an_in_spec_offer_above_an_out_of_spec_one(kb):
    want = _want(moisture_pct=20, calorific_mj_per_kg=18)
    good = score_pair(_offer(moisture_pct=15, calorific_mj_per_kg=21), want, text_sim=0.6,
                      distance_km=12.0, knowledge=kb)
    wet = score_pair(_offer(moisture_pct=45, calorific_mj_per_kg=21), want, text_sim=0.6,
                     distance_km=12.0, knowledge=kb)
    silent = score_pair(_offer(), want, text_sim=0.6, distance_km=12.0, knowledge=kb)
    assert good.components["quality"] == 1.0 and silent.components["quality"] == 1.0
    assert 0.0 < wet.components["quality"] < 1.0
    assert wet.score < good.score == silent.score
    assert "moisture 45% over the 20% maximum" in wet.explanation
    assert "Quality: meets the stated moisture, calorific value." in good.explanation
    assert "Quality" not in silent.explanation


def test_a_pair_without_quality_fields_scores_exactly_as_with_them_unstated(kb):
    # One side's fields alone change nothing: the same score and explanation.
    want = _want()
    plain = score_pair(_offer(), want, text_sim=0.5, distance_km=20.0, knowledge=kb)
    offer_only = score_pair(_offer(moisture_pct=70, certificates="reach"), want,
                            text_sim=0.5, distance_km=20.0, knowledge=kb)
    assert offer_only.score == plain.score
    assert offer_only.explanation == plain.explanation


def test_the_index_scores_quality_as_score_pair_does(kb):
    want = _want(moisture_pct=20)
    offers = [replace(_offer(moisture_pct=m), id=10 + i, company_id=10 + i)
              for i, m in enumerate((10, 35, None))]
    index = MatchIndex.build([want, *offers], kb)
    found = {m.offer_id: m for m in index.query(want, k=10)}
    assert set(found) == {10, 11, 12}
    assert found[10].components["quality"] == 1.0
    assert found[12].components["quality"] == 1.0
    assert found[11].components["quality"] == pytest.approx(math.exp(-15 / 10))
    assert found[11].score < found[10].score
    assert "moisture 35% over" in found[11].explanation
    batch = {(m.offer_id, m.want_id): m for m in index.match_all(k=10)}
    assert batch[(11, 2)].score == found[11].score
    assert batch[(11, 2)].explanation == found[11].explanation


def test_the_phrase_names_what_misses():
    offer = _offer(particle_size_mm=80, certificates="reach", contaminants="PVC, glass")
    want = _want(particle_size_mm=40, certificates="end-of-waste",
                 contaminants="PVC")
    phrase = quality_phrase(offer, want)
    assert "particles up to 80 mm over the 40 mm maximum" in phrase
    assert "lacks end-of-waste status" in phrase
    assert "carries pvc the want refuses" in phrase
    assert quality_phrase(_offer(), want) is None


def test_energy_content_follows_from_the_calorific_value():
    assert _offer(calorific_mj_per_kg=18).energy_mwh_per_t == pytest.approx(5.0)
    assert _offer().energy_mwh_per_t is None


def test_energy_content_columns_are_nan_where_no_calorific_value_is_stated():
    stated = quality_matrix([quality_row(_offer(calorific_mj_per_kg=36)),
                             quality_row(_offer(moisture_pct=5))])
    assert energy_mwh_per_t(stated)[0] == pytest.approx(10.0)
    assert np.isnan(energy_mwh_per_t(stated)[1])
    assert np.isnan(energy_mwh_per_t(quality_matrix([quality_row(_offer())]))).all()


def test_tonnes_offered_cover_a_need_in_mwh_through_the_offers_calorific_value(kb):
    # 1,000 t at 18 MJ/kg hold 5,000 MWh: the whole of a 5,000 MWh need.
    want = _want(amount_per_year=5000.0, canonical_unit="MWh")
    stated = score_pair(_offer(amount_per_year=1000.0, canonical_unit="t",
                               calorific_mj_per_kg=18.0), want, text_sim=0.6,
                        distance_km=12.0, knowledge=kb)
    silent = score_pair(_offer(amount_per_year=1000.0, canonical_unit="t"), want,
                        text_sim=0.6, distance_km=12.0, knowledge=kb)
    assert stated.components["quantity"] == pytest.approx(1.0)
    assert "not comparable" not in stated.explanation
    assert "not comparable" in silent.explanation
