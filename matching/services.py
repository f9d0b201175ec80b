"""Writes for matching: listings, rematching and dismissals.

Every write runs in one transaction and validates before it saves; matching work is
queued only after the transaction commits, so a worker never sees a half-written row.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Company, Site, User
from matching import catalogue
from matching.engine.index import MatchIndex
from matching.engine.quantity import canonical_amount
from matching.engine.records import ListingRecord, MatchRecord
from matching.models import Listing, Match, MatchDismissal

log = logging.getLogger(__name__)

ENGINE_VERSION = "v1"

LISTING_FIELDS = (
    "kind", "site", "title", "description", "category", "ewc_code", "quantity", "unit",
    "frequency", "density_t_per_m3", "available_from", "available_until", "hazardous",
    "accepts_hazardous", "physical_state", "temperature_c", "pressure_bar", "max_distance_km",
    "status", "external_id",
)


def _apply(listing: Listing, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(LISTING_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    for name, value in data.items():
        setattr(listing, name, value)
    listing.ewc_code = catalogue.normalise_ewc(listing.ewc_code)
    if listing.ewc_code and listing.ewc_code in catalogue.knowledge().ewc:
        entry = catalogue.knowledge().ewc[listing.ewc_code]
        # A starred code is a declaration: choosing the hazardous side of a mirror pair says
        # the waste is hazardous, as the engine also assumes.
        if entry.hazardous and listing.is_offer:
            listing.hazardous = True


def _check_window(listing: Listing) -> None:
    # The database constraint guards the same rule; this puts the message on the field.
    start, end = listing.available_from, listing.available_until
    if start and end and end < start:
        raise ValidationError(
            {"available_until": _("“Available until” must not be before “available from”.")}
        )


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


def _check_site(listing: Listing, company: Company) -> None:
    if listing.site_id is None or listing.site.company_id != company.id:
        raise ValidationError({"site": _("Choose one of your company's sites.")})


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
    _check_site(listing, company)
    _check_window(listing)
    listing.full_clean()
    listing_derive_amount(listing=listing)
    listing.save()
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
    _apply(locked, data)
    _check_site(locked, locked.company)
    _check_window(locked)
    locked.full_clean()
    listing_derive_amount(listing=locked)
    locked.save()
    if queue_rematch:
        listing_queue_rematch(listing_id=locked.id)
    return locked


def listing_set_status(*, listing: Listing, status: str) -> Listing:
    """Pause, close or reactivate a listing."""
    if status not in Listing.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    return listing_update(listing=listing, data={"status": status})


def listing_queue_rematch(*, listing_id: int) -> None:
    """Queue matching of one listing once the current transaction commits."""
    from matching.tasks import match_listing

    match_listing.delay_on_commit(listing_id)


# --- matching -------------------------------------------------------------------------


def listing_to_record(listing: Listing, site: Site | None = None) -> ListingRecord:
    site = site or listing.site
    return ListingRecord(
        id=listing.id,
        kind=listing.kind,
        title=listing.title,
        description=listing.description,
        lat=site.latitude,
        lon=site.longitude,
        max_km=listing.max_distance_km,
        category=listing.category,
        ewc_code=listing.ewc_code,
        amount_per_year=listing.amount_per_year,
        canonical_unit=listing.canonical_unit,
        density_t_per_m3=listing.density_t_per_m3,
        available_from=listing.available_from,
        available_until=listing.available_until,
        hazardous=listing.hazardous,
        accepts_hazardous=listing.accepts_hazardous,
        physical_state=listing.physical_state,
        temperature_c=listing.temperature_c,
    )


def _active_records() -> list[ListingRecord]:
    listings = (
        Listing.objects.filter(status=Listing.Status.ACTIVE)
        .select_related("site")
        .order_by("id")
    )
    return [listing_to_record(listing) for listing in listings]


def _model_version(records: list[ListingRecord]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for record in records:
        digest.update(repr(record).encode())
    return f"{ENGINE_VERSION}-{digest.hexdigest()[:10]}"


def _build_index(records: list[ListingRecord]) -> MatchIndex:
    return MatchIndex.build(records, catalogue.knowledge(), version=_model_version(records))


MATCH_VALUE_FIELDS = ("score", "distance_km", "components", "explanation", "model_version")


def _save_matches(
    found: Iterable[MatchRecord], *, version: str, scope: Q
) -> tuple[int, int]:
    """Make the stored matches within ``scope`` exactly ``found``; touch only what changed.

    Rows are upserted on the (offer, want) key, so two workers rematching overlapping
    listings at once cannot create duplicates or fail on the unique constraint.
    Returns (rows written, rows deleted).
    """
    wanted = {(m.offer_id, m.want_id): m for m in found}
    existing = {
        (row["offer_id"], row["want_id"]): row
        for row in Match.objects.filter(scope).values("id", "offer_id", "want_id",
                                                       *MATCH_VALUE_FIELDS)
    }
    stale = [row["id"] for key, row in existing.items() if key not in wanted]
    if stale:
        Match.objects.filter(id__in=stale).delete()
    upserts: list[Match] = []
    for key, record in wanted.items():
        values = {
            "score": record.score,
            "distance_km": record.distance_km,
            "components": record.components,
            "explanation": record.explanation[:300],
            "model_version": version,
        }
        row = existing.get(key)
        if row is None or any(row[name] != value for name, value in values.items()):
            upserts.append(Match(offer_id=key[0], want_id=key[1], **values))
    Match.objects.bulk_create(
        upserts,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["offer", "want"],
        update_fields=[*MATCH_VALUE_FIELDS, "updated_at"],
    )
    return len(upserts), len(stale)


@transaction.atomic
def listing_rematch(*, listing_id: int) -> int | None:
    """Recompute the matches of one listing. Returns how many it has, None if it is gone.

    Idempotent: the same listings give the same stored rows, never duplicates.
    """
    listing = Listing.objects.select_related("site").filter(pk=listing_id).first()
    if listing is None:
        return None
    side = Q(offer_id=listing_id) | Q(want_id=listing_id)
    if listing.status != Listing.Status.ACTIVE:
        Match.objects.filter(side).delete()
        return 0
    records = _active_records()
    index = _build_index(records)
    found = index.query(listing_to_record(listing), k=settings.MATCH_TOP_K)
    _save_matches(found, version=index.version, scope=side)
    return len(found)


@transaction.atomic
def match_rematch_all(*, k: int | None = None) -> int:
    """Rebuild the model on all active listings and recompute every match.

    ``k`` is how many counterparts each listing keeps (default ``MATCH_TOP_K``).
    """
    records = _active_records()
    index = _build_index(records)
    found = index.match_all(k=settings.MATCH_TOP_K if k is None else k)
    _save_matches(found, version=index.version, scope=Q())
    log.info("rematched %d listings: %d matches (%s)", len(records), len(found), index.version)
    return len(found)


@transaction.atomic
def match_dismiss(
    *, match: Match, company: Company, user: User | None, reason: str, note: str = ""
) -> MatchDismissal:
    """Hide a match from one side for good; the pair is kept as a negative label."""
    if reason not in MatchDismissal.Reason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    if company.id not in (match.offer.company_id, match.want.company_id):
        raise ValidationError(_("Only a party to this match can dismiss it."))
    dismissal, _created = MatchDismissal.objects.update_or_create(
        offer=match.offer,
        want=match.want,
        company=company,
        defaults={
            "user": user,
            "reason": reason,
            "note": note[:500],
            "components": match.components,
            "score": match.score,
        },
    )
    return dismissal
