"""The agency's regions (managers shape them) and the region's activity page."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import add_service_errors
from accounts.models import Agency, Region, Site
from agency import selectors
from agency.forms import RegionForm
from agency.services import regions as services
from agency.views.common import staff_agency, staff_context

ACTIVITY_ROWS = 25


@login_required
def region_list(request: HttpRequest) -> HttpResponse:
    """The agency's regions: shape, size, and how many sites and firms each holds."""
    agency = staff_agency(request)
    regions = selectors.region_list_for_agency(agency=agency).prefetch_related("sites")
    rows = [{"region": r, "sites": r.sites.count(),
             "firms": r.sites.values("company").distinct().count()} for r in regions]
    return render(request, "agency/regions.html", {**staff_context(request, agency),
                                                   "rows": rows})


def _initial(region: Region) -> dict:
    towns = "\n".join(f"{t['name']}: {t['latitude']:.4f}, {t['longitude']:.4f}"
                      for t in region.towns or [])
    return {
        "name": region.name, "country": region.country,
        "shape": "polygon" if region.shape == "polygon" else "towns",
        "towns": towns, "radius_km": region.radius_km,
        "boundary": json.dumps(region.boundary) if region.boundary else "",
    }


def _shape(form: RegionForm) -> services.Shape:
    """The form's shape, located and parsed; ValidationError keyed by field."""
    data = form.cleaned_data
    if data["shape"] == "polygon":
        return services.Shape(kind="polygon",
                              boundary=services.boundary_parse(text=data["boundary"]))
    towns = services.towns_locate(text=data["towns"], country=data["country"])
    return services.Shape(kind="towns", towns=tuple(towns), radius_km=data["radius_km"])


def _region_or_404(agency: Agency, pk: int) -> Region:
    region = selectors.region_list_for_agency(agency=agency).filter(pk=pk).first()
    if region is None:
        raise Http404
    return region


@login_required
@require_http_methods(["GET", "POST"])
def region_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or reshape a region; "Preview" counts the sites and firms it would hold
    without saving. Reviewers see the page read-only; only managers may save."""
    agency = staff_agency(request)
    region = _region_or_404(agency, pk) if pk is not None else None
    context = staff_context(request, agency)
    if region is None and not context["is_manager"]:
        raise PermissionDenied(_("Only a manager of the agency can add regions."))
    initial = _initial(region) if region else {"country": "FI", "shape": "towns",
                                               "radius_km": 25}
    form = RegionForm(request.POST or None, request.FILES or None, initial=initial)
    preview = None
    located: list = []
    if request.method == "POST":
        if not context["is_manager"]:
            raise PermissionDenied(_("Only a manager of the agency can change its regions."))
        if form.is_valid():
            try:
                shape = _shape(form)
                located = list(shape.towns)
                if "preview" in request.POST:
                    preview = services.region_preview(shape=shape,
                                                      country=form.cleaned_data["country"])
                else:
                    saved = services.region_save(
                        agency=agency, user=request.user, region=region,
                        name=form.cleaned_data["name"], country=form.cleaned_data["country"],
                        shape=shape)
                    messages.success(request, _("Region %(name)s saved; it holds %(n)d sites.")
                                     % {"name": saved.name, "n": saved.sites.count()})
                    return redirect(f"{_regions_url()}?agency={agency.pk}")
            except ValidationError as exc:
                add_service_errors(form, exc, field_map={"shape": "shape"})
    return render(request, "agency/region_form.html", {
        **context, "region": region, "form": form, "preview": preview,
        "map_data": {**_map_data(agency), "towns": located},
        "tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    })


MAP_SITES = 3000


def _map_data(agency: Agency) -> dict:
    """Sites of the agency's regions, as dots to draw a boundary around (coordinates
    rounded to about 100 m: the drawing needs no more)."""
    sites = (Site.objects.filter(regions__in=selectors.region_list_for_agency(agency=agency))
             .distinct().values_list("latitude", "longitude")[:MAP_SITES])
    return {"sites": [[round(lat, 3), round(lon, 3)] for lat, lon in sites]}


def _regions_url() -> str:
    from django.urls import reverse

    return reverse("agency:regions")


@login_required
def region_activity(request: HttpRequest) -> HttpResponse:
    """Contacts, agreements and deliveries of the agency's regions: parties and stage only
    (never messages, attachments, terms or prices)."""
    agency = staff_agency(request)
    contacts = Paginator(selectors.contact_list_for_agency(agency=agency), ACTIVITY_ROWS)
    agreements = Paginator(selectors.agreement_list_for_agency(agency=agency), ACTIVITY_ROWS)
    deliveries = Paginator(selectors.delivery_list_for_agency(agency=agency), ACTIVITY_ROWS)
    return render(request, "agency/region_activity.html", {
        **staff_context(request, agency),
        "contacts": contacts.get_page(request.GET.get("contacts")),
        "agreements": agreements.get_page(request.GET.get("agreements")),
        "deliveries": deliveries.get_page(request.GET.get("deliveries")),
    })
