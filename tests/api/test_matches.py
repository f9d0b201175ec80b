"""Matches through the API: read-only, anonymised, dismissable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching import disclosure
from matching.models import Match, MatchDismissal
from matching.services import match_rematch_all

MATCHES_URL = reverse("api:match-list")


@pytest.fixture
def match(owner, partner) -> Match:
    """The owner's fly-ash offer matched with the partner's want."""
    match_rematch_all()
    return Match.objects.get(offer=owner.listing, want=partner.listing)


def test_listing_matches_show_the_counterpart_anonymised(owner_api, owner, partner, match):
    response = owner_api.get(reverse("api:listing-matches", args=[owner.listing.id]))

    assert response.status_code == 200
    assert partner.company.name not in response.content.decode()
    [item] = response.json()["results"]
    assert item["id"] == match.id
    assert item["listing"] == owner.listing.id
    # Coarsened as on the pages (tests/matching/test_disclosure.py checks the bodies).
    assert item["score"] == disclosure.rounded(match.score)
    assert "distance_km" not in item
    assert item["distance_band_km"][1] - item["distance_band_km"][0] in (5, 10)
    assert item["components"] == disclosure.rounded_components(
        match.components, pair=(match.offer, match.want))
    assert "quality" not in item["components"]  # neither listing states a quality field
    assert item["model_version"] == match.model_version
    assert item["ranker_version"] == match.ranker_version == "hand-set"
    counterpart = item["counterpart"]
    assert counterpart["listing_id"] == partner.listing.id
    assert counterpart["kind"] == "want"
    assert counterpart["sector"] == "Manufacture of other non-metallic mineral products"
    assert counterpart["area"] == "FI"
    assert counterpart["company"] is None


def test_partner_sees_the_same_match_from_its_side(partner_api, owner, partner, match):
    response = partner_api.get(MATCHES_URL)

    assert owner.company.name not in response.content.decode()
    [item] = response.json()["results"]
    assert item["listing"] == partner.listing.id
    assert item["counterpart"]["listing_id"] == owner.listing.id
    assert item["counterpart"]["area"] == "FI"


def test_matches_filter_by_own_listing_only(owner_api, owner, partner, match):
    own = owner_api.get(MATCHES_URL, {"listing": owner.listing.id}).json()
    # Filtering by the counterpart's id must not reveal anything about it.
    theirs = owner_api.get(MATCHES_URL, {"listing": partner.listing.id}).json()

    assert [item["id"] for item in own["results"]] == [match.id]
    assert theirs["count"] == 0


def test_outsider_sees_no_matches_and_cannot_read_or_dismiss_one(outsider_api, match):
    assert outsider_api.get(MATCHES_URL).json()["count"] == 0
    assert outsider_api.get(reverse("api:match-detail", args=[match.id])).status_code == 404
    response = outsider_api.post(
        reverse("api:match-dismiss", args=[match.id]), {"reason": "other"}, format="json"
    )
    assert response.status_code == 404
    assert not MatchDismissal.objects.exists()


def test_matches_of_another_firms_listing_are_404(outsider_api, owner, match):
    response = outsider_api.get(reverse("api:listing-matches", args=[owner.listing.id]))

    assert response.status_code == 404


def test_dismiss_removes_the_match_for_the_dismisser_only(
    owner_api, partner_api, owner, partner, match
):
    response = owner_api.post(
        reverse("api:match-dismiss", args=[match.id]),
        {"reason": "quality", "note": "Our ash is too high in carbon for them."},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["reason"] == "quality"
    dismissal = MatchDismissal.objects.get()
    assert (dismissal.company, dismissal.user) == (owner.company, owner.user)
    assert dismissal.note == "Our ash is too high in carbon for them."
    assert owner_api.get(MATCHES_URL).json()["count"] == 0
    listing_matches = reverse("api:listing-matches", args=[owner.listing.id])
    assert owner_api.get(listing_matches).json()["count"] == 0
    detail = owner_api.get(reverse("api:listing-detail", args=[owner.listing.id])).json()
    assert detail["match_count"] == 0
    assert partner_api.get(MATCHES_URL).json()["count"] == 1


def test_dismiss_needs_a_known_reason(owner_api, match):
    response = owner_api.post(
        reverse("api:match-dismiss", args=[match.id]), {"reason": "meh"}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    assert not MatchDismissal.objects.exists()


def test_matches_are_read_only(owner_api, match):
    response = owner_api.patch(
        reverse("api:match-detail", args=[match.id]), {"score": 1.0}, format="json"
    )

    assert response.status_code == 405
    match.refresh_from_db()
    assert match.score < 1.0


def test_min_score_filters_on_the_shown_score_so_thresholds_cannot_bracket_it(
        owner_api, match):
    shown = disclosure.rounded(match.score)
    # Any threshold at or below the shown score finds it; just above it, none does, however
    # close to the exact score the threshold is.
    for threshold in (shown - 0.05, shown - 0.001, shown):
        response = owner_api.get(MATCHES_URL, {"min_score": threshold})
        assert [item["id"] for item in response.json()["results"]] == [match.id]
    for threshold in (shown + 0.001, match.score + 1e-9 if match.score > shown else shown + 0.01):
        response = owner_api.get(MATCHES_URL, {"min_score": threshold})
        assert response.json()["results"] == []


def test_matches_cannot_be_ordered_by_the_exact_distance(owner_api, match):
    response = owner_api.get(MATCHES_URL, {"ordering": "distance_km"})
    ids = [item["id"] for item in response.json()["results"]]
    default = [item["id"] for item in owner_api.get(MATCHES_URL).json()["results"]]
    # The parameter is accepted (ordering is a known one) but the field is not an ordering.
    assert response.status_code == 200 and ids == default
