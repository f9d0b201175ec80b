"""Matching a bulk submission's listings: one task per batch, a full rematch when the
batch is a large part of the region (the bulk path's matching speed-up).

One listing's rematch costs about 10 ms (the current model, plus an index of everything
saved since it was fitted); a full rematch of 10,000 listings about 3 s. A batch of 1,000
new listings in a region of a few thousand is therefore matched far sooner by refitting
and rematching everything once than listing by listing, and the matches are the same
(single-listing matching scores with the model a full rematch fits). So a batch task
rematches everything when the batch holds at least ``MATCH_BATCH_FULL_FRACTION`` of the
active listings (or there is no model yet), else listing by listing.

Imports queue batches faster than they are matched: a task whose batch had committed
before the current model's snapshot was read is already covered by that full rematch
and returns at once (``queued_at`` is stamped after the batch's commit; the snapshot must
be later by more than ``CLOCK_SKEW_S`` between the web and worker machines).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from matching import modelstore
from matching.models import Listing

CLOCK_SKEW_S = 2.0


def covered_by_current_model(*, queued_at: float | None) -> bool:
    """A full rematch read its snapshot after the batch queued at ``queued_at`` committed."""
    if queued_at is None:
        return False
    model = modelstore.current()
    return model is not None and model.snapshot_at.timestamp() > queued_at + CLOCK_SKEW_S


def listing_match_batch(*, listing_ids: Sequence[int], queued_at: float | None = None) -> int:
    """Match one batch's listings (see the module); returns how many were matched."""
    from matching.services.rematch import listing_rematch, match_rematch_all

    if not listing_ids or covered_by_current_model(queued_at=queued_at):
        return 0
    active = Listing.objects.filter(status=Listing.Status.ACTIVE).count()
    if modelstore.current() is None or (
            len(listing_ids) >= settings.MATCH_BATCH_FULL_FRACTION * active):
        match_rematch_all()
        return len(listing_ids)
    return sum(listing_rematch(listing_id=pk) is not None for pk in listing_ids)
