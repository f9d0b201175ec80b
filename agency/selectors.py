"""Reads for agency staff: which agency a user acts for, and what lies in its regions."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Agency, Region, User
from accounts.selectors import agency_list_for_user


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
