"""Writes of the cold start: a register facility becomes an unclaimed company profile with
a site at the facility's coordinates and indicative listings; staff act on those profiles.

Each facility is keyed by its register id (``Facility``): a row whose values and mapping
are unchanged writes nothing, a newer row updates the profile while it is unclaimed, and
a claimed profile is the firm's and is left alone. Listings are written through
matching's services without queuing their rematch (``queue_rematch=False``); the import
queues one rematch for everything it wrote (``facility_listings_rematch``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import claims
from accounts import services as accounts_services
from accounts.models import Agency, Company, CompanyClaim, Region, User
from accounts.selectors import company_list_in_regions
from agency.facilities.mapping import (
    HAZARDOUS,
    NON_HAZARDOUS,
    WANT,
    FacilityRow,
    nace_for_activity,
    streams_for_activity,
)
from agency.models import Facility
from exchanges import services as exchange_services
from exchanges.models import ListingDisclosure
from matching import selectors as matching_selectors
from matching import services as matching_services
from matching.models import Listing

REGISTER = "eprtr"
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# Offers of an E-PRTR site are large industrial streams: trucked further than the
# portal's default reach for a small firm's listing.
OFFER_REACH_KM = 100.0
EXTERNAL_IDS = {HAZARDOUS: "eprtr:hazardous", NON_HAZARDOUS: "eprtr:non-hazardous",
                WANT: "eprtr:want"}


def _transfer_text(row: FacilityRow, *, hazardous: bool) -> str:
    # In words, not figures: the register is public, and its exact tonnes would name the
    # site to anyone who looks them up (the quantity is shown to other firms as a range).
    recovery = (row.hw_recovery_t if hazardous else row.nonhw_recovery_t) or 0
    disposal = (row.hw_disposal_t if hazardous else row.nonhw_disposal_t) or 0
    kind = _("hazardous") if hazardous else _("non-hazardous")
    if recovery and disposal:
        share = recovery / (recovery + disposal)
        where = (_("mostly to recovery") if share >= Decimal("0.75") else
                 _("mostly to disposal") if share <= Decimal("0.25") else
                 _("partly to recovery, partly to disposal"))
    else:
        where = _("to recovery") if recovery else _("to disposal")
    return _("The site reports %(kind)s waste sent off site, %(where)s.") % {
        "kind": kind, "where": where}


def facility_listing_plan(*, row: FacilityRow) -> dict[str, dict[str, Any]]:
    """The indicative listings of a facility, keyed by their external id: an offer per
    reported transfer (hazardous, non-hazardous) in the stream typical of the activity,
    and the activity's typical need where the mapping names one. None for a facility
    that no longer operates."""
    if not row.operating:
        return {}
    streams = streams_for_activity(row.activity_code)
    activity = row.activity_name or row.activity_code
    plan: dict[str, dict[str, Any]] = {}
    for slot, tonnes in ((HAZARDOUS, row.hazardous_t), (NON_HAZARDOUS, row.non_hazardous_t)):
        stream = streams.get(slot)
        if not tonnes or stream is None:
            continue
        description = " ".join([
            _("Indicative: estimated by the regional agency from the E-PRTR register, not "
              "yet confirmed by the firm."),
            _transfer_text(row, hazardous=slot == HAZARDOUS),
            _("The stream is the one typical of its activity (%(code)s %(activity)s): "
              "%(why)s") % {"code": row.activity_code, "activity": activity[:160],
                            "why": stream.reasoning},
        ])
        plan[EXTERNAL_IDS[slot]] = {
            "kind": Listing.Kind.OFFER, "title": stream.title, "description": description,
            "category": stream.category, "ewc_code": stream.ewc_code, "quantity": tonnes,
            "unit": Listing.Unit.TONNE, "frequency": Listing.Frequency.YEARLY,
            "hazardous": slot == HAZARDOUS, "accepts_hazardous": False,
            "physical_state": stream.physical_state, "max_distance_km": OFFER_REACH_KM,
            "status": Listing.Status.ACTIVE, "external_id": EXTERNAL_IDS[slot],
            "indicative": True,
        }
    want = streams.get(WANT)
    if want is not None:
        plan[EXTERNAL_IDS[WANT]] = {
            "kind": Listing.Kind.WANT, "title": want.title,
            "description": " ".join([
                _("Indicative: a need typical of the site's activity (%(code)s %(activity)s), "
                  "estimated by the regional agency, not yet confirmed by the firm.")
                % {"code": row.activity_code, "activity": activity[:160]},
                want.reasoning]),
            "category": want.category, "ewc_code": want.ewc_code, "quantity": None,
            "unit": "", "frequency": Listing.Frequency.YEARLY, "hazardous": False,
            "accepts_hazardous": False, "physical_state": want.physical_state,
            "max_distance_km": OFFER_REACH_KM, "status": Listing.Status.ACTIVE,
            "external_id": EXTERNAL_IDS[WANT], "indicative": True,
        }
    return plan


def _company_data(row: FacilityRow, agency: Agency | None) -> dict[str, str]:
    by = agency.name if agency is not None else _("a regional agency")
    return {
        "name": row.name,
        "nace_code": nace_for_activity(row.activity_code),
        "description": _(
            "Profile made by %(agency)s from the E-PRTR register of industrial facilities "
            "(facility %(id)s, activity %(code)s, reporting year %(year)s).") % {
                "agency": by, "id": row.facility_id, "code": row.activity_code,
                "year": row.year},
    }


def _site_data(row: FacilityRow) -> dict[str, Any]:
    address = ", ".join(p for p in (row.street, row.postcode) if p)
    return {"name": row.name, "address": address[:255], "city": row.town,
            "country": row.country, "latitude": row.lat, "longitude": row.lon}


@dataclass
class FacilityResult:
    result: str  # CREATED, UPDATED or UNCHANGED
    facility: Facility


def facility_regions_contain(*, regions: Iterable[Region], lat: float, lon: float) -> bool:
    return any(region.contains(lat, lon) for region in regions)


@transaction.atomic
def facility_import_row(*, row: FacilityRow, agency: Agency | None, user: User | None
                        ) -> FacilityResult:
    """Create or update the profile of one register row (the latest year of its facility).

    Idempotent: the same row again, or any row of a claimed profile, writes nothing.
    """
    if row.errors:
        raise ValidationError(row.errors)
    fingerprint = row.fingerprint()
    facility = (Facility.objects.select_for_update().select_related("company", "site")
                .filter(register=REGISTER, facility_id=row.facility_id).first())
    if facility is not None and (facility.fingerprint == fingerprint or facility.company.claimed):
        return FacilityResult(UNCHANGED, facility)
    plan = facility_listing_plan(row=row)
    if facility is None:
        company = claims.company_create_unclaimed(data=_company_data(row, agency))
        site = accounts_services.site_create(company=company, **_site_data(row))
        facility = Facility.objects.create(
            register=REGISTER, facility_id=row.facility_id, company=company, site=site,
            agency=agency, activity_code=row.activity_code, year=row.year,
            fingerprint=fingerprint)
        for data in plan.values():
            _listing_create(company=company, user=user, data={**data, "site": site})
        return FacilityResult(CREATED, facility)
    company = claims.company_update_unclaimed(
        company=facility.company, data={**_company_data(row, agency),
                                        "claim_domain": facility.company.claim_domain})
    site_data = _site_data(row)
    site = facility.site
    if any(getattr(site, k) != v for k, v in site_data.items()):
        site = accounts_services.site_update(site=site, **site_data)
    _listings_sync(company=company, site=site, plan=plan, user=user)
    facility.activity_code, facility.year, facility.fingerprint = (
        row.activity_code, row.year, fingerprint)
    facility.save(update_fields=["activity_code", "year", "fingerprint", "updated_at"])
    return FacilityResult(UPDATED, facility)


def _listing_create(*, company: Company, user: User | None, data: dict[str, Any]) -> Listing:
    listing = matching_services.listing_create(company=company, user=user, data=data,
                                               queue_rematch=False)
    # Other firms see a range, not the register's exact figure (which would name the site);
    # the firm chooses otherwise once it has claimed the profile.
    exchange_services.listing_disclosure_set(
        listing=listing, company=company, visibility=ListingDisclosure.Visibility.ANONYMOUS,
        quantity_shown=ListingDisclosure.QuantityShown.BANDED)
    return listing


def _listings_sync(*, company: Company, site, plan: dict[str, dict[str, Any]],
                   user: User | None) -> None:
    current = {listing.external_id: listing for listing in
               matching_selectors.listing_list_for_company(company=company)
               if listing.external_id in EXTERNAL_IDS.values()}
    for external_id, data in plan.items():
        data = {**data, "site": site}
        listing = current.get(external_id)
        if listing is None:
            _listing_create(company=company, user=user, data=data)
        elif listing.indicative and not matching_services.listing_unchanged(
                listing=listing, data=data):
            # A listing the firm has edited is no longer indicative: it is theirs.
            matching_services.listing_update(listing=listing, data=data, queue_rematch=False)
    for external_id, listing in current.items():
        if (external_id not in plan and listing.indicative
                and listing.status != Listing.Status.CLOSED):
            # No longer reported (or the site closed): the estimate is withdrawn.
            matching_services.listing_update(
                listing=listing, data={"status": Listing.Status.CLOSED, "indicative": True},
                queue_rematch=False)


def facility_listings_rematch(*, facility_ids: Sequence[int]) -> int:
    """Queue one rematch (after commit) of every listing of these facilities' profiles:
    an import is matched once, not row by row. Returns how many listings."""
    listing_ids = list(Listing.objects.filter(
        company__register_facility__pk__in=list(facility_ids)).values_list("pk", flat=True))
    if listing_ids:
        matching_services.listing_queue_rematch_many(listing_ids=listing_ids)
    return len(listing_ids)


# --- staff actions on unclaimed profiles ---------------------------------------------------


def _check_in_regions(*, agency: Agency, company: Company) -> None:
    if not company_list_in_regions(regions=agency.regions.all()).filter(pk=company.pk).exists():
        raise PermissionDenied(_("This firm is not in your agency's regions."))


def facility_set_claim_domain(*, agency: Agency, company: Company, domain: str) -> Company:
    """Staff enter the e-mail domain whose addresses may claim an unclaimed profile."""
    _check_in_regions(agency=agency, company=company)
    return claims.company_set_claim_domain(company=company, domain=domain)


def facility_claim_for_firm(*, agency: Agency, company: Company, staff: User,
                            owner_email: str = "", base_url: str = "") -> CompanyClaim:
    """Staff claim the profile on the firm's behalf, optionally inviting its owner."""
    _check_in_regions(agency=agency, company=company)
    return claims.company_claim_by_agency(company=company, staff=staff,
                                          owner_email=owner_email, base_url=base_url)
