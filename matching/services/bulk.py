"""Many listings saved at once (API clients' systems), matched once for the whole batch.

Each item is created or updated on its own savepoint, so one that the rules refuse does
not undo the others; ``atomic=True`` keeps nothing if any item fails. Unchanged items are
not written (re-sending the same batch changes nothing). The rematch of every listing the
batch wrote is queued once, after commit, as one task.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Company, Site, User
from matching.models import Listing
from matching.services import batchmatch, bulk_insert
from matching.services.listings import listing_create, listing_update

CREATED, UPDATED, UNCHANGED, ERROR = "created", "updated", "unchanged", "error"


@dataclass
class BulkItem:
    """One listing to save: the stored one it replaces (None: new) and its fields."""

    listing: Listing | None
    data: Mapping[str, Any]


@dataclass
class BulkOutcome:
    listing: Listing | None
    result: str
    errors: dict[str, list[str]] = field(default_factory=dict)


def listing_unchanged(*, listing: Listing, data: Mapping[str, Any]) -> bool:
    """Saving ``data`` (validated input) on ``listing`` would change nothing."""
    return _same(listing, data)


def _same(listing: Listing, data: Mapping[str, Any]) -> bool:
    for name, value in data.items():
        current = getattr(listing, f"{name}_id" if name == "site" else name)
        if name == "site":
            value = getattr(value, "pk", value)
        if isinstance(current, Decimal) and value is not None:
            value = Decimal(str(value))
        if current != value:
            return False
    return True


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: [m for e in errors for m in e.messages]
                for name, errors in exc.error_dict.items()}
    return {"non_field_errors": exc.messages}


def _create_fast(company: Company, user: User | None, items: Sequence[BulkItem],
                 sites: Mapping[int, Site]) -> dict[int, BulkOutcome] | None:
    """Outcomes of the new items by position, written with one INSERT
    (``bulk_insert``); None when a concurrent write got in the way (nothing written)."""
    outcomes: dict[int, BulkOutcome] = {}
    built: list[tuple[int, Listing]] = []
    for index, item in enumerate(items):
        if item.listing is not None:
            continue
        try:
            built.append((index, bulk_insert.listing_build(
                company=company, user=user, sites=sites, data=item.data)))
        except ValidationError as exc:
            outcomes[index] = BulkOutcome(None, ERROR, _messages(exc))
    try:
        bulk_insert.listing_insert_many(listings=[listing for _i, listing in built])
    except bulk_insert.Contended:
        return None
    for index, listing in built:
        outcomes[index] = BulkOutcome(listing, CREATED)
    return outcomes


@transaction.atomic
def listing_save_many(
    *, company: Company, user: User | None, items: Sequence[BulkItem], atomic: bool = False,
    queue_rematch: bool = True,
    sites: Mapping[int, Site] | None = None,
) -> list[BulkOutcome]:
    """Create or update each item; one rematch for all that changed, queued after commit.

    With ``atomic``, any failed item rolls the whole batch back (the outcomes still say
    what each item would have been). Given the company's ``sites`` (by id), and the
    items' stored listings already looked up by the caller, new items are checked in
    memory and inserted at once (``matching.services.bulk_insert``).
    An import of many chunks passes ``queue_rematch=False`` and queues one rematch for
    the whole file at its end.
    """
    created = _create_fast(company, user, items, sites) if sites is not None else None
    outcomes: list[BulkOutcome] = []
    for index, item in enumerate(items):
        if created is not None and index in created:
            outcomes.append(created[index])
            continue
        if item.listing is not None and _same(item.listing, item.data):
            outcomes.append(BulkOutcome(item.listing, UNCHANGED))
            continue
        try:
            with transaction.atomic():
                if item.listing is None:
                    saved = listing_create(
                        company=company, user=user, data=item.data, queue_rematch=False
                    )
                    outcomes.append(BulkOutcome(saved, CREATED))
                else:
                    saved = listing_update(
                        listing=item.listing, data=item.data, queue_rematch=False
                    )
                    outcomes.append(BulkOutcome(saved, UPDATED))
        except ValidationError as exc:
            outcomes.append(BulkOutcome(item.listing, ERROR, _messages(exc)))
    if atomic and any(o.result == ERROR for o in outcomes):
        transaction.set_rollback(True)
        return outcomes
    written = [o.listing.pk for o in outcomes if o.result in (CREATED, UPDATED)]
    if written and queue_rematch:
        listing_queue_rematch_many(listing_ids=written)
    return outcomes


def listing_queue_rematch_many(*, listing_ids: Sequence[int]) -> None:
    """Queue one task matching all these listings once the transaction commits, stamped
    with the time of the commit (``matching.services.batchmatch``)."""
    from matching.tasks import match_listings

    ids = list(listing_ids)
    transaction.on_commit(lambda: match_listings.delay(ids, time.time()))


def listing_rematch_many(*, listing_ids: Sequence[int], queued_at: float | None = None
                         ) -> int:
    """Match one batch's listings: listing by listing, or one full rematch when the batch
    is a large part of the region (``matching.services.batchmatch``)."""
    return batchmatch.listing_match_batch(listing_ids=listing_ids, queued_at=queued_at)
