"""The review queue in a browser: filter, approve, reject, introduce and a bulk action, as
the region's reviewer; the introduced firm sees the agency named. Screenshots go to
``test-output/agency/`` (``TEST_OUTPUT_DIR`` to put them elsewhere)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agency.models import Decision
from exchanges.models import Contact
from tests.browser.fixtures import DESKTOP
from tests.exchanges.factories import MatchFactory
from tests.factories import PASSWORD, CompanyFactory, ListingFactory, SiteFactory

pytestmark = pytest.mark.browser

OUT = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "agency"


def _shot(page, step: int, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{step:02d}-{name}.png"), full_page=True)


def _login(browser, live_server, email: str):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return context, page


@pytest.fixture
def region_pairs(transactional_db, owner, partner):
    """Fly ash → cement (best score), steel scrap → kiln, and wood chips → boiler."""
    ash = MatchFactory(offer=owner.listing, want=partner.listing)
    steelworks = CompanyFactory(name="Rauta Oy", nace_code="24.10")
    site = SiteFactory(company=steelworks, city="Harjavalta", latitude=61.31, longitude=22.14)
    steel = MatchFactory(
        offer=ListingFactory(company=steelworks, site=site, title="Steel scrap",
                             category="ferrous-metals", ewc_code="120101",
                             amount_per_year=20000.0),
        want=ListingFactory(kind="want", company=partner.company, site=partner.site,
                            title="Scrap for the kiln", category="ferrous-metals",
                            ewc_code="120101", amount_per_year=8000.0),
        score=0.55, distance_km=48.0)
    sawmill = CompanyFactory(name="Saha Oy", nace_code="16.10")
    mill_site = SiteFactory(company=sawmill, city="Kankaanpää", latitude=61.80,
                            longitude=22.39)
    wood = MatchFactory(
        offer=ListingFactory(company=sawmill, site=mill_site, title="Wood chips",
                             category="wood", ewc_code="030105", amount_per_year=4000.0),
        want=ListingFactory(kind="want", company=owner.company, site=owner.site,
                            title="Biomass for the boiler", category="wood",
                            ewc_code="030105", amount_per_year=6000.0),
        score=0.62, distance_km=37.0)
    return ash, steel, wood


def test_reviewer_filters_decides_introduces_and_acts_in_bulk(browser, live_server, reviewer,
                                                             region_pairs, owner, partner):
    ash, steel, wood = region_pairs
    context, page = _login(browser, live_server, reviewer.user.email)
    body = page.locator("body")
    try:
        # 1. The queue is the reviewer's home: every pair of the region, both firms named.
        page.goto("/agency/")
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        expect(page.locator("#queue-total")).to_contain_text("3 matches")
        expect(body).to_contain_text(owner.company.name)
        expect(body).to_contain_text("Rauta Oy")
        _shot(page, 1, "queue")

        # 2. Filter by material category and sort by estimated impact.
        page.get_by_label("Material category").select_option("ferrous-metals")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("#queue-total")).to_contain_text("1 match")
        expect(body).to_contain_text("Steel scrap")
        expect(body).not_to_contain_text(owner.listing.title)
        _shot(page, 2, "queue-filtered")
        page.get_by_role("link", name="Clear").click()
        page.get_by_label("Sort by").select_option("impact")
        page.get_by_role("button", name="Filter").click()
        rows = page.locator("table.queue tbody tr")
        expect(rows.first).to_contain_text("Steel scrap")  # 8000 t of steel saves most

        # 3. The pair page: both firms, the score breakdown, the two sites.
        page.get_by_role("link", name=owner.listing.title).click()
        expect(page).to_have_url(re.compile(rf"/agency/pairs/{ash.offer_id}/{ash.want_id}/"))
        expect(body).to_contain_text(partner.company.name)
        expect(page.locator("#score-breakdown")).to_be_visible()
        # Leaflet draws the two sites without tiles; the SVG drawing is the fallback.
        expect(page.locator("#pair-map")).to_have_attribute("data-map-ready", "2")
        expect(page.locator("#pair-map .leaflet-interactive")).to_have_count(3)
        expect(page.locator("#site-map svg.site-plot circle")).to_have_count(2)
        expect(page.locator("#impact-formula")).to_contain_text("942 kg CO2e/t")

        # 4. Approve.
        page.get_by_role("button", name="Approve").click()
        expect(page.locator("#review-status")).to_have_text("Approved")
        expect(page.locator("#decision-history")).to_contain_text(reviewer.user.email
                                                                  if not reviewer.user.full_name
                                                                  else reviewer.user.full_name)
        _shot(page, 3, "pair-approved")

        # 5. Reject with a reason and a note: the history keeps both decisions.
        page.locator("#reject summary").click()
        page.locator("#reject").get_by_label("Reason").select_option("hazard")
        page.locator("#reject").get_by_label("Note").fill("The receiver lacks the permit.")
        page.locator("#reject").get_by_role("button", name="Reject").click()
        expect(page.locator("#review-status")).to_have_text("Rejected")
        expect(page.locator("#decision-history li")).to_have_count(2)
        expect(page.locator("#decision-history")).to_contain_text("Hazard or permit issue")
        _shot(page, 4, "pair-rejected")

        # 6. Introduce the steel pair's firms.
        page.goto(f"/agency/pairs/{steel.offer_id}/{steel.want_id}/")
        page.locator("#introduce summary").click()
        page.get_by_label("Introduction").fill("Your scrap could feed their kiln; shall we "
                                               "meet?")
        page.get_by_role("button", name="Introduce", exact=True).click()
        expect(page.locator("#review-status")).to_have_text("Introduced")
        expect(page.locator("#review-contact")).to_contain_text("introduced")
        _shot(page, 5, "pair-introduced")
        contact = Contact.objects.get(offer=steel.offer, want=steel.want)
        assert contact.introduced_by == reviewer.agency

        # 7. Bulk: hold the two remaining pairs at once.
        page.goto("/agency/")
        page.locator(f"#pick-{ash.offer_id}-{ash.want_id}").check()
        page.locator(f"#pick-{wood.offer_id}-{wood.want_id}").check()
        page.get_by_label("With the selected").select_option("hold")
        page.get_by_role("button", name="Apply to selected").click()
        expect(body).to_contain_text("2 matches updated.")
        expect(page.locator(f"#row-{wood.offer_id}-{wood.want_id}")).to_contain_text("On hold")
        expect(page.locator(f"#row-{ash.offer_id}-{ash.want_id}")).to_contain_text("On hold")
        _shot(page, 6, "queue-bulk-held")
        assert Decision.objects.filter(decision="hold").count() == 2
    finally:
        context.close()

    # 8. The partner (the want side of the steel pair) sees the agency named, not the firm.
    context, firm_page = _login(browser, live_server, partner.user.email)
    try:
        firm_page.goto(f"/exchanges/contacts/{contact.pk}/")
        expect(firm_page.locator("#introduction")).to_contain_text(
            f"Introduced by {reviewer.agency.name}")
        expect(firm_page.locator("body")).not_to_contain_text("Rauta Oy")
        _shot(firm_page, 7, "firm-introduction")
    finally:
        context.close()
