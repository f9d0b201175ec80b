"""The agency's dashboard (/agency/dashboard/): a region's firms, listings, funnel from
match to agreement, exchanges and their impact over a period, with a map. Every table
downloads as CSV (``?format=csv&table=…``)."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from agency.impact.accounting import number
from agency.impact.summary import (
    PeriodError,
    Summary,
    map_features,
    period_from,
    regions_for,
    summary,
)
from agency.selectors import agency_for_staff, agency_list_for_staff
from agency.views.exports import csv_response

TABLES = ("listings", "funnel", "contacts", "agreements", "impact", "totals")


def scope(request: HttpRequest):
    """(agency, regions, period) the request asks for, within the user's agencies; 404
    for anyone else or another agency's region."""
    agency = agency_for_staff(user=request.user, agency_id=request.GET.get("agency"))
    if agency is None:
        raise Http404
    regions = regions_for(agency=agency, region_id=request.GET.get("region"))
    if regions is None:
        raise Http404
    try:
        period = period_from(year=request.GET.get("year"), start=request.GET.get("start"),
                             end=request.GET.get("end"))
    except PeriodError as exc:
        messages.error(request, str(exc))
        period = period_from()
    return agency, regions, period


def query_for(request: HttpRequest, **changes) -> str:
    """The current query string with ``changes`` applied (for CSV and period links)."""
    query = QueryDict(mutable=True)
    for key in ("agency", "region", "year", "start", "end"):
        if request.GET.get(key):
            query[key] = request.GET[key]
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


def kpis(data: Summary) -> list[dict]:
    """The headline figures, each with how it was computed."""
    t = data.totals
    f = t.formulas
    return [
        {"key": "firms", "label": "Firms", "value": number(data.firms, 0),
         "how": "Firms with a site inside the region(s)."},
        {"key": "listings", "label": "Active listings", "value": number(data.listings_total, 0),
         "how": "Active offers and wants at sites in the region(s), created by the period's end."},
        {"key": "agreements_active", "label": "Agreements active",
         "value": number(data.agreements_active, 0),
         "how": "Agreements activated by the period's end and not closed before its start."},
        {"key": "deliveries", "label": "Confirmed deliveries", "value": number(t.deliveries, 0),
         "how": "Deliveries the receiving firm confirmed, dated in the period."},
        {"key": "quantity_t", "label": "Exchanged (t)", "value": number(t.quantity_t),
         "how": f["quantity_t"]},
        {"key": "quantity_mwh", "label": "Exchanged (MWh)", "value": number(t.quantity_mwh),
         "how": f["quantity_mwh"]},
        {"key": "quantity_m3", "label": "Exchanged (m³)", "value": number(t.quantity_m3),
         "how": f["quantity_m3"]},
        {"key": "co2e_avoided_t", "label": "CO2e avoided (t)", "value": number(t.co2e_avoided_t),
         "how": f["co2e_avoided_t"]},
        {"key": "co2e_transport_t", "label": "CO2e of transport (t)",
         "value": number(t.co2e_transport_t), "how": f["co2e_transport_t"]},
        {"key": "co2e_net_t", "label": "Net CO2e avoided (t)", "value": number(t.co2e_net_t),
         "how": f["co2e_net_t"]},
    ]


def _funnel_bars(data: Summary) -> dict:
    """Geometry of the funnel's horizontal bars (an SVG drawn by the template)."""
    counts = [s.count or 0 for s in data.funnel]
    top = max(counts + [1])
    bars, y = [], 8
    for stage in data.funnel:
        value = stage.count or 0
        width = 0 if stage.count is None else max(2.0, 190.0 * value / top)
        bars.append({"label": stage.label, "count": "–" if stage.count is None else value,
                     "x": 172, "y": y, "width": round(width, 1), "note": stage.note,
                     "text_x": 172 + round(width, 1) + 6})
        y += 30
    return {"bars": bars, "height": y + 4}


def _map_svg(features: dict, width: int = 640, height: int = 420) -> dict:
    """Sites and exchanges projected into an SVG box: the map for pages without script."""
    points = [f["geometry"]["coordinates"] for f in features["features"]
              if f["properties"]["kind"] == "site"]
    lines = [f["geometry"]["coordinates"] for f in features["features"]
             if f["properties"]["kind"] == "exchange"]
    coords = points + [c for line in lines for c in line]
    if not coords:
        return {"width": width, "height": height, "sites": [], "lines": []}
    min_lon, max_lon = min(c[0] for c in coords), max(c[0] for c in coords)
    min_lat, max_lat = min(c[1] for c in coords), max(c[1] for c in coords)
    # Equirectangular, longitude shrunk by the cosine of the middle latitude.
    shrink = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * shrink, 1e-3)
    span_y = max(max_lat - min_lat, 1e-3)
    scale = min((width - 40) / span_x, (height - 40) / span_y)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (round(20 + (lon - min_lon) * shrink * scale, 1),
                round(height - 20 - (lat - min_lat) * scale, 1))

    return {
        "width": width, "height": height,
        "sites": [xy(*c) for c in points],
        "lines": [(*xy(*line[0]), *xy(*line[1])) for line in lines],
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    agency, regions, period = scope(request)
    data = summary(agency=agency, regions=regions, period=period)
    if request.GET.get("format") == "csv":
        return dashboard_csv(data, table=request.GET.get("table", "impact"))
    features = map_features(regions=regions, impacts=data.impacts)
    context = {
        "agency": agency,
        "agencies": list(agency_list_for_staff(user=request.user)),
        "all_regions": list(agency.regions.order_by("name")),
        "region_id": request.GET.get("region", ""),
        "data": data,
        "totals": data.totals,
        "kpis": kpis(data),
        "funnel": _funnel_bars(data),
        "map_data": features,
        "map_svg": _map_svg(features),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "csv": {table: query_for(request, format="csv", table=table) for table in TABLES},
        "query": query_for(request),
        "start": request.GET.get("start", ""),
        "end": request.GET.get("end", ""),
    }
    return render(request, "agency/dashboard.html", context)


def dashboard_csv(data: Summary, *, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    name = f"agency-{table}-{data.period.slug}.csv"
    if table == "listings":
        return csv_response(filename=name, header=["category", "label", "offers", "wants"],
                            rows=[(c.slug, c.label, c.offers, c.wants) for c in data.listings])
    if table == "funnel":
        return csv_response(filename=name, header=["stage", "label", "count"],
                            rows=[(s.key, s.label, "" if s.count is None else s.count)
                                  for s in data.funnel])
    if table in ("contacts", "agreements"):
        rows = data.contacts if table == "contacts" else data.agreements
        return csv_response(filename=name, header=["state", "label", "count"],
                            rows=[(r.state, r.label, r.count) for r in rows])
    if table == "totals":
        totals = data.totals
        rows = [(key, value, totals.formulas.get(key, ""))
                for key, value in totals.as_dict().items()]
        rows.append(("agreements_active", data.agreements_active, ""))
        rows.append(("firms", data.firms, ""))
        return csv_response(filename=name, header=["figure", "value", "how computed"],
                            rows=rows)
    return csv_response(filename=name, header=impact_header(), rows=impact_rows(data.impacts))


def impact_header() -> list[str]:
    return ["agreement", "state", "material", "category", "ewc_code", "supplier", "receiver",
            "deliveries", "quantity", "unit", "distance_km", "tonne_km", "co2e_transport_t",
            "co2e_avoided_t", "co2e_net_t", "shared_savings", "shared_costs", "currency",
            "quantity_formula", "transport_formula", "avoided_formula", "net_formula"]


def _cell(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def impact_rows(impacts) -> list[list]:
    rows = []
    for i in impacts:
        rows.append([
            i.agreement_id, i.state, i.material, i.category, i.ewc_code, i.supplier.company,
            i.receiver.company, i.deliveries, _cell(i.quantity.value), i.unit,
            _cell(i.distance.value, 1), _cell(i.tonne_km.value, 1),
            _cell(i.transport_co2e.value), _cell(i.avoided_co2e.value), _cell(i.net_co2e.value),
            _cell(i.savings.value, 2) if i.savings else "",
            _cell(i.costs.value, 2) if i.costs else "",
            (i.savings or i.costs).unit if (i.savings or i.costs) else "",
            i.quantity.formula, f"{i.tonne_km.formula} {i.transport_co2e.formula}",
            i.avoided_co2e.formula, i.net_co2e.formula,
        ])
    return rows

