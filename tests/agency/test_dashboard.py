"""The dashboard, reports and impact API: figures against hand calculations, and staff of
another region seeing nothing of this one (pages, CSV, API)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from exchanges import services
from tests.agency.seed import exchange, km_along_meridian, party
from tests.factories import AgencyFactory, AgencyMembershipFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db

ROAD_KG_PER_TKM = 0.09752 + 0.02359
TODAY = dt.date.today()
YEAR = TODAY.year
JAN_1 = dt.date(YEAR, 1, 1)


@pytest.fixture
def satakunta(reviewer):
    """Two exchanges inside the reviewer's region (Satakunta's box) and their hand sums."""
    ash = exchange(supplier=party(name="Pori Power Oy", lat=61.40, lon=21.80),
                   receiver=party(name="Rauma Cement Oy", lat=61.10, lon=21.80),
                   category="ash", unit="t", title="Coal fly ash",
                   deliveries=[(JAN_1, "100"), (TODAY, "50")],
                   disputed=[(TODAY, "999")])
    heat = exchange(supplier=party(name="Harjavalta Smelter Oy", lat=61.30, lon=22.10),
                    receiver=party(name="Harjavalta Heat Oy", lat=61.32, lon=22.10),
                    category="heat", unit="MWh", title="Smelter waste heat",
                    deliveries=[(TODAY, "400")], ewc_code="")
    km = km_along_meridian(61.40, 61.10)
    transport = 150 * km * ROAD_KG_PER_TKM / 1000
    avoided = 150 * 0.942 + 400 * 0.183
    return {"ash": ash, "heat": heat, "quantity_t": 150.0, "quantity_mwh": 400.0,
            "co2e_transport_t": transport, "co2e_avoided_t": avoided,
            "co2e_net_t": avoided - transport, "deliveries": 3, "agreements_active": 2}


@pytest.fixture
def lapland_staff(db):
    """Staff of another agency whose region (Lapland) has an exchange of its own."""
    region = RegionFactory(name="Lapland", slug="lapland", min_lat=66, max_lat=69,
                           min_lon=20, max_lon=30)
    membership = AgencyMembershipFactory(user=UserFactory(email="staff@lapland.example"),
                                         agency=AgencyFactory(regions=[region]))
    exchange(supplier=party(name="Rovaniemi Sawmill Oy", lat=66.50, lon=25.70),
             receiver=party(name="Rovaniemi Pellets Oy", lat=66.52, lon=25.70),
             category="wood", unit="t", title="Sawdust", deliveries=[(TODAY, "77")],
             ewc_code="030105")
    return membership


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_dashboard_figures_match_the_hand_calculation(client, reviewer, satakunta):
    client.force_login(reviewer.user)
    response = client.get(reverse("agency:dashboard"), {"year": YEAR})
    assert response.status_code == 200
    totals = response.context["data"].totals
    for key in ("quantity_t", "quantity_mwh", "co2e_transport_t", "co2e_avoided_t",
                "co2e_net_t"):
        assert getattr(totals, key) == pytest.approx(satakunta[key]), key
    assert totals.deliveries == 3
    assert response.context["data"].agreements_active == 2
    assert response.context["data"].firms == 4
    body = response.content.decode()
    assert "Rauma Cement Oy" in body and "Smelter waste heat" in body
    # The figures say how they were computed.
    assert "942 kg CO2e/t" in body and "183 kg CO2/MWh" in body
    assert 'data-kpi="co2e_net_t"' in body and "impact-map-data" in body


def test_dashboard_funnel_counts_contacts_and_agreements(client, reviewer, satakunta):
    client.force_login(reviewer.user)
    data = client.get(reverse("agency:dashboard")).context["data"]
    stages = {s.key: s.count for s in data.funnel}
    assert stages["requested"] == 2 and stages["accepted"] == 2
    assert stages["signed"] == 2 and stages["active"] == 2
    assert {r.state: r.count for r in data.agreements} == {"active": 2}
    assert {c.slug: (c.offers, c.wants) for c in data.listings} == {"ash": (1, 1),
                                                                     "heat": (1, 1)}


def test_every_dashboard_table_downloads_as_csv(client, reviewer, satakunta):
    client.force_login(reviewer.user)
    url = reverse("agency:dashboard")
    for table in ("listings", "funnel", "contacts", "agreements", "impact", "totals"):
        response = client.get(url, {"format": "csv", "table": table})
        assert response.status_code == 200, table
        assert response["Content-Type"].startswith("text/csv")
        assert _csv(response), table
    rows = _csv(client.get(url, {"format": "csv", "table": "impact"}))
    assert {r["material"] for r in rows} == {"Coal fly ash", "Smelter waste heat"}
    ash = next(r for r in rows if r["material"] == "Coal fly ash")
    assert float(ash["quantity"]) == 150
    assert "942" in ash["avoided_formula"]
    totals = {r["figure"]: r["value"] for r in _csv(client.get(url, {"format": "csv",
                                                                     "table": "totals"}))}
    assert float(totals["co2e_net_t"]) == pytest.approx(satakunta["co2e_net_t"], abs=1e-3)


def test_period_excludes_deliveries_of_another_year(client, reviewer, satakunta):
    client.force_login(reviewer.user)
    data = client.get(reverse("agency:dashboard"), {"year": YEAR - 1}).context["data"]
    assert data.totals.quantity_t == 0 and data.totals.deliveries == 0
    ranged = client.get(reverse("agency:dashboard"),
                        {"start": TODAY.isoformat(), "end": TODAY.isoformat()}).context["data"]
    assert ranged.totals.quantity_t == pytest.approx(150 if JAN_1 == TODAY else 50)


def test_impact_api_totals_match_the_hand_calculation(reviewer, satakunta):
    client = APIClient()
    client.force_authenticate(user=reviewer.user)
    response = client.get("/api/v1/agency/impact/", {"year": YEAR})
    assert response.status_code == 200
    body = response.json()
    for key in ("quantity_t", "quantity_mwh", "co2e_transport_t", "co2e_avoided_t",
                "co2e_net_t"):
        assert body[key] == pytest.approx(satakunta[key], abs=1e-3), key
    assert body["quantity_m3"] == 0
    assert body["agreements_active"] == 2 and body["deliveries"] == 3
    assert body["year"] == YEAR


def test_impact_api_refuses_unknown_parameters_and_bad_years(reviewer):
    client = APIClient()
    client.force_authenticate(user=reviewer.user)
    assert client.get("/api/v1/agency/impact/", {"yaer": 2026}).status_code == 400
    assert client.get("/api/v1/agency/impact/", {"year": "soon"}).status_code == 400


def test_firm_users_and_strangers_get_404_everywhere(client, owner, satakunta):
    client.force_login(owner.user)
    assert client.get(reverse("agency:dashboard")).status_code == 404
    assert client.get(reverse("agency:report_region")).status_code == 404
    api = APIClient()
    api.force_authenticate(user=owner.user)
    assert api.get("/api/v1/agency/impact/").status_code == 404
    assert APIClient().get("/api/v1/agency/impact/").status_code in (401, 403)


def test_staff_of_another_region_see_nothing_of_this_region(client, reviewer, satakunta,
                                                            lapland_staff):
    client.force_login(lapland_staff.user)
    page = client.get(reverse("agency:dashboard"), {"year": YEAR})
    body = page.content.decode()
    assert "Rovaniemi Sawmill Oy" in body            # their own exchange
    for name in ("Pori Power Oy", "Rauma Cement Oy", "Coal fly ash", "Smelter waste heat"):
        assert name not in body
    assert page.context["data"].totals.quantity_t == pytest.approx(77)
    csv_body = client.get(reverse("agency:dashboard"), {"format": "csv",
                                                         "table": "impact"}).content.decode()
    assert "Coal fly ash" not in csv_body and "Sawdust" in csv_body
    report = client.get(reverse("agency:report_region"), {"format": "csv"}).content.decode()
    assert "Coal fly ash" not in report
    # Asking for the other agency's region or firm: 404, as if it did not exist.
    satakunta_region = reviewer.agency.regions.get()
    assert client.get(reverse("agency:dashboard"),
                      {"region": satakunta_region.pk}).status_code == 404
    pori = satakunta["ash"].contact.offer.company
    assert client.get(reverse("agency:report_company", args=[pori.pk])).status_code == 404
    api = APIClient()
    api.force_authenticate(user=lapland_staff.user)
    assert api.get("/api/v1/agency/impact/",
                   {"region": satakunta_region.pk}).status_code == 404
    mine = api.get("/api/v1/agency/impact/", {"year": YEAR}).json()
    assert mine["quantity_t"] == pytest.approx(77) and mine["deliveries"] == 1


def test_region_report_groups_diverted_waste_by_ewc_chapter(client, reviewer, satakunta):
    client.force_login(reviewer.user)
    response = client.get(reverse("agency:report_region"), {"year": YEAR})
    assert response.status_code == 200
    chapters = {c.chapter: c for c in response.context["chapters"]}
    assert chapters["10"].tonnes == pytest.approx(150)
    assert "thermal" in chapters["10"].title.lower()
    assert "ESRS E5" in response.content.decode()
    rows = list(csv.reader(io.StringIO(client.get(reverse("agency:report_region"),
                                                  {"year": YEAR, "format": "csv"})
                                       .content.decode())))
    diverted = {r[1]: float(r[4]) for r in rows if r[:1] == ["waste-diverted-by-ewc-chapter"]}
    assert diverted["10"] == pytest.approx(150)


def test_company_report_splits_inflows_and_outflows(client, reviewer, satakunta):
    client.force_login(reviewer.user)
    supplier = satakunta["ash"].contact.offer.company
    response = client.get(reverse("agency:report_company", args=[supplier.pk]),
                          {"year": YEAR})
    assert response.status_code == 200
    assert [r.category for r in response.context["outflows"]] == ["ash"]
    assert response.context["inflows"] == []
    assert response.context["totals"].quantity_t == pytest.approx(150)
    assert "Smelter waste heat" not in response.content.decode()


def test_shared_costs_reach_the_dashboard_but_never_the_price(client, reviewer, satakunta):
    agreement = satakunta["ash"]
    receiver_user = agreement.contact.want.company.memberships.get().user
    services.agreement_costs_share(agreement=agreement, user=receiver_user, savings="8400")
    client.force_login(reviewer.user)
    body = client.get(reverse("agency:dashboard")).content.decode()
    assert "8400.00 EUR" in body
    assert "-12.50" not in body        # the agreed price per tonne stays between the firms


def test_funnel_counts_this_agencys_approvals_and_introductions(client, reviewer, match,
                                                                 owner, partner, lapland):
    from agency.services.review import decision_record, introduction_create

    agency = reviewer.agency
    decision_record(agency=agency, user=reviewer.user, offer=owner.listing,
                    want=partner.listing, decision="hold")
    decision_record(agency=agency, user=reviewer.user, offer=owner.listing,
                    want=partner.listing, decision="approve")
    introduction_create(agency=agency, user=reviewer.user, offer=owner.listing,
                        want=partner.listing, message="Meet each other.")
    client.force_login(reviewer.user)
    stages = {s.key: s.count for s in client.get(reverse("agency:dashboard")).context[
        "data"].funnel}
    assert stages["proposed"] == 1 and stages["approved"] == 1 and stages["introduced"] == 1
    assert stages["requested"] == 1                         # the introduction's contact
    # A later rejection replaces the approval; another agency counts none of it.
    decision_record(agency=agency, user=reviewer.user, offer=owner.listing,
                    want=partner.listing, decision="reject", reason="distance")
    stages = {s.key: s.count for s in client.get(reverse("agency:dashboard")).context[
        "data"].funnel}
    assert stages["approved"] == 0
    client.force_login(lapland.user)
    stages = {s.key: s.count for s in client.get(reverse("agency:dashboard")).context[
        "data"].funnel}
    assert stages == {"proposed": 0, "approved": 0, "introduced": 0, "requested": 0,
                      "accepted": 0, "signed": 0, "active": 0}
