"""Reads for agency staff: which agency a user acts for, and what lies in its regions."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import Agency, AgencyMembership, Company, Region, User
from accounts.selectors import (
    agency_list_for_user,
    company_list_in_regions,
    in_regions_q,
    site_list_in_regions,
)
from agency.models import StaffAction, StaffInvitation
from exchanges.models import Agreement, Contact, Delivery
from matching.models import Listing


def agency_list_for_staff(*, user: User) -> QuerySet[Agency]:
    """The agencies the user works for, with their regions."""
    return agency_list_for_user(user=user).prefetch_related("regions")


def agency_for_staff(*, user: User, agency_id: str | int | None = None) -> Agency | None:
    """The agency the user acts for: the one asked for if the user works there, else the
    first; None for anyone who is not agency staff."""
    agencies = list(agency_list_for_staff(user=user))
    if not agencies:
        return None
    return next((a for a in agencies if str(a.pk) == str(agency_id)), agencies[0])


def region_list_for_agency(*, agency: Agency) -> QuerySet[Region]:
    return agency.regions.all()


# --- staff, firms and the region's exchanges (FIRMS area) --------------------------------


def staff_role(*, user: User, agency: Agency) -> str | None:
    """The user's role at the agency ('reviewer', 'manager') or None."""
    if not user.is_authenticated:
        return None
    return (AgencyMembership.objects.filter(user=user, agency=agency)
            .values_list("role", flat=True).first())


def is_manager(*, user: User, agency: Agency) -> bool:
    return staff_role(user=user, agency=agency) == AgencyMembership.Role.MANAGER


def staff_list_for_agency(*, agency: Agency) -> QuerySet[AgencyMembership]:
    return (AgencyMembership.objects.filter(agency=agency).select_related("user")
            .order_by("user__full_name", "user__email"))


def staff_invitation_list_open(*, agency: Agency) -> QuerySet[StaffInvitation]:
    """Invitations neither accepted nor revoked (expired ones included, marked so)."""
    return (StaffInvitation.objects.filter(agency=agency, accepted_at__isnull=True,
                                           revoked_at__isnull=True)
            .select_related("invited_by"))


def staff_invitation_for_token(*, token: str) -> StaffInvitation | None:
    return (StaffInvitation.objects.select_related("agency", "invited_by")
            .filter(token_hash=StaffInvitation.hash_token(token)).first())


def staff_action_list(*, agency: Agency, user_id: int | str | None = None,
                      kind: str = "") -> QuerySet[StaffAction]:
    """What the agency's staff did, newest first."""
    actions = StaffAction.objects.filter(agency=agency).select_related(
        "user", "company", "listing", "region")
    if user_id:
        actions = actions.filter(user_id=user_id)
    if kind:
        actions = actions.filter(kind=kind)
    return actions


def firm_list_for_agency(*, agency: Agency, search: str = "", sector: str = "",
                         verified: str = "") -> QuerySet[Company]:
    """The firms with a site in the agency's regions, with their site and listing counts.

    ``sector`` is a NACE prefix (division "24" or class "24.10"); ``verified`` is "yes"
    or "no" (anything else: both).
    """
    regions = region_list_for_agency(agency=agency)
    firms = company_list_in_regions(regions=regions)
    if search:
        firms = firms.filter(Q(name__icontains=search) | Q(sites__city__icontains=search))
    if sector:
        firms = firms.filter(nace_code__startswith=sector)
    if verified in ("yes", "no"):
        firms = firms.filter(verified=verified == "yes")
    inside = site_list_in_regions(regions=regions)
    return (
        Company.objects.filter(pk__in=firms.values("pk"))
        .annotate(
            site_count=Count("sites", filter=Q(sites__in=inside), distinct=True),
            offer_count=Count("listings", filter=Q(listings__kind="offer",
                                                   listings__status="active"), distinct=True),
            want_count=Count("listings", filter=Q(listings__kind="want",
                                                  listings__status="active"), distinct=True),
        )
        .select_related("verified_by")
        .order_by("name", "pk")
    )


def firm_get_for_agency(*, agency: Agency, pk: int | str) -> Company | None:
    """A firm of the agency's regions, or None (outside them: not found)."""
    return firm_list_for_agency(agency=agency).filter(pk=pk).first()


def listing_list_for_agency(*, agency: Agency, company: Company | None = None
                            ) -> QuerySet[Listing]:
    """Listings at sites in the agency's regions (a firm's sites elsewhere stay out)."""
    listings = Listing.objects.filter(
        in_regions_q(regions=region_list_for_agency(agency=agency), site_path="site"))
    if company is not None:
        listings = listings.filter(company=company)
    return listings.select_related("company", "site").order_by("-updated_at", "-id")


def _pair_in_regions(agency: Agency, prefix: str) -> Q:
    # A pair is the agency's when either listing's site lies in one of its regions: a
    # match across two regions belongs to both agencies.
    regions = region_list_for_agency(agency=agency)
    return (in_regions_q(regions=regions, site_path=f"{prefix}offer__site")
            | in_regions_q(regions=regions, site_path=f"{prefix}want__site"))


def contact_list_for_agency(*, agency: Agency, company: Company | None = None
                            ) -> QuerySet[Contact]:
    """Contacts about a pair with a site in the agency's regions (parties and stage only:
    callers never show their messages or attachments)."""
    contacts = Contact.objects.filter(_pair_in_regions(agency, ""))
    if company is not None:
        contacts = contacts.filter(Q(requester=company) | Q(recipient=company))
    return contacts.select_related(
        "requester", "recipient", "offer", "want", "introduced_by").order_by("-updated_at", "-id")


def agreement_list_for_agency(*, agency: Agency, company: Company | None = None
                              ) -> QuerySet[Agreement]:
    """Agreements of the region's contacts (state only, never terms or prices)."""
    agreements = Agreement.objects.filter(_pair_in_regions(agency, "contact__"))
    if company is not None:
        agreements = agreements.filter(
            Q(contact__requester=company) | Q(contact__recipient=company))
    return agreements.select_related(
        "contact__requester", "contact__recipient", "contact__offer", "contact__want",
    ).order_by("-updated_at", "-id")


def delivery_list_for_agency(*, agency: Agency, company: Company | None = None
                             ) -> QuerySet[Delivery]:
    """Deliveries under the region's agreements."""
    deliveries = Delivery.objects.filter(_pair_in_regions(agency, "agreement__contact__"))
    if company is not None:
        deliveries = deliveries.filter(
            Q(agreement__contact__requester=company) | Q(agreement__contact__recipient=company))
    return deliveries.select_related(
        "company", "agreement__contact__requester", "agreement__contact__recipient",
        "agreement__contact__offer",
    ).order_by("-date", "-id")
