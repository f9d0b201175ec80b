"""Pages for regional agency staff."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from agency.selectors import agency_for_staff, agency_list_for_staff, region_list_for_agency
from matching.selectors import match_list_for_agency


@login_required
def matches(request: HttpRequest) -> HttpResponse:
    """The region's matches, best first, searchable and paginated."""
    agency = agency_for_staff(user=request.user, agency_id=request.GET.get("agency"))
    if agency is None:
        raise Http404
    search = request.GET.get("q", "").strip()
    page = Paginator(match_list_for_agency(agency=agency, search=search), 25).get_page(
        request.GET.get("page")
    )
    context = {
        "agency": agency,
        "agencies": list(agency_list_for_staff(user=request.user)),
        "regions": region_list_for_agency(agency=agency),
        "page": page,
        "search": search,
        "total": page.paginator.count,
    }
    return render(request, "agency/matches.html", context)
