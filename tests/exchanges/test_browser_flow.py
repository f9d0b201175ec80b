"""Two firms in two browsers, from a match to an active agreement with deliveries.

At each step the test checks what each side may and may not see, and saves a screenshot
into ``test-output/exchanges/`` (``TEST_OUTPUT_DIR`` to put it elsewhere).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from exchanges.models import Agreement, Contact, Delivery
from tests.browser.fixtures import DESKTOP
from tests.exchanges.factories import MatchFactory
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

OUT = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "exchanges"


@pytest.fixture
def two_firms(browser, live_server, transactional_db, owner, partner):
    """(supplier page, taker page), each logged in in its own browser context."""
    pages = []
    contexts = []
    for persona in (owner, partner):
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP,
                                      locale="en-GB")
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("E-mail address").fill(persona.user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/portal/$"))
        pages.append(page)
        contexts.append(context)
    yield pages
    for context in contexts:
        context.close()


def _shot(page, step: int, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{step:02d}-{name}.png"), full_page=True)


def test_from_match_to_deliveries_in_two_browsers(two_firms, owner, partner):
    supplier, taker = two_firms
    match = MatchFactory(offer=owner.listing, want=partner.listing)
    body_s, body_t = supplier.locator("body"), taker.locator("body")

    # 1. The taker opens the match from its dashboard: the supplier is anonymous.
    taker.goto("/portal/")
    taker.get_by_role("link", name=owner.listing.title).first.click()
    expect(taker).to_have_url(re.compile(rf"/exchanges/matches/{match.pk}/$"))
    expect(body_t).to_contain_text("40–45 km")
    expect(body_t).not_to_contain_text(owner.company.name)
    expect(body_t).not_to_contain_text(owner.site.name)
    _shot(taker, 1, "taker-match")

    # 2. The taker requests contact.
    taker.get_by_label("Message").fill("We could take all of your fly ash for CEM II.")
    taker.get_by_role("button", name="Request contact").click()
    contact = Contact.objects.get()
    expect(taker).to_have_url(re.compile(rf"/exchanges/contacts/{contact.pk}/$"))
    expect(taker.locator("#contact-state")).to_have_text("Requested")
    _shot(taker, 2, "taker-requested")

    # 3. The supplier sees the request and the listing, not who asks.
    supplier.goto("/exchanges/contacts/")
    supplier.get_by_role("link", name=re.compile(re.escape(owner.listing.title))).click()
    expect(body_s).to_contain_text("We could take all of your fly ash")
    expect(body_s).to_contain_text(partner.listing.title)
    expect(body_s).not_to_contain_text(partner.company.name)
    expect(body_s).not_to_contain_text(partner.user.email)
    _shot(supplier, 3, "supplier-request")

    # 4. Acceptance reveals names, sites and contact persons to both.
    supplier.get_by_role("button", name="Accept").click()
    expect(supplier.locator("#contact-state")).to_have_text("Accepted")
    expect(body_s).to_contain_text(partner.company.name)
    expect(body_s).to_contain_text(partner.user.email)
    taker.reload()
    expect(body_t).to_contain_text(owner.company.name)
    expect(body_t).to_contain_text(owner.site.name)
    _shot(supplier, 4, "supplier-accepted")

    # 5. Messages with an attachment.
    supplier.get_by_label("Message").fill("Here is our specification sheet.")
    supplier.get_by_role("button", name="Send").click()
    supplier.get_by_label("File").set_input_files(
        {"name": "fly-ash-spec.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 ash"})
    supplier.get_by_label("Kind").select_option("specification")
    supplier.get_by_role("button", name="Attach").click()
    expect(body_s).to_contain_text("File attached.")
    taker.reload()
    expect(body_t).to_contain_text("Here is our specification sheet.")
    link = taker.get_by_role("link", name="fly-ash-spec.pdf")
    expect(link).to_be_visible()
    with taker.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "fly-ash-spec.pdf"
    _shot(taker, 5, "taker-thread")

    # 6. The taker drafts an agreement and edits it twice.
    taker.get_by_role("link", name="Draft an agreement").click()
    taker.get_by_label("Price per unit").fill("-12.50")
    taker.get_by_label("Start date").fill(dt.date.today().isoformat())
    taker.get_by_role("button", name="Save draft").click()
    agreement = Agreement.objects.get()
    expect(taker.locator("#agreement-state")).to_have_text("Draft")
    edit = taker.locator("form", has=taker.get_by_role("button", name="Save changes"))
    edit.get_by_label("Price per unit").fill("-10.00")
    edit.get_by_role("button", name="Save changes").click()
    edit = taker.locator("form", has=taker.get_by_role("button", name="Save changes"))
    edit.get_by_label("Quantity").fill("2500")
    edit.get_by_role("button", name="Save changes").click()
    expect(taker.locator("#version-3")).to_be_visible()
    expect(taker.locator("#version-3")).to_contain_text("2500")
    _shot(taker, 6, "taker-three-versions")

    # 7. Proposed and signed by the taker; the supplier sees the diff and signs too.
    taker.get_by_role("button", name="Propose").click()
    taker.get_by_role("button", name="Sign version 3").click()
    expect(taker.locator("#signed-by-us")).to_be_visible()
    supplier.goto(f"/exchanges/agreements/{agreement.pk}/")
    expect(supplier.locator("#signed-by-them")).to_be_visible()
    expect(supplier.locator("#version-2 del")).to_contain_text("-12.50")
    supplier.get_by_role("button", name="Sign version 3").click()
    expect(supplier.locator("#agreement-state")).to_have_text("Signed")
    _shot(supplier, 7, "supplier-signed")

    # 8. The start date has come: confirming the start activates it.
    supplier.get_by_role("button", name="Confirm start").click()
    expect(supplier.locator("#agreement-state")).to_have_text("Active")

    # 9. Two deliveries recorded by the supplier, confirmed by the taker.
    for day, tonnes in ((1, "100"), (2, "150")):
        form = supplier.locator("form", has=supplier.get_by_role("button",
                                                                 name="Record a delivery"))
        form.get_by_label("Date").fill((dt.date.today() + dt.timedelta(days=day)).isoformat())
        form.get_by_label("Quantity").fill(tonnes)
        form.get_by_label("Unit").select_option("t")
        form.get_by_role("button", name="Record a delivery").click()
        expect(supplier.locator("body")).to_contain_text("Delivery recorded")
    expect(supplier.get_by_role("button", name="Confirm", exact=True)).to_have_count(0)
    taker.goto(f"/exchanges/agreements/{agreement.pk}/")
    for _ in range(2):
        taker.get_by_role("button", name="Confirm", exact=True).first.click()
        expect(taker.locator("body")).to_contain_text("Delivery confirmed.")
    expect(taker.locator("#delivery-totals")).to_contain_text("Confirmed 250 t")
    _shot(taker, 9, "taker-deliveries")
    assert sorted(Delivery.objects.values_list("state", flat=True)) == ["confirmed",
                                                                        "confirmed"]
