"""What every agency page needs: the agency the user acts for, or a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from accounts.models import Agency
from agency.selectors import agency_for_staff, agency_list_for_staff, staff_role


def staff_agency(request: HttpRequest) -> Agency:
    """The agency the request acts for (``?agency=`` among the user's); 404 for anyone who
    is not agency staff, so outsiders learn nothing about the pages."""
    if not request.user.is_authenticated:
        raise Http404
    wanted = request.POST.get("agency") or request.GET.get("agency")
    agency = agency_for_staff(user=request.user, agency_id=wanted)
    if agency is None:
        raise Http404
    return agency


def staff_context(request: HttpRequest, agency: Agency) -> dict:
    """Context of the agency sub-navigation (``agency/_nav.html``)."""
    role = staff_role(user=request.user, agency=agency)
    return {
        "agency": agency,
        "agencies": list(agency_list_for_staff(user=request.user)),
        "staff_role": role,
        "is_manager": role == "manager",
    }
