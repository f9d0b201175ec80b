"""Matching's own pages and match API show a counterpart coarsened (matching.disclosure).

Each match is given exact figures that differ from their coarsened forms, so that a page
or a response body showing the exact km, score, share or town fails these tests.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from exchanges.models import ListingDisclosure
from matching import disclosure
from matching.models import Match
from matching.services import listing_rematch
from tests.api.conftest import client_for
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db

EXACT_SCORE = 0.7391  # shown as 75 %, never 74 %
EXACT_KM = 37.4


@pytest.fixture
def match(owner, partner) -> Match:
    """The owner's offer matched with the partner's want, with telling exact figures."""
    RegionFactory()
    listing_rematch(listing_id=owner.listing.id)
    match = Match.objects.get(offer=owner.listing, want=partner.listing)
    match.score = EXACT_SCORE
    match.distance_km = EXACT_KM
    match.components = {"material": 0.8237, "quantity": 0.6312}
    match.explanation = f"fly ash → clinker substitute, {EXACT_KM} km, covers 63% of the need"
    match.save()
    return match


def _band(owner, partner) -> str:
    return disclosure.band_label(
        disclosure.distance_band(disclosure.snapped_distance_km(owner.site, partner.site)))


def _assert_coarse(body: str, owner, partner) -> None:
    assert "Kallio Cement" not in body
    assert "Rauma" not in body  # the partner is alone of its sector in its town
    assert "Satakunta" in body
    assert str(EXACT_KM) not in body and "37 km" not in body
    assert "74%" not in body and "0.7391" not in body
    assert "63%" not in body and "0.8237" not in body and "0.6312" not in body
    assert _band(owner, partner) in body


def test_dashboard_shows_the_counterpart_coarsened(client, owner, partner, match):
    client.force_login(owner.user)

    body = client.get(reverse("matching:dashboard")).content.decode()

    _assert_coarse(body, owner, partner)
    assert "75%" in body
    assert "covers about 65% of the need" in body


def test_listing_page_shows_the_counterpart_coarsened(client, owner, partner, match):
    client.force_login(owner.user)

    response = client.get(reverse("matching:listing_detail", args=[owner.listing.pk]))

    body = response.content.decode()
    _assert_coarse(body, owner, partner)
    assert "75%" in body
    assert "80%" in body  # the material component, rounded from 82 %


def test_match_api_shows_the_counterpart_coarsened(owner, partner, match):
    api = client_for(owner.user)

    for url in (reverse("api:match-list"), reverse("api:match-detail", args=[match.pk]),
                reverse("api:listing-matches", args=[owner.listing.pk])):
        response = api.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "distance_km" not in body
        _assert_coarse(body, owner, partner)
        data = response.json()
        item = data["results"][0] if "results" in data else data
        assert item["score"] == 0.75
        assert item["components"] == {"material": 0.8, "quantity": 0.65}
        assert item["counterpart"]["area"] == "Satakunta"
        assert item["counterpart"]["company"] is None


def test_the_partner_sees_the_owner_coarsened_too(partner, owner, match):
    body = client_for(partner.user).get(reverse("api:match-list")).content.decode()

    assert "Harbour Power" not in body
    assert "Pori" not in body
    assert '"score":0.75' in body


def test_a_public_listing_names_its_firm_and_town_but_keeps_figures_coarse(
    client, owner, partner, match
):
    ListingDisclosure.objects.create(
        listing=partner.listing, visibility=ListingDisclosure.Visibility.PUBLIC,
        quantity_shown=ListingDisclosure.QuantityShown.EXACT)
    client.force_login(owner.user)

    body = client.get(reverse("matching:dashboard")).content.decode()

    assert "Kallio Cement" in body and "Rauma" in body
    assert str(EXACT_KM) not in body and "74%" not in body


def test_the_quality_bar_shows_only_where_both_sides_state_a_quality_field():
    from types import SimpleNamespace

    from matching.disclosure import rounded_components
    from matching.quality import QUALITY_FIELDS

    def listing(**stated):
        return SimpleNamespace(**{name: stated.get(name) for name in QUALITY_FIELDS})

    stored = {"material": 0.8, "quality": 1.0}
    silent = rounded_components(stored, off=frozenset(),
                                pair=(listing(moisture_pct=20), listing()))
    compared = rounded_components(stored, off=frozenset(),
                                  pair=(listing(moisture_pct=20), listing(moisture_pct=30)))
    assert "quality" not in silent and silent["material"] == 0.8
    assert compared["quality"] == 1.0
