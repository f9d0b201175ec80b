"""The agency's firms, regions and staff pages in a browser: a manager verifies a firm
(and the other firm sees the badge), reshapes the region by towns and by an uploaded
GeoJSON boundary, and invites a colleague. Screenshots go to ``test-output/agency/``
(``TEST_OUTPUT_DIR`` to put them elsewhere)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.geocoding import get_geocoder
from accounts.models import Region
from agency.models import StaffInvitation
from tests.browser.fixtures import DESKTOP
from tests.exchanges.factories import MatchFactory
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

OUT = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "agency"


def _shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _logged_in(browser, live_server, email: str):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return context, page


def test_manager_verifies_a_firm_reshapes_the_region_and_invites_staff(
        browser, live_server, transactional_db, manager, owner, partner, tmp_path):
    MatchFactory(offer=owner.listing, want=partner.listing)
    # The offline geocoder builds its town index on first use (seconds on a busy machine);
    # the live server runs in this process, so build it here, not inside a page's timeout.
    assert get_geocoder().locate(city="Pori", country="FI") is not None
    context, page = _logged_in(browser, live_server, manager.user.email)
    body = page.locator("body")

    # 1. Firms: both Satakunta firms, none verified yet; verify the power plant.
    page.goto("/agency/")
    page.get_by_role("navigation", name="Agency").get_by_role("link", name="Firms").click()
    expect(page.locator("#firms")).to_contain_text(owner.company.name)
    expect(page.locator("#firms")).to_contain_text(partner.company.name)
    _shot(page, "01-firms")
    page.get_by_role("link", name=owner.company.name).click()
    page.get_by_role("button", name="Verify this firm").click()
    expect(page.locator("#verified-badge")).to_have_text(
        f"verified by {manager.agency.name}")
    _shot(page, "02-firm-verified")

    # 2. The other firm sees a neutral badge on the anonymous counterpart.
    firm_context, firm_page = _logged_in(browser, live_server, partner.user.email)
    firm_page.goto("/portal/")
    expect(firm_page.locator(".verified-badge").first).to_have_text("verified")
    expect(firm_page.locator("body")).not_to_contain_text(owner.company.name)
    _shot(firm_page, "03-partner-sees-verified-counterpart")
    firm_context.close()

    # 3. Regions: towns with a radius, previewed then saved.
    region = Region.objects.get(slug="satakunta")
    page.get_by_role("navigation", name="Agency").get_by_role("link", name="Regions").click()
    _shot(page, "04-regions-before")
    page.locator("#regions").get_by_role("link", name="Edit").click()
    page.get_by_label("Towns with a radius").check()
    page.locator("#id_towns").fill("Pori")
    page.get_by_label("Radius around each town (km)").fill("15")
    expect(page.get_by_label("Boundary (GeoJSON)")).to_be_hidden()  # the JS shows one shape
    page.get_by_role("button", name="Preview: which firms fall inside").click()
    expect(page.locator("#preview")).to_contain_text(owner.company.name)
    expect(page.locator("#preview")).not_to_contain_text(partner.company.name)
    _shot(page, "05-region-preview")
    page.get_by_role("button", name="Save region").click()
    expect(page.locator("#regions")).to_contain_text("1 town, 15 km around")
    region.refresh_from_db()
    assert region.shape == "towns" and region.sites.count() == 1
    _shot(page, "06-regions")

    # 3b. Or draw the boundary on the map: four corners around the map's centre.
    page.locator("#regions").get_by_role("link", name="Edit").click()
    page.get_by_label("A boundary (GeoJSON polygon)").check()
    region_map = page.locator("#region-map")
    expect(region_map).to_have_attribute("data-map-ready", "1")
    page.get_by_role("button", name="Draw on the map").click()
    size = region_map.bounding_box()
    cx, cy = size["width"] / 2, size["height"] / 2
    for dx, dy in ((-120, -100), (120, -100), (120, 100), (-120, 100)):
        region_map.click(position={"x": cx + dx, "y": cy + dy})
    page.get_by_role("button", name="Finish the boundary").click()
    expect(page.get_by_label("Boundary (GeoJSON)")).to_have_value(re.compile('"Polygon"'))
    page.get_by_role("button", name="Preview: which firms fall inside").click()
    expect(page.locator("#preview")).to_be_visible()
    _shot(page, "06b-region-drawn")
    page.get_by_role("navigation", name="Agency").get_by_role("link", name="Regions").click()

    # 4. A new region from an uploaded GeoJSON file.
    boundary = tmp_path / "rauma.geojson"
    boundary.write_text(json.dumps({"type": "Polygon", "coordinates": [[
        [21.3, 61.0], [21.7, 61.0], [21.7, 61.25], [21.3, 61.25], [21.3, 61.0]]]}))
    page.get_by_role("link", name="Add a region").click()
    page.get_by_label("Name").fill("Rauma coast")
    page.get_by_label("A boundary (GeoJSON polygon)").check()
    page.get_by_label("Upload a GeoJSON file").set_input_files(str(boundary))
    expect(page.get_by_label("Boundary (GeoJSON)")).to_have_value(re.compile("Polygon"))
    _shot(page, "07-region-upload")
    page.get_by_role("button", name="Save region").click()
    expect(page.locator("#regions")).to_contain_text("Rauma coast")
    assert Region.objects.get(name="Rauma coast").sites.get() == partner.site

    # 5. Staff: invite a reviewer; the invitation is listed.
    page.get_by_role("navigation", name="Agency").get_by_role("link", name="Staff").click()
    invite = page.locator("#invite-staff")
    invite.get_by_label("Colleague's e-mail address").fill("new.reviewer@agency.example")
    invite.get_by_label("Role").select_option("reviewer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#staff-invitations")).to_contain_text("new.reviewer@agency.example")
    assert StaffInvitation.objects.get().role == "reviewer"
    _shot(page, "08-staff")

    # 6. Staff activity: the verification, the region changes and the invitation.
    page.get_by_role("link", name="Staff activity").click()
    actions = page.locator("#staff-actions")
    for text in ("Verified a firm", "Changed a region", "Invited a colleague"):
        expect(actions).to_contain_text(text)
    expect(body).to_contain_text(manager.user.get_full_name())
    _shot(page, "09-staff-activity")
    context.close()
