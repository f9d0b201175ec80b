"""Staff work on the region's firms: verifying them and keeping their listings for them.

A firm is verified by an agency whose regions hold one of its sites; the badge names the
agency. Staff may enter or edit a firm's listings only while the firm's owner consents
(``accounts.services.agency_consent_grant``); each such write goes through matching's
listing services and is recorded as a ``StaffAction`` naming the listing, so the firm and
the agency can see who wrote what.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, Company, User
from accounts.selectors import agency_consent_open
from agency.models import StaffAction
from agency.selectors import firm_get_for_agency, staff_role
from matching.models import Listing
from matching.services.listings import listing_create, listing_update


def _require_staff(*, agency: Agency, user: User) -> None:
    if staff_role(user=user, agency=agency) is None:
        raise PermissionDenied(_("Only the agency's staff can do that."))


def _require_firm(*, agency: Agency, company: Company) -> None:
    if firm_get_for_agency(agency=agency, pk=company.pk) is None:
        raise PermissionDenied(_("%(firm)s has no site in the agency's regions.")
                               % {"firm": company.name})


@transaction.atomic
def firm_verify(*, agency: Agency, user: User, company: Company) -> Company:
    """Mark the firm verified by the agency (who and when are kept)."""
    _require_staff(agency=agency, user=user)
    _require_firm(agency=agency, company=company)
    locked = Company.objects.select_for_update().get(pk=company.pk)
    locked.verified, locked.verified_by = True, agency
    locked.verified_by_user, locked.verified_at = user, timezone.now()
    locked.save(update_fields=["verified", "verified_by", "verified_by_user", "verified_at"])
    StaffAction.objects.create(agency=agency, user=user, kind=StaffAction.Kind.VERIFIED,
                               company=locked, detail=locked.name)
    return locked


@transaction.atomic
def firm_unverify(*, agency: Agency, user: User, company: Company) -> Company:
    """Withdraw a verification; only the agency that gave it may."""
    _require_staff(agency=agency, user=user)
    _require_firm(agency=agency, company=company)
    locked = Company.objects.select_for_update().get(pk=company.pk)
    if locked.verified and locked.verified_by_id not in (None, agency.pk):
        raise PermissionDenied(_("Another agency verified %(firm)s; only it can withdraw "
                                 "the verification.") % {"firm": locked.name})
    locked.verified, locked.verified_by = False, None
    locked.verified_by_user, locked.verified_at = None, None
    locked.save(update_fields=["verified", "verified_by", "verified_by_user", "verified_at"])
    StaffAction.objects.create(agency=agency, user=user, kind=StaffAction.Kind.UNVERIFIED,
                               company=locked, detail=locked.name)
    return locked


def _require_consent(*, agency: Agency, user: User, company: Company) -> None:
    _require_staff(agency=agency, user=user)
    _require_firm(agency=agency, company=company)
    if agency_consent_open(company=company, agency=agency) is None:
        raise PermissionDenied(
            _("%(firm)s has not agreed that %(agency)s edits its listings: its owner grants "
              "that in the company settings.") % {"firm": company.name, "agency": agency.name})


@transaction.atomic
def listing_create_on_behalf(*, agency: Agency, user: User, company: Company,
                             data: Mapping[str, Any]) -> Listing:
    """Enter a listing for a consenting firm (validated as the firm's own would be)."""
    _require_consent(agency=agency, user=user, company=company)
    site = data.get("site")
    if site is not None and not site.regions.filter(agencies=agency).exists():
        raise ValidationError({"site": _("Choose one of the firm's sites in your region.")})
    listing = listing_create(company=company, user=user, data=data)
    StaffAction.objects.create(agency=agency, user=user, kind=StaffAction.Kind.LISTING_CREATED,
                               company=company, listing=listing, detail=listing.title[:300])
    return listing


@transaction.atomic
def listing_update_on_behalf(*, agency: Agency, user: User, listing: Listing,
                             data: Mapping[str, Any]) -> Listing:
    """Change a consenting firm's listing; only listings at sites in the agency's regions."""
    _require_consent(agency=agency, user=user, company=listing.company)
    from agency.selectors import listing_list_for_agency

    if not listing_list_for_agency(agency=agency).filter(pk=listing.pk).exists():
        raise ValidationError({"site": _("This listing's site is outside the agency's regions.")})
    updated = listing_update(listing=listing, data=data)
    StaffAction.objects.create(agency=agency, user=user, kind=StaffAction.Kind.LISTING_UPDATED,
                               company=updated.company, listing=updated,
                               detail=updated.title[:300])
    return updated
