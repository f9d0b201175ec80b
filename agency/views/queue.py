"""The review queue (the agency's home, ``/agency/``) and the pair page for staff.

The queue lists the region's matches with the agency's own review state, filtered and
sorted; ticked rows take a bulk action. The pair page (``/agency/pairs/OFFER/WANT/``)
shows both listings and firms, the score breakdown, the two sites on a small map (inline
SVG: it needs no tiles), the decision history, notes and assignee, and the actions.
Pages name the pair, not a match row, so they survive every rematch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import Agency
from agency import review_forms as forms
from agency import selectors, services
from agency.review_forms import STATUS_LABELS
from exchanges import selectors as exchange_selectors
from matching import catalogue
from matching.disclosure import components_off
from matching.engine import haversine_km
from matching.models import Listing, Match

PER_PAGE = 25


def _agency(request: HttpRequest) -> Agency:
    """The agency the user acts for (``agency`` in the query or form); 404 for others."""
    wanted = request.POST.get("agency") or request.GET.get("agency")
    agency = selectors.agency_for_staff(user=request.user, agency_id=wanted)
    if agency is None:
        raise Http404
    return agency


def _pair_or_404(agency: Agency, offer: int, want: int) -> tuple[Listing, Listing]:
    pair = selectors.pair_get_for_agency(agency=agency, offer_id=offer, want_id=want)
    if pair is None:
        raise Http404(_("No such pair in your regions."))
    return pair


def _pair_url(agency: Agency, offer_id: int, want_id: int) -> str:
    url = reverse("agency:pair", args=[offer_id, want_id])
    return f"{url}?agency={agency.pk}"


def _run(request: HttpRequest, call: Callable[[], object], done: str) -> object | None:
    """Call a service; its refusal becomes an error message on the next page."""
    try:
        result = call()
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("That is not allowed."))
        return None
    messages.success(request, done)
    return result


@dataclass(frozen=True)
class QueueRow:
    match: Match
    status: str
    status_label: str
    impact_t: float | None
    assignee: str
    pair_url: str


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The region's matches with the agency's review state, filtered and sorted."""
    agency = _agency(request)
    staff = list(selectors.staff_list_for_agency(agency=agency))
    names = {u.pk: u.get_full_name() or u.email for u in staff}
    form = forms.QueueFilterForm(request.GET, staff=staff)
    filters = form.filters()
    ordered = selectors.review_queue_ordered(agency=agency, filters=filters)
    page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for match in page:
        status = selectors.status_of(match)
        rows.append(QueueRow(
            match=match, status=status, status_label=str(STATUS_LABELS[status]),
            impact_t=selectors.estimated_impact_t(match.offer, match.want),
            assignee=names.get(match.assignee_id, ""),
            pair_url=_pair_url(agency, match.offer_id, match.want_id),
        ))
    context = {
        "agency": agency,
        "agencies": list(selectors.agency_list_for_staff(user=request.user)),
        "regions": selectors.region_list_for_agency(agency=agency),
        "form": form, "filters": filters, "page": page, "rows": rows,
        "total": page.paginator.count,
        "bulk_form": forms.BulkForm(staff=staff, auto_id="bulk-%s"),
        "filtered": any(v for k, v in request.GET.items() if k not in ("page", "agency",
                                                                        "sort")),
    }
    return render(request, "agency/queue.html", context)


@login_required
def match_redirect(request: HttpRequest, pk: int) -> HttpResponse:
    """A current match id (as the API and old links use) opens its pair's page."""
    agency = _agency(request)
    match = selectors.match_get_for_agency(agency=agency, pk=pk)
    if match is None:
        raise Http404(_("No such match in your regions."))
    return redirect(_pair_url(agency, match.offer_id, match.want_id))


@dataclass(frozen=True)
class SitePlot:
    """Two sites drawn on a small plane (equirectangular around their middle)."""

    width: int
    height: int
    offer_xy: tuple[float, float]
    want_xy: tuple[float, float]
    km: float
    label_xy: tuple[float, float]
    # Labels sit on the side of each point facing the middle, so none runs off the edge.
    offer_anchor: str = "start"
    want_anchor: str = "start"

    @property
    def offer_dx(self) -> int:
        return 10 if self.offer_anchor == "start" else -10

    @property
    def want_dx(self) -> int:
        return 10 if self.want_anchor == "start" else -10


def _site_plot(offer: Listing, want: Listing, width: int = 360, height: int = 220,
               pad: int = 48) -> SitePlot:
    a, b = offer.site, want.site
    mid = math.radians((a.latitude + b.latitude) / 2)
    points = [(lon * math.cos(mid), lat) for lat, lon in ((a.latitude, a.longitude),
                                                           (b.latitude, b.longitude))]
    span_x = abs(points[0][0] - points[1][0]) or 1e-9
    span_y = abs(points[0][1] - points[1][1]) or 1e-9
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    cx = (points[0][0] + points[1][0]) / 2
    cy = (points[0][1] + points[1][1]) / 2

    def xy(point):
        return (round(width / 2 + (point[0] - cx) * scale, 1),
                round(height / 2 - (point[1] - cy) * scale, 1))

    p, q = xy(points[0]), xy(points[1])

    def anchor(point) -> str:
        return "end" if point[0] > width / 2 else "start"

    # The distance sits 14 px off the middle of the line, at a right angle to it.
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    if ny > 0:  # always above the line
        nx, ny = -nx, -ny
    middle = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
    return SitePlot(width=width, height=height, offer_xy=p, want_xy=q,
                    km=haversine_km(a.latitude, a.longitude, b.latitude, b.longitude),
                    label_xy=(round(middle[0] + 14 * nx, 1), round(middle[1] + 14 * ny, 1)),
                    offer_anchor=anchor(p), want_anchor=anchor(q))


def _components(match: Match | None) -> list[tuple[str, float]]:
    if match is None:
        return []
    off = components_off()  # a switched-off component is no evidence either way
    return [(name, float(value)) for name, value in (match.components or {}).items()
            if isinstance(value, int | float) and name not in off]


def _map_data(offer: Listing, want: Listing) -> dict:
    """The two sites for the page's Leaflet map (the SVG drawing stays without script)."""
    a, b = offer.site, want.site
    km = haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)
    return {
        "offer": {"lat": a.latitude, "lon": a.longitude,
                  "label": f"{a.city or a.name} ({_('offer')})"},
        "want": {"lat": b.latitude, "lon": b.longitude,
                 "label": f"{b.city or b.name} ({_('want')})"},
        "km_text": f"{km:.1f} km",
    }


def _category_name(slug: str) -> str:
    return catalogue.knowledge().category_name(slug) if slug else ""


def _labels(offer: Listing, want: Listing) -> dict[str, str]:
    """Category names and printed EWC codes of both listings."""
    out = {}
    for side, listing in (("offer", offer), ("want", want)):
        out[f"{side}_category"] = _category_name(listing.category)
        out[f"{side}_ewc"] = catalogue.ewc_display(listing.ewc_code)
    return out


@login_required
def pair_detail(request: HttpRequest, offer: int, want: int) -> HttpResponse:
    agency = _agency(request)
    offer_listing, want_listing = _pair_or_404(agency, offer, want)
    staff = list(selectors.staff_list_for_agency(agency=agency))
    match = selectors.match_for_pair(offer=offer_listing, want=want_listing)
    review = selectors.pair_review(agency=agency, offer=offer_listing, want=want_listing)
    assignee = review.assignee
    impact = selectors.impact_basis(offer_listing, want_listing)
    context = {
        "agency": agency, "offer": offer_listing, "want": want_listing, "match": match,
        "components": _components(match), "review": review,
        "status_label": STATUS_LABELS[review.status],
        "impact": impact,
        "labels": _labels(offer_listing, want_listing),
        "impact_category": _category_name(impact.category) if impact else "",
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
        "map_data": _map_data(offer_listing, want_listing),
        "plot": _site_plot(offer_listing, want_listing),
        "contact": exchange_selectors.contact_open_for_pair(offer=offer_listing,
                                                            want=want_listing),
        "decision_form": forms.DecisionForm(),
        "note_form": forms.NoteForm(),
        "assign_form": forms.AssignForm(staff=staff, initial={
            "assigned_to": str(assignee.pk) if assignee else ""}),
        "introduce_form": forms.IntroduceForm(),
    }
    return render(request, "agency/match.html", context)


@login_required
@require_POST
def pair_action(request: HttpRequest, offer: int, want: int, action: str) -> HttpResponse:
    """approve / reject / hold (``decision``), ``note``, ``assign``, ``introduce``."""
    agency = _agency(request)
    offer_listing, want_listing = _pair_or_404(agency, offer, want)
    pair = {"agency": agency, "user": request.user, "offer": offer_listing,
            "want": want_listing}
    if action == "decision":
        form = forms.DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            _run(request, lambda: services.decision_record(
                **pair, decision=data["decision"], reason=data["reason"], text=data["note"]),
                 _("Decision recorded: %(d)s.") % {
                     "d": dict(forms.Decision.Verdict.choices)[data["decision"]].lower()})
        else:
            messages.error(request, _("Choose approve, reject or hold."))
    elif action == "note":
        form = forms.NoteForm(request.POST)
        if form.is_valid():
            _run(request, lambda: services.review_note_add(**pair,
                                                           text=form.cleaned_data["text"]),
                 _("Note added."))
        else:
            messages.error(request, _("Write the note first."))
    elif action == "assign":
        staff = list(selectors.staff_list_for_agency(agency=agency))
        form = forms.AssignForm(request.POST, staff=staff)
        if form.is_valid():
            person = selectors.staff_get_for_agency(agency=agency,
                                                    user_id=form.cleaned_data["assigned_to"])
            _run(request, lambda: services.review_assign(**pair, assigned_to=person),
                 _("Assigned to %(name)s.") % {
                     "name": (person.get_full_name() or person.email) if person
                     else _("nobody")})
        else:
            messages.error(request, _("Choose a member of the agency's staff."))
    elif action == "introduce":
        form = forms.IntroduceForm(request.POST)
        form.is_valid()
        _run(request, lambda: services.introduction_create(
            **pair, message=form.cleaned_data.get("message", "")),
             _("Introduced: both firms received a request naming %(agency)s.")
             % {"agency": agency.name})
    else:
        raise Http404
    return redirect(_pair_url(agency, offer, want))


def _parse_pairs(values: list[str]) -> list[tuple[int, int]]:
    pairs = []
    for value in values:
        offer, _sep, want = value.partition("-")
        if offer.isdigit() and want.isdigit():
            pairs.append((int(offer), int(want)))
    return pairs


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """One action on every ticked pair of the queue; each pair succeeds or fails alone."""
    agency = _agency(request)
    staff = list(selectors.staff_list_for_agency(agency=agency))
    form = forms.BulkForm(request.POST, staff=staff)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or f"{reverse('agency:matches')}?agency={agency.pk}"
    pairs = _parse_pairs(request.POST.getlist("pair"))
    if not pairs:
        messages.error(request, _("Tick at least one match first."))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the selected matches."))
        return redirect(back)
    data = form.cleaned_data
    resolved = [selectors.pair_get_for_agency(agency=agency, offer_id=o, want_id=w)
                for o, w in pairs]
    if data["action"] == "assign":
        person = selectors.staff_get_for_agency(agency=agency, user_id=data["assigned_to"])
        done = failed = 0
        for pair in resolved:
            if pair is None:
                failed += 1
                continue
            try:
                services.review_assign(agency=agency, user=request.user, offer=pair[0],
                                       want=pair[1], assigned_to=person)
                done += 1
            except (ValidationError, PermissionDenied):
                failed += 1
        errors = []
    else:
        items = [{"offer": p[0], "want": p[1]} if p else {"offer": None, "want": None}
                 for p in resolved]
        for item in items:
            item.update(decision=data["action"], reason=data["reason"])
        results = services.decision_bulk(agency=agency, user=request.user, items=items)
        done = sum(r.ok for r in results)
        failed = len(results) - done
        errors = sorted({m for r in results for ms in r.errors.values() for m in ms})
    if done:
        messages.success(request, ngettext("%(n)d match updated.", "%(n)d matches updated.",
                                           done) % {"n": done})
    if failed:
        messages.error(request, ngettext("%(n)d match not updated", "%(n)d matches not "
                                         "updated", failed) % {"n": failed}
                       + (": " + " ".join(errors) if errors else "."))
    return redirect(back)
