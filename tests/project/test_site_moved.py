"""Matching subscribes to accounts' site_moved: the listings at a moved site are rematched."""

from __future__ import annotations

import pytest

from accounts import events, services
from matching import services as matching_services
from tests.factories import ListingFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The listing ids matching queues a rematch for."""
    ids: list[int] = []
    monkeypatch.setattr(
        matching_services, "listing_queue_rematch", lambda *, listing_id: ids.append(listing_id)
    )
    return ids


def test_matching_subscribes_to_site_moved():
    assert events.site_moved.has_listeners()


def test_moving_a_site_queues_the_rematch_of_its_listings_only(
    owner, partner, queued, django_capture_on_commit_callbacks
):
    second = ListingFactory(company=owner.company, site=owner.site, title="Bottom ash")
    elsewhere = ListingFactory(
        company=owner.company,
        site=SiteFactory(company=owner.company, name="Harbour depot", latitude=61.6,
                         longitude=21.45),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.site_update(site=owner.site, name=owner.site.name, city="Rovaniemi",
                             country="FI")
    assert queued == []  # the announcement waits for the commit
    for callback in callbacks:
        callback()
    assert sorted(queued) == sorted([owner.listing.id, second.id])
    assert elsewhere.id not in queued and partner.listing.id not in queued


def test_renaming_a_site_queues_no_rematch(owner, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.site_update(site=owner.site, name="New name", city=owner.site.city,
                             country=owner.site.country)
    assert queued == []


def test_a_moved_site_is_rematched_end_to_end(owner, partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        matching_services.listing_queue_rematch(listing_id=owner.listing.id)
    assert owner.listing.matches_as_offer.filter(want=partner.listing).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.site_update(site=owner.site, name=owner.site.name, city="Rovaniemi",
                             country="FI")
    # 600 km north: the cement works is out of reach, and the stored match is gone.
    assert not owner.listing.matches_as_offer.exists()
