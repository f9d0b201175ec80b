"""Reads behind the agency's dashboard, reports and impact API: a region's figures over a
period, all scoped to the regions the caller's agency covers.

Another app's rows come through its selectors (accounts, matching, exchanges); the
impact figures through ``agency.impact.accounting``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import Agency, Region
from accounts.selectors import company_list_in_regions, site_list_in_regions
from agency.impact.accounting import AgreementImpact, ImpactTotals, impact_list, impact_totals
from exchanges import selectors as exchanges_selectors
from matching import catalogue
from matching import selectors as matching_selectors


class PeriodError(ValueError):
    """A period that cannot be read (the message says why)."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    year: int | None

    @property
    def label(self) -> str:
        if self.year is not None:
            return str(self.year)
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    @property
    def slug(self) -> str:
        return str(self.year) if self.year is not None else f"{self.start}_{self.end}"


def period_from(*, year: str | int | None = None, start: str | None = None,
                end: str | None = None, today: dt.date | None = None) -> Period:
    """A calendar year (default: this one) or a date range ``start``–``end`` (ISO dates)."""
    if start or end:
        try:
            first = dt.date.fromisoformat(str(start)) if start else None
            last = dt.date.fromisoformat(str(end)) if end else None
        except ValueError as exc:
            raise PeriodError(_("Give dates as YYYY-MM-DD.")) from exc
        today = today or dt.date.today()
        first = first or today.replace(month=1, day=1)
        last = last or today
        if last < first:
            raise PeriodError(_("The end date must not be before the start."))
        return Period(start=first, end=last, year=None)
    if year in (None, ""):
        number = (today or dt.date.today()).year
    else:
        try:
            number = int(str(year))
        except ValueError as exc:
            raise PeriodError(_("Give the year as four digits, e.g. 2026.")) from exc
        if not 1990 <= number <= 2200:
            raise PeriodError(_("Give a year between 1990 and 2200."))
    return Period(start=dt.date(number, 1, 1), end=dt.date(number, 12, 31), year=number)


def regions_for(*, agency: Agency, region_id: str | int | None = None) -> list[Region] | None:
    """The agency's regions, or the one asked for; None when that one is not the agency's
    (callers answer 404: staff never see another agency's region)."""
    regions = list(agency.regions.order_by("name"))
    if region_id in (None, ""):
        return regions
    chosen = [r for r in regions if str(r.pk) == str(region_id)]
    return chosen or None


def _in_period(qs, field: str, period: Period):
    return qs.filter(**{f"{field}__date__gte": period.start, f"{field}__date__lte": period.end})


# --- the funnel from match to agreement -------------------------------------------------


def match_review_counts(*, agency: Agency, regions: list[Region], period: Period) -> dict:
    """Matches proposed, approved and introduced by ``agency`` in ``period``: the one
    place these are counted.

    proposed: current matches in the regions first proposed in the period; approved:
    pairs whose latest decision of this agency is "approve", made in the period;
    introduced: pairs this agency introduced in the period (each pair once).
    """
    from django.db.models import OuterRef, Subquery

    from accounts.selectors import in_regions_q
    from agency.models import Decision, Introduction

    proposed = _in_period(matching_selectors.match_list_in_regions(regions=regions),
                          "created_at", period).count()
    inside = (in_regions_q(regions=regions, site_path="offer__site")
              | in_regions_q(regions=regions, site_path="want__site"))
    latest = (Decision.objects.filter(agency=agency, offer=OuterRef("offer"),
                                      want=OuterRef("want"))
              .order_by("-decided_at", "-id").values("id")[:1])
    approved = _in_period(
        Decision.objects.filter(agency=agency, decision=Decision.Verdict.APPROVE)
        .filter(id=Subquery(latest)).filter(inside), "decided_at", period).count()
    introduced = (_in_period(Introduction.objects.filter(agency=agency).filter(inside),
                             "introduced_at", period)
                  .values("offer_id", "want_id").distinct().count())
    return {"proposed": proposed, "approved": approved, "introduced": introduced}


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int | None
    note: str = ""


def funnel(*, agency: Agency, regions: list[Region], period: Period) -> list[Stage]:
    """From match to agreement, each stage counted in the period."""
    review = match_review_counts(agency=agency, regions=regions, period=period)
    contacts = exchanges_selectors.contact_list_in_regions(regions=regions)
    agreements = exchanges_selectors.agreement_list_in_regions(regions=regions)
    return [
        Stage("proposed", _("Matches proposed"), review["proposed"],
              _("current matches first proposed in the period")),
        Stage("approved", _("Approved by the agency"), review["approved"],
              _("latest decision of this agency is approve")),
        Stage("introduced", _("Introduced by the agency"), review["introduced"],
              _("pairs this agency introduced")),
        Stage("requested", _("Contacts requested"),
              _in_period(contacts, "created_at", period).count()),
        Stage("accepted", _("Contacts accepted"),
              _in_period(contacts.filter(accepted_at__isnull=False), "accepted_at",
                         period).count()),
        Stage("signed", _("Agreements signed"),
              _in_period(agreements.filter(signed_at__isnull=False), "signed_at",
                         period).count()),
        Stage("active", _("Agreements active"),
              exchanges_selectors.agreement_list_active_between(
                  agreements=agreements, start=period.start, end=period.end).count()),
    ]


# --- the dashboard ------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryCount:
    slug: str
    label: str
    offers: int
    wants: int

    @property
    def total(self) -> int:
        return self.offers + self.wants


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass(frozen=True)
class Summary:
    agency: Agency
    regions: list[Region]
    period: Period
    firms: int
    listings: list[CategoryCount]
    funnel: list[Stage]
    contacts: list[StateCount]
    agreements: list[StateCount]
    agreements_active: int
    impacts: list[AgreementImpact]
    totals: ImpactTotals

    @property
    def listings_total(self) -> int:
        return sum(c.total for c in self.listings)


def _category_labels() -> dict[str, str]:
    return {slug: str(label) for slug, label in catalogue.category_choices() if slug}


def listing_counts(*, regions: list[Region], period: Period) -> list[CategoryCount]:
    """Active listings in the regions (created by the period's end), by category."""
    qs = matching_selectors.listing_list_in_regions(regions=regions).filter(
        created_at__date__lte=period.end)
    counts = Counter(qs.values_list("category", "kind"))
    labels = _category_labels()
    slugs = sorted({slug for slug, _kind in counts}, key=lambda s: labels.get(s, s or "~"))
    return [CategoryCount(slug=slug, label=labels.get(slug, slug or _("No category")),
                          offers=counts[(slug, "offer")], wants=counts[(slug, "want")])
            for slug in slugs]


def _state_counts(rows, choices) -> list[StateCount]:
    counts = Counter(rows)
    return [StateCount(state=value, label=str(label), count=counts[value])
            for value, label in choices if counts[value]]


def agreements_in_period(*, regions: list[Region], period: Period):
    """The regions' agreements that existed in the period: drafted by its end and not
    closed before its start."""
    from django.db.models import Q

    return (exchanges_selectors.agreement_list_in_regions(regions=regions)
            .filter(created_at__date__lte=period.end)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__date__gte=period.start)))


def summary(*, agency: Agency, regions: list[Region], period: Period) -> Summary:
    from exchanges.models import Agreement, Contact  # choices only, for labels

    contacts = _in_period(exchanges_selectors.contact_list_in_regions(regions=regions),
                          "created_at", period)
    agreements = agreements_in_period(regions=regions, period=period)
    impacts = impact_list(agreements=agreements, start=period.start, end=period.end)
    active = exchanges_selectors.agreement_list_active_between(
        agreements=agreements, start=period.start, end=period.end).count()
    return Summary(
        agency=agency, regions=regions, period=period,
        firms=company_list_in_regions(regions=regions).count(),
        listings=listing_counts(regions=regions, period=period),
        funnel=funnel(agency=agency, regions=regions, period=period),
        contacts=_state_counts(contacts.values_list("state", flat=True),
                               Contact.State.choices),
        agreements=_state_counts([i.state for i in impacts], Agreement.State.choices),
        agreements_active=active,
        impacts=impacts,
        totals=impact_totals(impacts=impacts),
    )


def impact_api_totals(*, regions: list[Region], period: Period) -> dict:
    """The impact API's answer: totals of the regions' agreements over the period."""
    agreements = agreements_in_period(regions=regions, period=period)
    impacts = impact_list(agreements=agreements, start=period.start, end=period.end)
    totals = impact_totals(impacts=impacts).as_dict()
    totals["agreements_active"] = exchanges_selectors.agreement_list_active_between(
        agreements=agreements, start=period.start, end=period.end).count()
    return totals


# --- the map ---------------------------------------------------------------------------


def map_features(*, regions: list[Region], impacts: list[AgreementImpact]) -> dict:
    """GeoJSON of the regions' shapes, their sites, and the active exchanges as lines."""
    from accounts.models import Site

    features: list[dict] = []
    for region in regions:
        if region.boundary:
            features.append({"type": "Feature", "geometry": region.boundary,
                             "properties": {"kind": "region", "name": region.name}})
        if region.shape == "box":
            box = [[region.min_lon, region.min_lat], [region.max_lon, region.min_lat],
                   [region.max_lon, region.max_lat], [region.min_lon, region.max_lat],
                   [region.min_lon, region.min_lat]]
            features.append({"type": "Feature",
                             "geometry": {"type": "Polygon", "coordinates": [box]},
                             "properties": {"kind": "region", "name": region.name}})
        for town in region.towns or []:
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point",
                             "coordinates": [town["longitude"], town["latitude"]]},
                "properties": {"kind": "town", "name": town.get("name", ""),
                               "radius_km": region.radius_km or 0},
            })
    sites = (Site.objects.filter(pk__in=site_list_in_regions(regions=regions))
             .select_related("company").order_by("id"))
    for site in sites[:2000]:
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [site.longitude, site.latitude]},
            "properties": {"kind": "site", "name": site.name, "company": site.company.name,
                           "city": site.city},
        })
    for item in impacts:
        if item.state != "active":
            continue
        a, b = item.supplier, item.receiver
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString",
                         "coordinates": [[a.longitude, a.latitude], [b.longitude, b.latitude]]},
            "properties": {"kind": "exchange", "agreement": item.agreement_id,
                           "material": item.material, "supplier": a.company,
                           "receiver": b.company, "quantity": str(item.quantity),
                           "co2e_net_t": round(item.net_co2e.value or 0.0, 3)},
        })
    bbox = None
    if regions:
        bbox = [min(r.min_lon for r in regions), min(r.min_lat for r in regions),
                max(r.max_lon for r in regions), max(r.max_lat for r in regions)]
    return {"type": "FeatureCollection", "bbox": bbox, "features": features}
