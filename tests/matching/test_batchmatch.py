"""A bulk batch's matching: one full rematch when the batch is a large part of the region,
listing by listing otherwise, nothing when a later full rematch covered it."""

from __future__ import annotations

import time

import pytest

from matching import modelstore
from matching.models import Match
from matching.services import batchmatch, rematch
from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(owner, partner):
    """A few more listings, so that one is a small part of the region."""
    for n in range(8):
        ListingFactory(company=owner.company, site=owner.site, title=f"Slag lot {n}")
    return owner, partner


def test_a_large_batch_is_matched_by_one_full_rematch(region, monkeypatch):
    owner, partner = region
    full = []
    monkeypatch.setattr(rematch, "match_rematch_all", lambda: full.append(1) or
                        rematch.match_rematch_full().matches)
    done = batchmatch.listing_match_batch(listing_ids=[owner.listing.pk, partner.listing.pk])
    assert done == 2 and full == [1]
    assert Match.objects.filter(offer=owner.listing, want=partner.listing).exists()


def test_a_small_batch_is_matched_listing_by_listing(region, settings, monkeypatch):
    owner, partner = region
    rematch.match_rematch_full()
    settings.MATCH_BATCH_FULL_FRACTION = 0.5
    Match.objects.all().delete()
    monkeypatch.setattr(rematch, "match_rematch_all", lambda: pytest.fail("full rematch"))
    assert batchmatch.listing_match_batch(listing_ids=[partner.listing.pk]) == 1
    assert Match.objects.filter(offer=owner.listing, want=partner.listing).exists()


def test_a_batch_committed_before_the_current_snapshot_is_not_matched_again(region,
                                                                           monkeypatch):
    owner, partner = region
    queued_at = time.time() - 10
    rematch.match_rematch_full()  # its snapshot is read after the batch committed
    assert modelstore.current().snapshot_at.timestamp() > queued_at
    monkeypatch.setattr(rematch, "listing_rematch", lambda **kw: pytest.fail("rematched"))
    monkeypatch.setattr(rematch, "match_rematch_all", lambda: pytest.fail("full rematch"))
    assert batchmatch.listing_match_batch(listing_ids=[owner.listing.pk],
                                          queued_at=queued_at) == 0


def test_a_batch_committed_after_the_snapshot_is_matched(region, settings):
    owner, partner = region
    rematch.match_rematch_full()
    settings.MATCH_BATCH_FULL_FRACTION = 0.5
    Match.objects.all().delete()
    assert batchmatch.listing_match_batch(listing_ids=[partner.listing.pk],
                                          queued_at=time.time()) == 1
    assert Match.objects.filter(want=partner.listing).exists()
