"""Syncing the listing and match lists by a cursor over (updated_at, id)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from matching.models import Listing, Match
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

LISTINGS = reverse("api:listing-list")
MATCHES = reverse("api:match-list")
LONG_AGO = "2000-01-01T00:00:00Z"


def _follow(client, url, params) -> tuple[list[int], str]:
    """Every id a sync hands out, page by page, and the cursor it ends with."""
    body = client.get(url, params).json()
    ids = [item["id"] for item in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        ids += [item["id"] for item in body["results"]]
    return ids, body["cursor"]


@pytest.fixture
def listings(owner):
    """Seven listings; three share one updated_at, so the id breaks the tie."""
    made = [ListingFactory(company=owner.company, site=owner.site, title=f"Ash {i}")
            for i in range(6)]
    same = timezone.now() - timedelta(hours=1)
    Listing.objects.filter(pk__in=[made[1].pk, made[3].pk, made[5].pk]).update(updated_at=same)
    return [owner.listing, *made]


def _change_order(queryset) -> list[int]:
    return list(queryset.order_by("updated_at", "id").values_list("id", flat=True))


def test_a_sync_hands_out_every_listing_once_in_change_order(owner_api, owner, listings):
    ids, cursor = _follow(owner_api, LISTINGS, {"updated_since": LONG_AGO, "page_size": 2})

    assert ids == _change_order(Listing.objects.filter(company=owner.company))
    assert cursor


def test_the_cursor_resumes_with_what_changed_since(owner_api, owner, listings):
    _ids, cursor = _follow(owner_api, LISTINGS, {"updated_since": LONG_AGO, "page_size": 3})
    changed = listings[2]
    changed.title = "Ash, sieved"
    changed.save()

    body = owner_api.get(LISTINGS, {"cursor": cursor}).json()

    assert [item["id"] for item in body["results"]] == [changed.id]
    assert body["next"] is None
    # Nothing new after that: the same cursor comes back.
    again = owner_api.get(LISTINGS, {"cursor": body["cursor"]}).json()
    assert again["results"] == [] and again["cursor"] == body["cursor"]


def test_updated_since_keeps_only_later_changes(owner_api, owner, listings):
    since = timezone.now() - timedelta(minutes=30)

    ids, _cursor = _follow(owner_api, LISTINGS, {"updated_since": since.isoformat()})

    later = Listing.objects.filter(company=owner.company, updated_at__gte=since)
    assert ids == _change_order(later)
    assert len(ids) == len(listings) - 3


def test_the_match_list_syncs_too(owner_api, owner, partner):
    for i in range(3):
        want = ListingFactory(company=partner.company, site=partner.site, kind="want",
                              title=f"Binder {i}")
        Match.objects.create(offer=owner.listing, want=want, score=0.5, distance_km=1.0,
                             explanation="test")

    ids, _cursor = _follow(owner_api, MATCHES, {"updated_since": LONG_AGO, "page_size": 1})

    assert ids == _change_order(Match.objects.filter(offer=owner.listing))


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", ""])
def test_a_bad_updated_since_is_400(owner_api, owner, value):
    response = owner_api.get(LISTINGS, {"updated_since": value})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "updated_since": ["Give an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."]
    }


def test_a_forged_cursor_is_400(owner_api, owner):
    response = owner_api.get(MATCHES, {"cursor": "not-ours"})

    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


@pytest.mark.parametrize("extra", [{"page": 2}, {"ordering": "title"}])
def test_a_sync_refuses_page_numbers_and_ordering(owner_api, owner, extra):
    response = owner_api.get(LISTINGS, {"updated_since": LONG_AGO, **extra})

    assert response.status_code == 400


def test_without_sync_parameters_the_list_stays_paged_by_number(owner_api, owner, listings):
    body = owner_api.get(LISTINGS).json()

    assert set(body) == {"count", "next", "previous", "results"}
