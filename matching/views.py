"""Portal pages: the dashboard, listings and their matches. Services write, selectors read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import add_service_errors
from accounts.models import Company
from accounts.selectors import site_list_for_company
from accounts.views import company_required
from matching import authorship, catalogue, reviews, selectors, services, suggestions
from matching.engine import UNITS
from matching.forms import (
    EWC_DATALIST_ID,
    DashboardFilterForm,
    DismissForm,
    ListingForm,
    StatusForm,
    ewc_options,
)
from matching.models import Listing, Match
from symbiosis.freshness import cached_page

LISTINGS_PER_PAGE = 20
MATCHES_PER_PAGE = 10
MATCHES_INLINE = 3

# Labels of the score components the engine reports, in the order pages show them (stored
# JSON does not keep key order on PostgreSQL); unknown ones come last, humanised.
COMPONENT_LABELS = {
    "material": gettext_lazy("Material"),
    "ewc": gettext_lazy("Waste code"),
    "category": gettext_lazy("Category"),
    "text": gettext_lazy("Description match"),
    "distance": gettext_lazy("Distance"),
    "quantity": gettext_lazy("Quantity"),
    "timing": gettext_lazy("Timing"),
    "quality": gettext_lazy("Quality"),
}

# Status changes a firm can make from each status, as (target, button label).
STATUS_ACTIONS = {
    Listing.Status.DRAFT: [(Listing.Status.ACTIVE, gettext_lazy("Publish"))],
    Listing.Status.ACTIVE: [
        (Listing.Status.PAUSED, gettext_lazy("Pause")),
        (Listing.Status.CLOSED, gettext_lazy("Close")),
    ],
    Listing.Status.PAUSED: [
        (Listing.Status.ACTIVE, gettext_lazy("Reactivate")),
        (Listing.Status.CLOSED, gettext_lazy("Close")),
    ],
    Listing.Status.CLOSED: [(Listing.Status.ACTIVE, gettext_lazy("Reactivate"))],
}


@dataclass(frozen=True)
class Component:
    label: str
    percent: int


@dataclass(frozen=True)
class MatchRow:
    """A match as a page shows it: the counterpart is anonymised by the selector."""

    match: Match
    counterpart: selectors.CounterpartView
    percent: int
    components: list[Component]
    dismiss_form: DismissForm | None = None
    # Agencies that reviewed (approved or introduced) the pair: advice, shown as a badge.
    reviewed_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListingRow:
    listing: Listing
    quantity: str
    matches: list[MatchRow]
    match_count: int


def _percent(value: float) -> int:
    return max(0, min(100, round(float(value) * 100)))


def _component_label(key: str) -> str:
    return str(COMPONENT_LABELS.get(key, key.replace("_", " ").capitalize()))


def _match_rows(matches: list[Match], viewer: Company, *, dismissable: bool = False
                ) -> list[MatchRow]:
    """Rows for a page of matches; every figure shown comes from the coarsened counterpart
    view (a band, rounded scores), never from the match's exact values."""
    counterparts = selectors.counterpart_list(matches=matches, viewer=viewer)
    reviewed = reviews.reviewed_by((m.offer_id, m.want_id) for m in matches)
    order = list(COMPONENT_LABELS)
    rows = []
    for match in matches:
        counterpart = counterparts[match.pk]
        numeric = counterpart.components
        keys = sorted(numeric, key=lambda k: (order.index(k) if k in order else len(order), k))
        rows.append(MatchRow(
            match=match,
            counterpart=counterpart,
            percent=_percent(counterpart.score or 0.0),
            components=[Component(label=_component_label(k), percent=_percent(numeric[k]))
                        for k in keys],
            # One form per match, with its own ids, so the labels point at the right inputs.
            dismiss_form=DismissForm(auto_id=f"dismiss-{match.pk}-%s") if dismissable else None,
            reviewed_by=reviewed.get((match.offer_id, match.want_id), ()),
        ))
    return rows


def _quantity_text(listing: Listing) -> str:
    if listing.quantity is None:
        return ""
    amount = Decimal(listing.quantity).normalize()
    return _("%(amount)s %(unit)s, %(frequency)s") % {
        "amount": f"{amount:,f}",
        "unit": UNITS[listing.unit][2] if listing.unit in UNITS else listing.unit,
        "frequency": listing.get_frequency_display().lower(),
    }


def _listing_or_404(company: Company, pk: int) -> Listing:
    listing = selectors.listing_get_for_company(company=company, pk=pk)
    if listing is None:
        raise Http404(_("No such listing."))
    return listing


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


@company_required
@cached_page
def dashboard(request: HttpRequest, *, company: Company) -> HttpResponse:
    """The company's listings, each with its best few matches."""
    filters = DashboardFilterForm(request.GET or None)
    criteria = {"search": "", "status": "", "kind": ""}
    if filters.is_valid():
        criteria = {
            "search": filters.cleaned_data["q"].strip(),
            "status": filters.cleaned_data["status"],
            "kind": filters.cleaned_data["kind"],
        }
    listings = selectors.listing_with_match_count(
        selectors.listing_list_for_company(company=company, **criteria), viewer=company
    )
    page = Paginator(listings, LISTINGS_PER_PAGE).get_page(request.GET.get("page"))
    # A fixed number of queries for the whole page, however many listings it shows.
    top = selectors.match_top_for_listings(
        listings=list(page), viewer=company, top=MATCHES_INLINE
    )
    # One read of the counterparts for the whole page keeps the query count fixed.
    shown = _match_rows([m for listing in page for m in top[listing.pk]], company)
    by_match = {row.match.pk: row for row in shown}
    rows = [
        ListingRow(
            listing=listing,
            quantity=_quantity_text(listing),
            matches=[by_match[match.pk] for match in top[listing.pk]],
            match_count=listing.match_count,
        )
        for listing in page
    ]
    all_listings = selectors.listing_list_for_company(company=company)
    context = {
        "filters": filters,
        "filtered": any(criteria.values()),
        "page": page,
        "rows": rows,
        "has_listings": all_listings.exists(),
        "has_sites": site_list_for_company(company=company).exists(),
        "offer_count": all_listings.filter(kind=Listing.Kind.OFFER).count(),
        "want_count": all_listings.filter(kind=Listing.Kind.WANT).count(),
        "match_count": selectors.match_list_for_company(company=company).count(),
    }
    return render(request, "matching/dashboard.html", context)


def _suggestion_context(text: str, company: Company) -> dict:
    """EWC advice for a text, ready for ``matching/_ewc_suggestions.html``; the company's
    NACE sector tells the suggester which industry produced the waste."""
    advice = suggestions.ewc_advice(text=text, nace=company.nace_code or "")
    rows = [
        {
            "code": s.code,
            "display": s.display,
            "value": s.display.rstrip("*"),
            "description": s.description,
            "sub_chapter": s.sub_chapter,
            "likely_hazardous": s.likely_hazardous,
            "hint": suggestions.hazard_hint(s),
            "mirror_partner": s.mirror_partner,
            "why": s.why,
        }
        for s in advice.suggestions
    ]
    return {
        "suggestions": rows,
        "suggest_text": text,
        "not_waste": suggestions.not_waste_message(advice),
        "mirror_question": advice.mirror_question,
    }


def _listing_text(form: ListingForm) -> str:
    """Title and description as typed (bound data) or as saved (initial)."""
    source = form.data if form.is_bound else form.initial
    parts = [str(source.get("title") or ""), str(source.get("description") or "")]
    return ". ".join(part.strip() for part in parts if part.strip())


def _form_context(form: ListingForm, company: Company, listing: Listing | None) -> dict:
    text = _listing_text(form)
    return {
        "form": form,
        "listing": listing,
        "has_sites": site_list_for_company(company=company).exists(),
        "ewc_options": ewc_options(),
        "ewc_datalist_id": EWC_DATALIST_ID,
        **_suggestion_context(text, company),
    }


def _wants_suggestions(request: HttpRequest) -> bool:
    """The form was posted by a suggestion button (the no-JavaScript path), not by Save."""
    return request.method == "POST" and ("suggest_ewc" in request.POST or "use_ewc" in request.POST)


def _redisplayed_form(request: HttpRequest, *, company: Company, editing: bool,
                      initial: dict) -> ListingForm:
    """The posted values as an unbound form (no errors shown yet), with a chosen code set."""
    values = dict(initial)
    for name, field in ListingForm.base_fields.items():
        if isinstance(field, forms.BooleanField):
            values[name] = name in request.POST
        elif name in request.POST:
            values[name] = request.POST.get(name)
    if "use_ewc" in request.POST:
        values["ewc_code"] = request.POST["use_ewc"]
    return ListingForm(company=company, editing=editing, initial=values)


@company_required
@require_http_methods(["GET", "POST"])
def listing_create(request: HttpRequest, *, company: Company) -> HttpResponse:
    initial = {}
    if request.GET.get("kind") in Listing.Kind.values:
        initial["kind"] = request.GET["kind"]
    if _wants_suggestions(request):
        form = _redisplayed_form(request, company=company, editing=False, initial=initial)
        return render(request, "matching/listing_form.html", _form_context(form, company, None))
    form = ListingForm(request.POST or None, company=company, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(
                company=company, user=request.user, data=form.service_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("“%(title)s” is listed. Matches appear here as soon as they are found.")
                % {"title": listing.title},
            )
            return redirect("matching:listing_detail", pk=listing.pk)
    return render(request, "matching/listing_form.html", _form_context(form, company, None))


@company_required
@require_http_methods(["GET", "POST"])
def listing_edit(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    listing = _listing_or_404(company, pk)
    if _wants_suggestions(request):
        form = _redisplayed_form(
            request, company=company, editing=True, initial=ListingForm.initial_for(listing)
        )
        return render(request, "matching/listing_form.html", _form_context(form, company, listing))
    form = ListingForm(
        request.POST or None, company=company, editing=True,
        initial=ListingForm.initial_for(listing),
    )
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_update(listing=listing, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved; matches are being updated."))
            return redirect("matching:listing_detail", pk=listing.pk)
    return render(request, "matching/listing_form.html", _form_context(form, company, listing))


@company_required
@require_GET
def ewc_suggest(request: HttpRequest, *, company: Company) -> HttpResponse:
    """The suggestion box of the listing form as an HTML fragment (fetched while typing)."""
    text = request.GET.get("text", "").strip()[: suggestions.MAX_TEXT_LENGTH]
    context = _suggestion_context(text, company)
    return render(request, "matching/_ewc_suggestions.html", context)


@company_required
@cached_page
def listing_detail(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    """One listing with all its details and every match, best first."""
    listing = _listing_or_404(company, pk)
    matches = selectors.match_list_for_listing(listing=listing, viewer=company)
    page = Paginator(matches, MATCHES_PER_PAGE).get_page(request.GET.get("page"))
    kb = catalogue.knowledge()
    context = {
        "listing": listing,
        "quantity": _quantity_text(listing),
        "category": kb.category_name(listing.category) if listing.category else "",
        "ewc": catalogue.ewc_display(listing.ewc_code),
        "ewc_description": kb.ewc_description(listing.ewc_code),
        "page": page,
        "rows": _match_rows(list(page), company, dismissable=True),
        "quality_note": selectors.match_quality_note(listing=listing,
                                                     count=page.paginator.count),
        "status_actions": STATUS_ACTIONS.get(listing.status, []),
        "is_energy": listing.physical_state == Listing.PhysicalState.ENERGY,
        "on_behalf": authorship.on_behalf_entries(listing_id=listing.pk),
    }
    return render(request, "matching/listing_detail.html", context)


@company_required
@require_POST
def listing_status(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    listing = _listing_or_404(company, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
    else:
        try:
            listing = services.listing_set_status(
                listing=listing, status=form.cleaned_data["status"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("“%(title)s” is now %(status)s.")
                % {"title": listing.title, "status": listing.get_status_display().lower()},
            )
    return redirect(_back(request, reverse("matching:listing_detail", args=[listing.pk])))


@company_required
@require_POST
def match_dismiss(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    """Hide a match from this company for good; the reason helps improve the matching."""
    match = selectors.match_get_for_company(company=company, pk=pk)
    if match is None:
        raise Http404(_("No such match."))
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason to hide this match."))
    else:
        try:
            services.match_dismiss(
                match=match, company=company, user=request.user,
                reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Match hidden. Thank you — this helps us suggest better matches.")
            )
    return redirect(_back(request, reverse("matching:dashboard")))
