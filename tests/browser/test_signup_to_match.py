"""A new firm signs up, adds a site, lists fly ash and sees the cement works' want."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from matching import disclosure
from matching.models import Listing, Match
from tests.browser.fixtures import PHONE
from tests.factories import CompanyFactory, ListingFactory, SiteFactory

pytestmark = pytest.mark.browser

SECRET_NAME = "Kallio Cement Oy"


@pytest.fixture
def cement_want(transactional_db):
    """A cement works in Ulvila, 10 km from Pori, wanting fly ash (seeded before the browser)."""
    company = CompanyFactory(name=SECRET_NAME, nace_code="23.51")
    site = SiteFactory(company=company, name="Ulvila cement works", city="Ulvila",
                       latitude=61.4285, longitude=21.8706)
    return ListingFactory(
        company=company, site=site, kind=Listing.Kind.WANT,
        title="Fly ash for blended cement",
        description="We take pozzolanic coal fly ash to replace part of the clinker in CEM II.",
        quantity=3000, amount_per_year=3000.0,
    )


def test_firm_signs_up_lists_offer_and_sees_match(cement_want, page, live_server):
    page.goto("/")
    page.get_by_role("link", name="Sign up your company").first.click()

    page.get_by_label("E-mail address").fill("eeva@porienergia.example")
    page.get_by_label("Your name").fill("Eeva Mäkinen")
    page.get_by_label("Password", exact=True).fill("ash-to-cement-2026")
    page.get_by_label("Password again").fill("ash-to-cement-2026")
    page.get_by_label("Company name").fill("Porin Energia Oy")
    page.get_by_label("Sector (NACE Rev. 2 code)").fill("35.11")
    page.get_by_role("button", name="Create account").click()

    # The same page whether the address had an account: check the mailbox, then log in.
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("E-mail address").fill("eeva@porienergia.example")
    page.get_by_label("Password").fill("ash-to-cement-2026")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_text("No listings yet")).to_be_visible()
    page.get_by_role("link", name="Add your first site").click()

    page.get_by_label("Site name").fill("Pori power plant")
    page.get_by_label("Town or city").fill("Pori")
    page.get_by_label("Country").select_option(label="Finland")
    page.get_by_role("button", name="Add site").click()

    # Back on the listing form, as the site form was opened from it.
    expect(page.get_by_text(re.compile(r"saved at 61\.4\d+, 21\.7\d+"))).to_be_visible()
    page.get_by_label("An offer").check()
    page.get_by_label("Title").fill("Coal fly ash")
    page.get_by_label("Description").fill(
        "Dry fly ash from the electrostatic precipitators of our coal-fired boiler."
    )
    page.get_by_label("Material category").select_option("ash")
    page.get_by_label("EWC code").fill("10 01 02")
    page.get_by_label("Quantity").fill("4000")
    page.get_by_label("Unit").fill("t")
    page.get_by_label("Frequency").select_option("yearly")
    page.get_by_label("Physical state").select_option("solid")
    page.get_by_role("button", name="Publish listing").click()

    expect(page.get_by_role("heading", name="Coal fly ash", level=1)).to_be_visible()
    match = Match.objects.get(want=cement_want)
    assert match.offer.title == "Coal fly ash"
    card = page.locator(f"#match-{match.pk}")
    expect(card).to_contain_text("Fly ash for blended cement")
    expect(card).to_contain_text("Manufacture of other non-metallic mineral products")
    # One cement works in Ulvila: the town would name it, so the area is coarsened.
    expect(card).not_to_contain_text("Ulvila")
    expect(card).to_contain_text("FI")
    # The explanation as a counterpart reads it: the exact distance and share coarsened.
    shown = disclosure.explanation_text(
        match.explanation,
        disclosure.distance_band(disclosure.snapped_distance_km(match.offer.site, match.want.site)),
        quantity=match.components["quantity"], viewer_offers=True,
    )
    expect(card.locator(".why")).to_have_text(re.compile(re.escape(shown), re.I))
    expect(card.locator(".why")).not_to_contain_text(match.explanation)
    expect(page.locator("body")).not_to_contain_text(SECRET_NAME)
    # One partner passes the quality floor: the page says so rather than padding the list,
    # and the card shows no bar for the semantic component, which is off.
    expect(page.locator(".quality-note")).to_contain_text(
        "1 partner above the quality floor")
    expect(page.locator(".quality-note")).to_contain_text("weaker pairings are not shown")
    expect(card.locator("table.bars")).not_to_contain_text("Semantic")
    page.screenshot(path="/tmp/portal-listing.png", full_page=True)
    page.locator(".matches-section").screenshot(path="/tmp/portal-listing-floor.png")

    page.get_by_role("link", name="Dashboard", exact=True).first.click()
    row = page.locator("table.matches tbody tr").first
    expect(row).to_contain_text("Fly ash for blended cement")
    expect(row).to_contain_text(f"{round(disclosure.rounded(match.score) * 100)}%")
    expect(page.locator("body")).not_to_contain_text(SECRET_NAME)
    page.screenshot(path="/tmp/portal-dashboard.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    expect(row).to_be_visible()
    # On a phone nothing may stick out sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path="/tmp/portal-dashboard-phone.png", full_page=True)
