"""Matching's answers to what the apps below it announce (connected in MatchingConfig.ready)."""

from __future__ import annotations

from matching import services
from matching.models import Listing


def rematch_moved_site(*, site_id: int, **kwargs) -> None:
    """A site moved: its listings' distances changed, so their matches are recomputed."""
    for listing_id in Listing.objects.filter(site_id=site_id).values_list("id", flat=True):
        services.listing_queue_rematch(listing_id=listing_id)
