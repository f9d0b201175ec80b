"""The region's firms: list, a firm's page, verification, listings kept on a firm's behalf."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import add_service_errors
from accounts.models import Agency, Company
from accounts.selectors import agency_consent_open, site_list_in_regions
from agency import selectors
from agency.models import StaffAction
from agency.services import firms as services
from agency.views.common import staff_agency, staff_context
from matching.forms import EWC_DATALIST_ID, ListingForm, ewc_options
from matching.models import Listing
from symbiosis.reference import nace_title

FIRMS_PER_PAGE = 25


@login_required
def firm_list(request: HttpRequest) -> HttpResponse:
    """The firms with a site in the agency's regions: search, sector, verified filter."""
    agency = staff_agency(request)
    search = request.GET.get("q", "").strip()[:100]
    sector = request.GET.get("sector", "").strip()[:5]
    verified = request.GET.get("verified", "")
    firms = selectors.firm_list_for_agency(agency=agency, search=search, sector=sector,
                                           verified=verified)
    page = Paginator(firms, FIRMS_PER_PAGE).get_page(request.GET.get("page"))
    for firm in page.object_list:
        firm.sector_title = nace_title(firm.nace_code) if firm.nace_code else ""
    return render(request, "agency/firms.html", {
        **staff_context(request, agency), "page": page, "total": page.paginator.count,
        "search": search, "sector": sector, "verified": verified,
    })


def _firm_or_404(agency: Agency, pk: int) -> Company:
    firm = selectors.firm_get_for_agency(agency=agency, pk=pk)
    if firm is None:
        raise Http404
    return firm


@login_required
def firm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One firm as its region's staff see it: sites, listings, contacts and agreements
    (parties and stage, never messages or prices), verification and consent."""
    agency = staff_agency(request)
    firm = _firm_or_404(agency, pk)
    inside = set(site_list_in_regions(regions=agency.regions.all())
                 .filter(company=firm).values_list("pk", flat=True))
    listings = list(selectors.listing_list_for_agency(agency=agency, company=firm))
    on_behalf = {a.listing_id: a for a in StaffAction.objects.filter(
        listing__in=listings, kind__in=[StaffAction.Kind.LISTING_CREATED,
                                        StaffAction.Kind.LISTING_UPDATED],
    ).select_related("agency", "user").order_by("at")}
    for listing in listings:
        listing.agency_action = on_behalf.get(listing.pk)
    return render(request, "agency/firm_detail.html", {
        **staff_context(request, agency),
        "firm": firm,
        "sector": nace_title(firm.nace_code) if firm.nace_code else "",
        "sites": [(s, s.pk in inside) for s in firm.sites.all()],
        "listings": listings,
        "contacts": selectors.contact_list_for_agency(agency=agency, company=firm)[:20],
        "agreements": selectors.agreement_list_for_agency(agency=agency, company=firm)[:20],
        "consent": agency_consent_open(company=firm, agency=agency),
        "actions": selectors.staff_action_list(agency=agency).filter(company=firm)[:10],
    })


@login_required
@require_POST
def firm_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Verify the firm (``action=verify``) or withdraw the verification."""
    agency = staff_agency(request)
    firm = _firm_or_404(agency, pk)
    try:
        if request.POST.get("action") == "unverify":
            services.firm_unverify(agency=agency, user=request.user, company=firm)
            messages.success(request, _("%(firm)s is no longer marked verified.")
                             % {"firm": firm.name})
        else:
            services.firm_verify(agency=agency, user=request.user, company=firm)
            messages.success(request, _("%(firm)s is verified by %(agency)s; other firms see "
                                        "the badge.") % {"firm": firm.name, "agency": agency.name})
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect(f"{_firm_url(firm)}?agency={agency.pk}")


def _firm_url(firm: Company) -> str:
    from django.urls import reverse

    return reverse("agency:firm_detail", args=[firm.pk])


def _listing_form(request: HttpRequest, agency: Agency, firm: Company,
                  listing: Listing | None) -> ListingForm:
    initial = ListingForm.initial_for(listing) if listing else {}
    form = ListingForm(request.POST or None, company=firm, editing=listing is not None,
                       initial=initial)
    # Staff place listings only at the firm's sites inside their regions.
    form.fields["site"].queryset = form.fields["site"].queryset.filter(
        pk__in=site_list_in_regions(regions=agency.regions.all()))
    return form


def _require_consent_page(agency: Agency, firm: Company) -> None:
    if agency_consent_open(company=firm, agency=agency) is None:
        raise PermissionDenied(
            _("%(firm)s has not agreed that %(agency)s edits its listings.")
            % {"firm": firm.name, "agency": agency.name})


@login_required
@require_http_methods(["GET", "POST"])
def firm_listing_form(request: HttpRequest, pk: int, listing_pk: int | None = None
                      ) -> HttpResponse:
    """Enter (no ``listing_pk``) or edit a listing for a firm that consented."""
    agency = staff_agency(request)
    firm = _firm_or_404(agency, pk)
    _require_consent_page(agency, firm)
    listing = None
    if listing_pk is not None:
        listing = selectors.listing_list_for_agency(agency=agency, company=firm).filter(
            pk=listing_pk).first()
        if listing is None:
            raise Http404
    form = _listing_form(request, agency, firm, listing)
    if request.method == "POST" and form.is_valid():
        try:
            if listing is None:
                saved = services.listing_create_on_behalf(
                    agency=agency, user=request.user, company=firm, data=form.service_data())
            else:
                saved = services.listing_update_on_behalf(
                    agency=agency, user=request.user, listing=listing, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect(_firm_url(firm))
        else:
            messages.success(request, _("“%(title)s” saved for %(firm)s, recorded as entered by "
                                        "%(agency)s on the firm's behalf.")
                             % {"title": saved.title, "firm": firm.name, "agency": agency.name})
            return redirect(f"{_firm_url(firm)}?agency={agency.pk}")
    return render(request, "agency/firm_listing_form.html", {
        **staff_context(request, agency), "firm": firm, "listing": listing, "form": form,
        "ewc_options": ewc_options(), "ewc_datalist_id": EWC_DATALIST_ID,
        "has_sites": form.fields["site"].queryset.exists(),
    })
