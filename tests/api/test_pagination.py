"""Every API list is paged by number, with a page size the client chooses (1 to 500)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.models import Match
from tests.factories import ListingFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _lists(owner) -> dict[str, str]:
    """Every list endpoint of the API, by name."""
    return {
        "listings": reverse("api:listing-list"),
        "listing matches": reverse("api:listing-matches", args=[owner.listing.id]),
        "matches": reverse("api:match-list"),
        "sites": reverse("api:site-list"),
        "ewc codes": reverse("api:ewc-code-list"),
        "categories": reverse("api:category-list"),
    }


@pytest.fixture
def plenty(owner, partner):
    """Three of everything the owner sees: listings, sites, matches (on one listing)."""
    for i in range(2):
        SiteFactory(company=owner.company, name=f"Depot {i}")
        ListingFactory(company=owner.company, site=owner.site, title=f"Slag {i}")
    for i in range(3):
        want = ListingFactory(company=partner.company, site=partner.site, kind="want",
                              title=f"Binder {i}")
        Match.objects.create(offer=owner.listing, want=want, score=0.5 + i / 10,
                             distance_km=3.0, explanation="test")


@pytest.mark.parametrize(
    "name", ["listings", "listing matches", "matches", "sites", "ewc codes", "categories"]
)
def test_every_list_takes_the_clients_page_size(owner_api, owner, plenty, name):
    url = _lists(owner)[name]

    first = owner_api.get(url, {"page_size": 2}).json()
    second = owner_api.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert first["count"] >= 3 and first["previous"] is None
    assert "page_size=2" in first["next"]
    assert second["results"] and second["results"][0] != first["results"][0]


def test_the_default_page_holds_25(anonymous):
    body = anonymous.get(reverse("api:ewc-code-list")).json()

    assert body["count"] > 25
    assert len(body["results"]) == 25


def test_a_page_holds_at_most_500(anonymous):
    full = anonymous.get(reverse("api:ewc-code-list"), {"page_size": 500}).json()
    too_big = anonymous.get(reverse("api:ewc-code-list"), {"page_size": 501})

    assert len(full["results"]) == min(500, full["count"])
    assert too_big.status_code == 400
    assert too_big.json()["error"]["fields"] == {
        "page_size": ["Give a whole number from 1 to 500."]
    }


@pytest.mark.parametrize("size", ["0", "-3", "ten", ""])
def test_a_page_size_that_is_not_a_positive_number_is_400(anonymous, size):
    response = anonymous.get(reverse("api:category-list"), {"page_size": size})

    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


@pytest.mark.parametrize("page", ["0", "-1", "two", ""])
def test_a_page_that_is_not_a_positive_number_is_400(anonymous, page):
    response = anonymous.get(reverse("api:category-list"), {"page": page})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"page": ["Give a whole number from 1."]}


def test_a_page_past_the_last_is_404(anonymous):
    assert anonymous.get(reverse("api:category-list"), {"page": "9999"}).status_code == 404
