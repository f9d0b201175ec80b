"""Reads of register profiles for agency staff: only those in the agency's regions."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Agency, Company, CompanyClaim
from accounts.selectors import company_list_in_regions


def facility_profile_list(*, agency: Agency, claimed: bool | None = None,
                          search: str = "") -> QuerySet[Company]:
    """Profiles made from the register in the agency's regions, with their facility, site,
    active indicative listings and claim requests; ``claimed`` filters by claim state."""
    companies = (
        company_list_in_regions(regions=agency.regions.all())
        .filter(register_facility__isnull=False)
        .select_related("register_facility", "register_facility__site")
        .annotate(active_listings=Count(
            "listings", filter=Q(listings__status="active", listings__indicative=True),
            distinct=True))
        .prefetch_related(Prefetch("claims", queryset=CompanyClaim.objects.order_by(
            "-created_at"), to_attr="claim_list"))
        .order_by("name", "pk")
    )
    if claimed is not None:
        companies = companies.filter(claimed=claimed)
    if search:
        companies = companies.filter(Q(name__icontains=search)
                                     | Q(register_facility__site__city__icontains=search))
    return companies


def facility_profile_get(*, agency: Agency, pk: int) -> Company | None:
    return facility_profile_list(agency=agency).filter(pk=pk).first()
