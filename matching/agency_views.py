"""Pages for regional agency staff: the matches in their regions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import agency_list_for_user
from matching.selectors import match_list_for_agency


@login_required
def agency_matches(request: HttpRequest) -> HttpResponse:
    """The region's matches, best first, searchable and paginated."""
    agencies = list(agency_list_for_user(user=request.user).prefetch_related("regions"))
    if not agencies:
        raise Http404
    chosen = request.GET.get("agency")
    agency = next((a for a in agencies if str(a.pk) == chosen), agencies[0])
    search = request.GET.get("q", "").strip()
    matches = match_list_for_agency(agency=agency, search=search)
    page = Paginator(matches, 25).get_page(request.GET.get("page"))
    context = {
        "agency": agency,
        "agencies": agencies,
        "regions": agency.regions.all(),
        "page": page,
        "search": search,
        "total": page.paginator.count,
    }
    return render(request, "matching/agency_matches.html", context)
