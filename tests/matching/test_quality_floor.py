"""The quality floor (MATCH_MIN_MATERIAL_FIT): a match is stored and shown only when its
material fit reaches it; a listing with fewer good partners says so, never padded."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from matching import services
from matching.engine import MatchColumns
from matching.evaluation.benchmark import load_pairs
from matching.evaluation.services import evaluate_matcher
from matching.models import Match
from matching.services.rematch import columns_above_floor, records_above_floor
from tests.api.conftest import client_for
from tests.matching.test_evaluation import TINY

pytestmark = pytest.mark.django_db


def _material_of_the_pair(settings, owner) -> float:
    """The pair's material fit, stored with no floor."""
    settings.MATCH_MIN_MATERIAL_FIT = 0.0
    services.listing_rematch(listing_id=owner.listing.id)
    return Match.objects.get(offer=owner.listing).components["material"]


def test_a_full_rematch_stores_no_pair_below_the_material_fit_floor(settings, owner, partner):
    material = _material_of_the_pair(settings, owner)

    settings.MATCH_MIN_MATERIAL_FIT = material + 0.01
    services.match_rematch_all()
    assert not Match.objects.exists()

    settings.MATCH_MIN_MATERIAL_FIT = material - 0.01
    services.match_rematch_all()
    assert Match.objects.filter(offer=owner.listing, want=partner.listing).exists()


def test_a_single_listing_rematch_stores_no_pair_below_the_floor(settings, owner, partner):
    material = _material_of_the_pair(settings, owner)

    settings.MATCH_MIN_MATERIAL_FIT = material + 0.01
    assert services.listing_rematch(listing_id=owner.listing.id) == 0
    assert not Match.objects.exists()


def test_the_floor_keeps_exactly_the_pairs_whose_material_fit_reaches_it():
    material = np.array([0.05, 0.2, 0.35, 0.9])
    columns = MatchColumns(
        offer_id=np.arange(4), want_id=np.arange(10, 14), score=material * 0.9,
        distance_km=np.ones(4), components={"material": material, "text": material / 2},
        explanation=["a", "b", "c", "d"],
    )

    kept = columns_above_floor(columns, 0.2)

    assert kept.offer_id.tolist() == [1, 2, 3]
    assert kept.explanation == ["b", "c", "d"]
    assert kept.components["text"].tolist() == [0.1, 0.175, 0.45]
    assert [m.offer_id for m in records_above_floor(columns.records(), 0.3)] == [2, 3]


def test_the_listing_page_says_how_many_partners_pass_the_floor(
    settings, client, owner, partner
):
    settings.MATCH_MIN_MATERIAL_FIT = 0.0
    services.listing_rematch(listing_id=owner.listing.id)
    client.force_login(owner.user)

    page = client.get(reverse("matching:listing_detail", args=[owner.listing.pk]))

    text = page.content.decode()
    assert "1 partner above the quality floor" in text
    assert "weaker pairings are not shown" in text


def test_a_listing_with_a_full_list_of_matches_gets_no_floor_note(
    settings, client, owner, partner
):
    settings.MATCH_MIN_MATERIAL_FIT = 0.0
    settings.MATCH_TOP_K = 1
    services.listing_rematch(listing_id=owner.listing.id)
    client.force_login(owner.user)

    page = client.get(reverse("matching:listing_detail", args=[owner.listing.pk]))

    assert "quality floor" not in page.content.decode()


def test_the_api_lists_a_listings_matches_with_the_floor_note(settings, owner, partner):
    settings.MATCH_MIN_MATERIAL_FIT = 0.0
    services.listing_rematch(listing_id=owner.listing.id)

    answer = client_for(owner.user).get(
        reverse("api:listing-matches", args=[owner.listing.pk])).json()

    assert answer["count"] == 1
    assert answer["quality_note"].startswith("1 partner above the quality floor")


def test_the_harness_counts_a_partner_below_the_floor_as_not_found():
    pairs = load_pairs(TINY)

    result = evaluate_matcher(pairs=pairs, seed=1, floor=0.0, floors=[0.99])
    strict = evaluate_matcher(pairs=pairs, seed=1, floor=0.99)

    # No documented pair of the tiny set has a material fit of 0.99: none is found, and
    # an unfound partner ranks behind every other counterpart (never first).
    assert result.figures["colocated"]["recall@1"] > 0
    assert strict.figures["colocated"]["recall@1"] == 0
    assert strict.figures["colocated"]["mrr"] < result.figures["colocated"]["mrr"]
    assert strict.shown["colocated"] == 0
    # Reading the run at a floor is what storing at it gives.
    assert result.sweep[0.99]["colocated"]["mrr"] == strict.figures["colocated"]["mrr"]
    assert result.sweep[0.0]["colocated"]["mrr"] == result.figures["colocated"]["mrr"]


def test_the_command_reports_the_figures_at_each_floor_asked_for():
    out = io.StringIO()

    call_command("evaluate_matcher", str(TINY), "--json", "--floor", "0", "--floors",
                 "0.5,0.99", stdout=out)

    data = json.loads(out.getvalue())
    assert data["floor"] == 0.0
    assert set(data["floors"]) == {"0", "0.5", "0.99"}
    assert data["floors"]["0"]["colocated"]["mrr"] == data["colocated"]["mrr"]
    assert data["floors"]["0.99"]["colocated"]["shown"] == 0
    assert data["floors"]["0"]["colocated"]["shown"] > 0


def test_the_command_refuses_a_floor_outside_zero_to_one():
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("evaluate_matcher", str(TINY), "--floors", "0.2,1.5")
