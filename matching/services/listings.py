"""Writes of listings: create, update, status changes, and queuing their rematch.

Every write runs in one transaction and validates before it saves (the rules are in
``matching.rules``, shared with forms and the API); matching work is queued only after the
transaction commits, so a worker never sees a half-written row.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Company, User
from matching import catalogue, rules
from matching.engine import canonical_amount
from matching.models import Listing
from matching.quality import QUALITY_FIELDS, clean_certificates

logger = logging.getLogger(__name__)

LISTING_FIELDS = (
    "kind", "site", "title", "description", "category", "ewc_code", "quantity", "unit",
    "frequency", "density_t_per_m3", "available_from", "available_until", "hazardous",
    "accepts_hazardous", "physical_state", "temperature_c", "pressure_bar", "max_distance_km",
    "status", "external_id", "indicative", *QUALITY_FIELDS,
)


def _apply(listing: Listing, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(LISTING_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    for name, value in data.items():
        setattr(listing, name, value)
    if "unit" in data:
        explicit = data.get("frequency")
        listing.unit, frequency = rules.clean_unit(unit=listing.unit, frequency=explicit)
        if frequency:
            listing.frequency = frequency
    listing.ewc_code = rules.clean_ewc_code(listing.ewc_code)
    if "certificates" in data:
        try:
            listing.certificates = clean_certificates(listing.certificates)
        except ValidationError as exc:
            raise ValidationError({"certificates": exc.messages}) from None
    if listing.ewc_code:
        entry = catalogue.knowledge().ewc[listing.ewc_code]
        # A starred code is a declaration: choosing the hazardous side of a mirror pair says
        # the waste is hazardous, as the engine also assumes.
        if entry.hazardous and listing.is_offer:
            listing.hazardous = True


def _validate(listing: Listing, company: Company) -> None:
    if listing.site_id is None or listing.site.company_id != company.id:
        raise ValidationError({"site": _("Choose one of your company's sites.")})
    # The database constraints guard the same rules; these put the message on the field.
    rules.validate_availability_window(
        available_from=listing.available_from, available_until=listing.available_until
    )
    rules.validate_external_id(
        company=company, external_id=listing.external_id, exclude_pk=listing.pk
    )
    listing.full_clean()


def _save(listing: Listing) -> None:
    if not listing.external_id:
        listing.save()
        return
    try:
        with transaction.atomic():
            listing.save()
    except IntegrityError:
        # A concurrent write took the external id after it was checked: the unique
        # constraint refused this one. Said as the rule says it, or re-raised if not that.
        rules.validate_external_id(
            company=listing.company, external_id=listing.external_id, exclude_pk=listing.pk
        )
        raise


def listing_derive_amount(*, listing: Listing) -> None:
    """Set the canonical amount per year from quantity, unit and frequency."""
    errors: dict[str, str] = {}
    if listing.quantity is None:
        listing.amount_per_year, listing.canonical_unit = None, ""
        return
    if not listing.unit:
        errors["unit"] = _("Give a unit for the quantity.")
    else:
        try:
            amount, unit = canonical_amount(
                quantity=float(listing.quantity), unit=listing.unit, frequency=listing.frequency
            )
        except ValueError as exc:
            errors["unit"] = str(exc)
        else:
            listing.amount_per_year, listing.canonical_unit = amount, unit
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def listing_create(
    *,
    company: Company,
    user: User | None,
    data: Mapping[str, Any],
    queue_rematch: bool = True,
) -> Listing:
    """Validate and save a new listing; match it after commit if it is active.

    Bulk loaders pass ``queue_rematch=False`` and rematch everything once at the end.
    """
    listing = Listing(company=company, created_by=user)
    _apply(listing, data)
    _validate(listing, company)
    listing_derive_amount(listing=listing)
    _save(listing)
    if queue_rematch:
        listing_queue_rematch(listing_id=listing.id)
    return listing


@transaction.atomic
def listing_update(
    *, listing: Listing, data: Mapping[str, Any], queue_rematch: bool = True
) -> Listing:
    """Validate and save changes; its matches are recomputed after commit."""
    locked = Listing.objects.select_for_update().get(pk=listing.pk)
    if "kind" in data and data["kind"] != locked.kind:
        raise ValidationError({"kind": _("An offer cannot become a want; create a new listing.")})
    if "indicative" not in data:
        # The firm saying it itself: no longer an estimate.
        locked.indicative = False
    _apply(locked, data)
    _validate(locked, locked.company)
    listing_derive_amount(listing=locked)
    _save(locked)
    if queue_rematch:
        listing_queue_rematch(listing_id=locked.id)
    return locked


def listing_set_status(*, listing: Listing, status: str) -> Listing:
    """Pause, close or reactivate a listing."""
    if status not in Listing.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    return listing_update(listing=listing, data={"status": status})


def _enqueue_match(listing_id: int) -> None:
    from matching.tasks import match_listing

    try:
        match_listing.delay(listing_id)
    except Exception as exc:  # the broker is down (kombu, redis-py: no common base)
        # The listing is saved: the request must not fail now. The periodic sweep
        # (matching.tasks.match_pending) matches it once the broker is back.
        logger.warning("Could not queue the match of listing %s (%s); the sweep will",
                       listing_id, exc, extra={"listing_id": listing_id})
        Listing.objects.filter(pk=listing_id).update(needs_match=True)


def listing_queue_rematch(*, listing_id: int) -> None:
    """Queue matching of one listing once the current transaction commits; if the broker
    cannot take it, mark the listing ``needs_match`` instead (never an error to the caller)."""
    transaction.on_commit(partial(_enqueue_match, listing_id))
