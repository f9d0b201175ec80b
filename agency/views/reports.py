"""Reports for sustainability reporting: a yearly region report and a per-company report,
each a printable page (print CSS) and CSV (``?format=csv``). Laid out as ESRS E5 asks:
resource inflows, resource outflows, waste diverted from disposal by EWC chapter; with
the CO2e figures and how each was computed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import company_list_in_regions, site_list_in_regions
from agency.impact.accounting import AgreementImpact, impact_list, impact_totals
from agency.impact.reports import (
    flows_by_category,
    split_for_company,
    split_for_sites,
    waste_by_ewc_chapter,
)
from agency.impact.summary import agreements_in_period
from agency.views.dashboard import impact_header, impact_rows, query_for, scope
from agency.views.exports import csv_response


def _sections(inflows: list[AgreementImpact], outflows: list[AgreementImpact],
              impacts: list[AgreementImpact]) -> dict:
    return {
        "inflows": flows_by_category(impacts=inflows),
        "outflows": flows_by_category(impacts=outflows),
        "chapters": waste_by_ewc_chapter(impacts=outflows),
        "impacts": impacts,
        "totals": impact_totals(impacts=impacts),
    }


def _report_csv(*, filename: str, sections: dict) -> HttpResponse:
    """One CSV with a 'section' column: inflows, outflows, waste by EWC chapter, exchanges."""
    rows: list[list] = []
    for name in ("inflows", "outflows"):
        for row in sections[name]:
            for unit in ("t", "MWh", "m3"):
                if row.amounts.get(unit):
                    rows.append([name, row.category, row.label, unit,
                                 f"{row.amounts[unit]:.3f}", row.agreements,
                                 f"{row.co2e_avoided_t:.3f}"])
    for chapter in sections["chapters"]:
        rows.append(["waste-diverted-by-ewc-chapter", chapter.chapter, chapter.title, "t",
                     f"{chapter.tonnes:.3f}", chapter.agreements, ""])
        if chapter.hazardous_tonnes:
            rows.append(["waste-diverted-by-ewc-chapter-hazardous", chapter.chapter,
                         chapter.title, "t", f"{chapter.hazardous_tonnes:.3f}", "", ""])
    totals = sections["totals"]
    for key, value in totals.as_dict().items():
        rows.append(["totals", key, totals.formulas.get(key, ""), "", value, "", ""])
    header = ["section", "key", "label", "unit", "value", "agreements", "co2e_avoided_t"]
    lines = [header] + rows + [[]] + [impact_header()] + impact_rows(sections["impacts"])
    return csv_response(filename=filename, header=lines[0], rows=lines[1:])


@login_required
def region_report(request: HttpRequest) -> HttpResponse:
    agency, regions, period = scope(request)
    impacts = _impacts(regions, period)
    site_ids = set(site_list_in_regions(regions=regions).values_list("pk", flat=True))
    inflows, outflows = split_for_sites(impacts=impacts, site_ids=site_ids)
    sections = _sections(inflows, outflows, impacts)
    if request.GET.get("format") == "csv":
        return _report_csv(filename=f"region-report-{period.slug}.csv", sections=sections)
    companies = company_list_in_regions(regions=regions).order_by("name")
    return render(request, "agency/report.html", {
        "agency": agency, "regions": regions, "period": period, "company": None,
        "firms": companies.count(), "companies": companies,
        "csv_query": query_for(request, format="csv"), "query": query_for(request),
        **sections,
    })


@login_required
def company_report(request: HttpRequest, pk: int) -> HttpResponse:
    agency, regions, period = scope(request)
    company = company_list_in_regions(regions=regions).filter(pk=pk).first()
    if company is None:
        raise Http404
    impacts = [i for i in _impacts(regions, period)
               if company.pk in (i.supplier.company_id, i.receiver.company_id)]
    inflows, outflows = split_for_company(impacts=impacts, company_id=company.pk)
    sections = _sections(inflows, outflows, impacts)
    if request.GET.get("format") == "csv":
        return _report_csv(filename=f"company-{company.pk}-report-{period.slug}.csv",
                           sections=sections)
    return render(request, "agency/report.html", {
        "agency": agency, "regions": regions, "period": period, "company": company,
        "csv_query": query_for(request, format="csv"), "query": query_for(request),
        **sections,
    })


def _impacts(regions, period):
    return impact_list(agreements=agreements_in_period(regions=regions, period=period),
                       start=period.start, end=period.end)
