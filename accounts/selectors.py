"""Reads for accounts."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from accounts.models import (
    Agency,
    AgencyConsent,
    Company,
    Invitation,
    Membership,
    Region,
    Site,
    User,
)


def company_for_user(*, user: User) -> Company | None:
    """The company a user acts for (the first one they joined), or None."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(user=user).select_related("company").order_by("created_at", "id")
    ).first()
    return membership.company if membership else None


def site_list_for_company(*, company: Company) -> QuerySet[Site]:
    return Site.objects.filter(company=company).order_by("name", "id")


def agency_list_for_user(*, user: User) -> QuerySet[Agency]:
    if not user.is_authenticated:
        return Agency.objects.none()
    return Agency.objects.filter(memberships__user=user).distinct()


def membership_role_for(*, user: User, company: Company) -> str | None:
    """The user's role in the company ('owner', 'member') or None."""
    return (
        Membership.objects.filter(user=user, company=company)
        .values_list("role", flat=True)
        .first()
    )


def membership_list_for_company(*, company: Company) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(company=company).select_related("user").order_by("created_at")
    )


def invitation_list_open_for_company(*, company: Company) -> QuerySet[Invitation]:
    """Invitations neither accepted nor revoked (expired ones included, marked so)."""
    return (
        Invitation.objects.filter(company=company, accepted_at__isnull=True,
                                  revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at", "-id")
    )


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation a link's token names, whatever its state, or None."""
    return (
        Invitation.objects.select_related("company", "invited_by")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )


def region_list_for_agency(*, agency: Agency) -> QuerySet[Region]:
    return agency.regions.all()


def region_list_for_user(*, user: User) -> QuerySet[Region]:
    """The regions of every agency the user works for."""
    if user is None or not user.is_authenticated:
        return Region.objects.none()
    return Region.objects.filter(agencies__members=user).distinct()


def site_list_in_regions(*, regions: Iterable[Region] | QuerySet[Region]) -> QuerySet[Site]:
    """Sites inside any of the regions (``Site.regions``), for ``pk__in`` subqueries."""
    return Site.objects.filter(regions__in=regions).values("pk")


def in_regions_q(*, regions: Iterable[Region] | QuerySet[Region], site_path: str) -> Q:
    """Rows whose site at ``site_path`` (e.g. ``offer__site``) lies in one of the regions."""
    return Q(**{f"{site_path}__in": site_list_in_regions(regions=regions)})


def company_list_in_regions(*, regions: Iterable[Region] | QuerySet[Region]) -> QuerySet[Company]:
    """Firms with at least one site in one of the regions."""
    return Company.objects.filter(sites__in=site_list_in_regions(regions=regions)).distinct()


def site_region_ids(*, site: Site) -> set[int]:
    return set(site.regions.values_list("pk", flat=True))


def agency_list_for_company(*, company: Company) -> QuerySet[Agency]:
    """Agencies whose regions hold at least one of the firm's sites."""
    return Agency.objects.filter(
        regions__sites__company=company).distinct().order_by("name")


def agency_consent_open(*, company: Company, agency: Agency) -> AgencyConsent | None:
    """The firm's open consent for the agency to edit its listings, or None."""
    return AgencyConsent.objects.filter(
        company=company, agency=agency, revoked_at__isnull=True).first()


def agency_consent_list_for_company(*, company: Company) -> QuerySet[AgencyConsent]:
    """Every consent the firm gave, open and revoked, newest first."""
    return AgencyConsent.objects.filter(company=company).select_related(
        "agency", "granted_by", "revoked_by")
