"""The agency dashboard in a browser: a seeded region whose totals the test computes by
hand, checked against the figures on screen; the funnel, the map without tiles, the
formulas and the printable report. Screenshots go to ``test-output/agency/``."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.agency.seed import exchange, km_along_meridian, party
from tests.browser.fixtures import DESKTOP
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

OUT = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "agency"
ROAD_KG_PER_TKM = 0.09752 + 0.02359   # DESNZ 2024, HGV all, average laden, TTW + WTT
TODAY = dt.date.today()
JAN_1 = TODAY.replace(month=1, day=1)


def _shot(page, step: int, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{step:02d}-{name}.png"), full_page=True)


def _figure(page, key: str) -> float:
    text = page.locator(f'[data-kpi="{key}"] .kpi-value').inner_text()
    return float(text.replace(",", "").replace("–", "nan"))


@pytest.fixture
def seeded(transactional_db, reviewer):
    """Three exchanges in the reviewer's region (t, MWh, m³) and the totals by hand."""
    exchange(supplier=party(name="Pori Energia Oy", lat=61.45, lon=21.80),
             receiver=party(name="Rauma Sementti Oy", lat=61.15, lon=21.80),
             category="ash", unit="t", title="Bottom and fly ash",
             deliveries=[(JAN_1, "120"), (TODAY, "80")], disputed=[(TODAY, "500")])
    exchange(supplier=party(name="Harjavalta Copper Oy", lat=61.31, lon=22.14),
             receiver=party(name="Harjavalta Kaukolämpö Oy", lat=61.33, lon=22.14),
             category="heat", unit="MWh", title="Smelter waste heat",
             deliveries=[(JAN_1, "1500"), (TODAY, "900")], ewc_code="")
    exchange(supplier=party(name="Kankaanpää Paper Oy", lat=61.80, lon=22.40),
             receiver=party(name="Kankaanpää Greenhouses Oy", lat=61.82, lon=22.40),
             category="process-water", unit="m3", title="Treated process water",
             deliveries=[(TODAY, "3000")], ewc_code="")
    # Hand calculation: distances along one meridian are R × Δφ.
    ash_tkm = 200 * km_along_meridian(61.45, 61.15)
    water_tkm = 3000 * 1.0 * km_along_meridian(61.80, 61.82)   # water weighs 1 t per m³
    transport = (ash_tkm + water_tkm) * ROAD_KG_PER_TKM / 1000
    avoided = 200 * 0.942 + 2400 * 0.183 + 3000 * 0.000149      # ICE ash, Motiva heat, BEIS water
    return {"quantity_t": 200.0, "quantity_mwh": 2400.0, "quantity_m3": 3000.0,
            "co2e_transport_t": transport, "co2e_avoided_t": avoided,
            "co2e_net_t": avoided - transport, "deliveries": 5.0, "agreements_active": 3.0,
            "firms": 6.0}


@pytest.fixture
def staff_page(browser, live_server, seeded, reviewer):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(reviewer.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    yield page
    context.close()


def test_dashboard_figures_equal_the_hand_calculation(staff_page, seeded):
    page = staff_page
    # The agency area's sub-navigation (templates/agency/_nav.html) leads to the dashboard.
    page.get_by_role("navigation", name="Agency").get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/agency/dashboard/"))
    expect(page.locator('[data-test="period"]')).to_have_text(str(TODAY.year))
    for key, expected in seeded.items():
        assert _figure(page, key) == pytest.approx(expected, abs=0.001), key
    # The funnel is drawn on the server: seven stages, contacts and agreements counted.
    expect(page.locator("svg.funnel g[data-stage]")).to_have_count(7)
    expect(page.locator("svg.funnel")).to_contain_text("Agreements active")
    # No tiles are configured: Leaflet still draws the sites and the active exchanges.
    expect(page.locator("#impact-map")).to_have_attribute("data-map-ready", re.compile(r"[1-9]"))
    # 6 sites, 3 exchanges and the region's outline.
    expect(page.locator("#impact-map path.leaflet-interactive")).to_have_count(6 + 3 + 1)
    expect(page.locator(".leaflet-tile")).to_have_count(0)
    _shot(page, 1, "dashboard")

    # Every figure shows how it was computed.
    page.locator('[data-kpi="co2e_net_t"] summary').click()
    expect(page.locator('[data-kpi="co2e_net_t"] .how p')).to_contain_text("Avoided")
    row = page.locator("tr.how-row").first
    row.locator("summary").click()
    expect(row).to_contain_text("0.12111 kg CO2e/t·km")
    _shot(page, 2, "dashboard-formulas")

    # The tables download as CSV.
    with page.expect_download() as download:
        page.locator("#impact-h a.csv-link").click()
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert "Smelter waste heat" in text and "Treated process water" in text


def test_region_report_prints_the_esrs_tables(staff_page, seeded):
    page = staff_page
    page.goto(f"/agency/reports/region/?year={TODAY.year}")
    heading = page.get_by_role("heading", name=re.compile("Waste diverted from disposal"))
    expect(heading).to_be_visible()
    expect(page.locator('[data-total="quantity_t"]')).to_have_text("200.000")
    expect(page.locator('table[data-table="ewc"]')).to_contain_text("10")
    _shot(page, 3, "region-report")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    _shot(page, 4, "region-report-print")
