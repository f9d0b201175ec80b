"""New listings of a bulk submission written with one INSERT (the bulk path's speed-up).

``listing_create`` checks each listing with queries of its own (its site, its company, the
external id, every database constraint through ``full_clean``) and saves it on a savepoint:
about 20 round trips per listing, which capped a 1,000-item batch at a few hundred
listings a second on a quiet machine. Here the same rules run in memory against what the
caller looked up once for the batch:

- the company's sites (a listing's site must be one of them);
- its external ids already in use (the caller sends those items to the update path, and
  refuses an id twice in one batch), so a new item's id is free unless a concurrent
  write takes it: the unique constraint then refuses the INSERT, and the caller falls
  back to one savepoint per listing (``listing_save_many``'s slow path), which says so
  per item;
- the window and quantity checks the database constraints also make, and ``full_clean``
  without its per-row queries (foreign keys are the caller's, constraints checked here).

Derived fields are set as ``listing_create`` sets them (``_apply``, then the canonical
amount), so a listing written here is the row the one-by-one path writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Company, Site, User
from matching import rules
from matching.models import Listing
from matching.services.listings import _apply, listing_derive_amount

# Checked by the caller (site) or by the constraints below, not by a query per row.
_NOT_BY_QUERY = ["site", "company", "created_by"]


class Contended(Exception):
    """A concurrent write took an external id of the batch: use the one-by-one path."""


def listing_build(*, company: Company, user: User | None, sites: Mapping[int, Site],
                  data: Mapping[str, Any]) -> Listing:
    """A new listing of ``company`` from ``data``, validated in memory (not saved)."""
    listing = Listing(company=company, created_by=user)
    _apply(listing, data)
    site = sites.get(getattr(listing, "site_id", None))
    if site is None:
        raise ValidationError({"site": _("Choose one of your company's sites.")})
    listing.site = site
    rules.validate_availability_window(
        available_from=listing.available_from, available_until=listing.available_until)
    if listing.external_id:
        rules.validate_external_id_format(external_id=listing.external_id)
    if listing.quantity is not None and listing.quantity < 0:
        raise ValidationError({"quantity": _("Quantity cannot be negative.")})
    listing.full_clean(exclude=_NOT_BY_QUERY, validate_unique=False,
                       validate_constraints=False)
    listing_derive_amount(listing=listing)
    return listing


def listing_insert_many(*, listings: Sequence[Listing]) -> None:
    """INSERT the built listings in one statement (ids set on them); ``Contended`` if the
    unique constraint on external ids refused it (nothing written then)."""
    if not listings:
        return
    try:
        with transaction.atomic():
            Listing.objects.bulk_create(listings, batch_size=1000)
    except IntegrityError as exc:
        for listing in listings:
            listing.pk = None
            listing._state.adding = True
        raise Contended from exc
