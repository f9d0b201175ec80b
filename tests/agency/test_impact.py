"""Impact figures of an agreement against hand calculations, one per unit kind."""

from __future__ import annotations

import datetime as dt

import pytest

from agency.impact.accounting import impact_for_agreement, impact_totals
from exchanges import services
from tests.agency.seed import exchange, km_along_meridian, party

pytestmark = pytest.mark.django_db

ROAD_KG_PER_TKM = 0.09752 + 0.02359  # DESNZ 2024 HGV all, average laden: TTW + WTT
YEAR_START = dt.date.today().replace(month=1, day=1)
TODAY = dt.date.today()


def test_tonnes_of_fly_ash_hand_calculation():
    supplier = party(name="Ash Power Oy", lat=61.0, lon=21.8)
    receiver = party(name="Cement Oy", lat=61.3, lon=21.8)
    agreement = exchange(supplier=supplier, receiver=receiver, category="ash", unit="t",
                         title="Fly ash", deliveries=[(YEAR_START, "40"), (TODAY, "80")],
                         disputed=[(TODAY, "500")])
    impact = impact_for_agreement(agreement=agreement)

    km = km_along_meridian(61.0, 61.3)                      # ≈ 33.36 km
    tonne_km = 120 * km
    transport_t = tonne_km * ROAD_KG_PER_TKM / 1000
    avoided_t = 120 * 942 / 1000                            # ICE v2.0 fly ash vs CEM I
    assert impact.deliveries == 2                           # the disputed one is not counted
    assert impact.quantity.value == pytest.approx(120)
    assert impact.unit == "t"
    assert impact.distance.value == pytest.approx(km, rel=1e-9)
    assert impact.tonne_km.value == pytest.approx(tonne_km)
    assert impact.transport_co2e.value == pytest.approx(transport_t)
    assert impact.avoided_co2e.value == pytest.approx(avoided_t)
    assert impact.net_co2e.value == pytest.approx(avoided_t - transport_t)
    # Every figure says how it was computed, with its numbers and source.
    assert "40 t + 80 t = 120 t" in impact.quantity.formula
    assert "942 kg CO2e/t" in impact.avoided_co2e.formula and "ICE" in impact.avoided_co2e.formula
    assert "0.12111 kg CO2e/t·km" in impact.transport_co2e.formula
    assert "2024" in impact.transport_co2e.formula


def test_megawatt_hours_of_heat_hand_calculation():
    supplier = party(name="Data Centre Oy", lat=61.48, lon=21.79)
    receiver = party(name="District Heat Oy", lat=61.50, lon=21.79)
    agreement = exchange(supplier=supplier, receiver=receiver, category="heat", unit="MWh",
                         title="Waste heat", deliveries=[(YEAR_START, "250"), (TODAY, "1.5")])
    impact = impact_for_agreement(agreement=agreement)

    avoided_t = 251.5 * 183 / 1000                          # Motiva district heat, CHP areas
    assert impact.quantity.value == pytest.approx(251.5)
    assert impact.unit == "MWh"
    assert impact.tonne_km.value == 0                       # piped: no road freight
    assert impact.transport_co2e.value == 0
    assert impact.avoided_co2e.value == pytest.approx(avoided_t)
    assert impact.net_co2e.value == pytest.approx(avoided_t)
    assert "183 kg CO2/MWh" in impact.avoided_co2e.formula
    assert "Motiva" in impact.avoided_co2e.formula


def test_cubic_metres_of_process_water_hand_calculation():
    supplier = party(name="Paper Mill Oy", lat=60.0, lon=22.0)
    receiver = party(name="Greenhouse Oy", lat=60.1, lon=22.0)
    agreement = exchange(supplier=supplier, receiver=receiver, category="process-water",
                         unit="m3", title="Treated process water",
                         deliveries=[(TODAY, "2000"), (TODAY, "500")], ewc_code="")
    impact = impact_for_agreement(agreement=agreement)

    km = km_along_meridian(60.0, 60.1)
    tonne_km = 2500 * 1.0 * km                              # water: 1 t per m³
    transport_t = tonne_km * ROAD_KG_PER_TKM / 1000
    avoided_t = 2500 * 0.149 / 1000                         # BEIS 2021 water supply
    assert impact.quantity.value == pytest.approx(2500)
    assert impact.unit == "m3"
    assert impact.tonne_km.value == pytest.approx(tonne_km)
    assert impact.avoided_co2e.value == pytest.approx(avoided_t)
    assert impact.net_co2e.value == pytest.approx(avoided_t - transport_t)
    assert impact.net_co2e.value < 0                        # trucking water costs more CO2e


def test_volume_with_density_moves_its_tonnes():
    supplier = party(name="Sludge Works Oy", lat=60.0, lon=23.0)
    receiver = party(name="Biogas Oy", lat=60.2, lon=23.0)
    agreement = exchange(supplier=supplier, receiver=receiver, category="glass", unit="m3",
                         title="Crushed cullet", deliveries=[(TODAY, "10")], density=1.6)
    impact = impact_for_agreement(agreement=agreement)
    assert impact.tonne_km.value == pytest.approx(10 * 1.6 * km_along_meridian(60.0, 60.2))
    # The glass factor is per tonne: the volume is credited through its mass.
    assert impact.avoided_co2e.value == pytest.approx(10 * 1.6 * 579.57713 / 1000)
    assert "1.6 t/m³" in impact.avoided_co2e.formula


def test_category_without_factor_claims_nothing_but_counts_transport():
    supplier = party(name="Solvent Oy", lat=60.0, lon=24.0)
    receiver = party(name="Paint Oy", lat=60.05, lon=24.0)
    agreement = exchange(supplier=supplier, receiver=receiver, category="solvents", unit="t",
                         title="Spent acetone", deliveries=[(TODAY, "10")])
    impact = impact_for_agreement(agreement=agreement)
    transport_t = 10 * km_along_meridian(60.0, 60.05) * ROAD_KG_PER_TKM / 1000
    assert impact.avoided_co2e.value is None
    assert impact.net_co2e.value == pytest.approx(-transport_t)


def test_period_counts_only_deliveries_dated_in_it():
    supplier = party(name="Ash Two Oy", lat=61.0, lon=22.5)
    receiver = party(name="Cement Two Oy", lat=61.1, lon=22.5)
    agreement = exchange(supplier=supplier, receiver=receiver, category="ash", unit="t",
                         title="Fly ash", deliveries=[(YEAR_START - dt.timedelta(days=1), "7"),
                                                      (TODAY, "3")])
    assert impact_for_agreement(agreement=agreement, start=YEAR_START,
                                end=TODAY).quantity.value == pytest.approx(3)
    assert impact_for_agreement(agreement=agreement).quantity.value == pytest.approx(10)


def test_shared_costs_show_with_who_shared_them():
    supplier = party(name="Ash Three Oy", lat=61.0, lon=23.5)
    receiver = party(name="Cement Three Oy", lat=61.1, lon=23.5)
    agreement = exchange(supplier=supplier, receiver=receiver, category="ash", unit="t",
                         title="Fly ash", deliveries=[(TODAY, "3")])
    assert impact_for_agreement(agreement=agreement).savings is None
    services.agreement_costs_share(agreement=agreement, user=receiver.user, savings="12000",
                                   costs="5000.5", currency="eur")
    impact = impact_for_agreement(agreement=agreement)
    assert impact.savings.value == 12000 and impact.savings.unit == "EUR"
    assert impact.costs.value == 5000.5
    assert "Cement Three Oy" in impact.savings.formula


def test_outsider_cannot_share_costs_of_an_agreement():
    from django.core.exceptions import PermissionDenied

    supplier = party(name="Ash Four Oy", lat=61.0, lon=24.5)
    receiver = party(name="Cement Four Oy", lat=61.1, lon=24.5)
    stranger = party(name="Stranger Oy", lat=61.2, lon=24.5)
    agreement = exchange(supplier=supplier, receiver=receiver, category="ash", unit="t",
                         title="Fly ash", deliveries=[])
    with pytest.raises(PermissionDenied):
        services.agreement_costs_share(agreement=agreement, user=stranger.user, savings="1")


def test_totals_add_up_per_unit_and_net_is_avoided_minus_transport():
    a = exchange(supplier=party(name="A Oy", lat=61.0, lon=25.0),
                 receiver=party(name="B Oy", lat=61.2, lon=25.0), category="ash", unit="t",
                 title="Fly ash", deliveries=[(TODAY, "100")])
    b = exchange(supplier=party(name="C Oy", lat=61.0, lon=25.5),
                 receiver=party(name="D Oy", lat=61.01, lon=25.5), category="heat",
                 unit="MWh", title="Heat", deliveries=[(TODAY, "1000")])
    impacts = [impact_for_agreement(agreement=a), impact_for_agreement(agreement=b)]
    totals = impact_totals(impacts=impacts)
    transport_t = 100 * km_along_meridian(61.0, 61.2) * ROAD_KG_PER_TKM / 1000
    avoided_t = 100 * 0.942 + 1000 * 0.183
    assert totals.quantity_t == pytest.approx(100)
    assert totals.quantity_mwh == pytest.approx(1000)
    assert totals.quantity_m3 == 0
    assert totals.co2e_avoided_t == pytest.approx(avoided_t)
    assert totals.co2e_transport_t == pytest.approx(transport_t)
    assert totals.co2e_net_t == pytest.approx(avoided_t - transport_t)
    assert totals.deliveries == 2


def test_a_party_shares_costs_from_the_agreement_page(client):
    from django.urls import reverse

    supplier = party(name="Ash Five Oy", lat=61.0, lon=21.5)
    receiver = party(name="Cement Five Oy", lat=61.1, lon=21.5)
    agreement = exchange(supplier=supplier, receiver=receiver, category="ash", unit="t",
                         title="Fly ash", deliveries=[])
    client.force_login(supplier.user)
    page = client.get(reverse("exchanges:agreement_detail", args=[agreement.pk]))
    assert "Cost figures shared with the regional agency" in page.content.decode()
    client.post(reverse("exchanges:agreement_action", args=[agreement.pk, "share-costs"]),
                {"savings": "1500", "costs": "", "currency": "EUR"})
    agreement.refresh_from_db()
    assert agreement.shared_savings == 1500 and agreement.shared_costs is None
    assert agreement.shared_by == supplier.company
