"""A firm types a listing and takes one of the suggested EWC codes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from matching.models import Listing
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def brewer(transactional_db):
    user = UserFactory(email="brewer@brewery.example")
    company = CompanyFactory(name="Panimo Oy", nace_code="11.05")
    MembershipFactory(user=user, company=company)
    SiteFactory(company=company, name="Brewhouse", city="Pori", latitude=61.4851,
                longitude=21.7974)
    return user


def test_typing_a_listing_suggests_codes_and_use_fills_the_field(brewer, page):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(brewer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/portal/listings/new/")

    box = page.locator("[data-ewc-suggest]")
    expect(box.locator("[data-suggest-submit]")).to_be_hidden()  # JavaScript refreshes it
    page.get_by_label("Title").fill("Brewers' spent grain")
    page.get_by_label("Description").fill("Wet spent grain from our brewhouse, daily.")

    first = box.locator("[data-ewc-suggestion]").first
    expect(first).to_have_attribute("data-ewc-suggestion", "020799")
    expect(box).to_contain_text("Hazardous?")
    box.screenshot(path="/tmp/ewc-suggestions.png")
    first.get_by_role("button", name="Use this code").click()

    expect(page.get_by_label("EWC code")).to_have_value("02 07 99")
    assert Listing.objects.count() == 0  # only saving sets the code
    page.get_by_label("Quantity").fill("5")
    page.get_by_label("Unit").fill("t")
    page.get_by_role("button", name="Publish listing").click()

    expect(page.get_by_role("heading", name="Brewers' spent grain", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/portal/listings/\d+/$"))
    assert Listing.objects.get().ewc_code == "020799"


def test_enter_in_the_title_saves_rather_than_taking_a_suggestion(brewer, page):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(brewer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/portal/listings/new/")
    page.get_by_label("Quantity").fill("5")
    page.get_by_label("Unit").fill("t")
    page.get_by_label("Title").fill("Brewers' spent grain")
    expect(page.locator("[data-ewc-suggestion]").first).to_be_visible()

    page.get_by_label("Title").press("Enter")

    expect(page.get_by_role("heading", name="Brewers' spent grain", level=1)).to_be_visible()
    assert Listing.objects.get().ewc_code == ""  # no code taken without the firm choosing
