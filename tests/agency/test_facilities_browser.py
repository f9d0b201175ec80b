"""Agency staff import the E-PRTR register: upload, preview with a row error and the years
left out, confirm, progress, result, the unclaimed profiles; a firm then sees an
indicative estimate among its matches, without the unclaimed firm's name.

Screenshots of each step go to ``test-output/agency/`` (``TEST_OUTPUT_DIR`` to put them
elsewhere).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agency.models import Facility
from matching import tasks
from matching.imports.services import _run_chunk, import_job_run
from matching.models import ImportJob, Match
from tests.agency.facility_helpers import csv_bytes, satakunta_rows
from tests.browser.fixtures import DESKTOP
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

OUT = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "agency"


def _shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"facilities-{name}.png"), full_page=True)


def _logged_in(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return context, page


def _register_file(tmp_path) -> tuple[Path, int, str]:
    """Three facilities with several reporting years, a combustion plant in Pori (whose ash
    estimate meets the partner's want) and one broken row. Returns the file, its number
    of facilities and the plant's id."""
    every = satakunta_rows()
    plant = next(r["facility_id"] for r in every if r["eprtr_activity_code"] == "1(c)"
                 and r["town"] == "Pori" and r["non_hazardous_t"])
    rows = satakunta_rows(facilities=3) + [r for r in every if r["facility_id"] == plant]
    broken = dict(rows[0], facility_id="FI.TEST/broken", lat="sixty-one")
    path = tmp_path / "eprtr-satakunta.csv"
    path.write_bytes(csv_bytes([*rows, broken]))
    return path, len({r["facility_id"] for r in rows}), plant


def test_upload_preview_confirm_progress_and_the_unclaimed_profiles(
        browser, live_server, transactional_db, reviewer, partner, monkeypatch, tmp_path):
    # Hold the task back so the page shows the progress bar before the rows are applied.
    queued: list[int] = []
    monkeypatch.setattr(tasks.run_import, "delay_on_commit", queued.append)
    upload, facilities, plant = _register_file(tmp_path)
    context, page = _logged_in(browser, live_server, reviewer.user)

    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", name="Profiles from the facility register")).to_be_visible()
    page.get_by_role("link", name="Import a register").click()
    expect(page.get_by_role("heading", name="Import a facility register")).to_be_visible()
    _shot(page, "1-upload")

    page.get_by_label("CSV or Excel file").set_input_files(str(upload))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="eprtr-satakunta.csv", level=1)).to_be_visible()
    counts = page.locator("#preview-counts")
    expect(counts).to_contain_text(f"{facilities} new")
    expect(counts).to_contain_text("1 with errors")
    expect(page.locator("#row-errors")).to_contain_text("lat")
    expect(page.locator("#skipped")).to_contain_text("earlier reporting years")
    assert not Facility.objects.exists()
    _shot(page, "2-preview")

    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#import-status")).to_have_text("Queued")
    _shot(page, "3-progress-queued")

    [job_id] = queued
    total = ImportJob.objects.get(pk=job_id).total
    _run_chunk(job_id=job_id, chunk_rows=10, run=None)
    expect(page.locator("#import-progress-text")).to_have_text(f"10 of {total} rows")
    expect(page.locator("#import-status")).to_have_text("Running")
    _shot(page, "3-progress-running")

    import_job_run(job_id=job_id, chunk_rows=10)
    result = page.locator("#result-counts")
    expect(result).to_contain_text(f"{facilities} created", timeout=15_000)
    expect(result).to_contain_text("1 skipped with errors")
    expect(page.locator("#import-status")).to_have_text("Done")
    _shot(page, "4-result")

    page.get_by_role("link", name="Unclaimed profiles").click()
    table = page.locator("table.facility-profiles")
    expect(table.locator("tbody tr")).to_have_count(facilities)
    plant_company = Facility.objects.get(facility_id=plant).company
    row = page.locator(f"#profile-{plant_company.pk}")
    expect(row).to_contain_text(plant_company.name)
    expect(row).to_contain_text("unclaimed")
    row.get_by_label("Claim e-mail domain").fill("porienergia.example")
    row.get_by_role("button", name="Set domain").click()
    expect(page.locator(f"#domain-{plant_company.pk}")).to_have_value("porienergia.example")
    _shot(page, "5-profiles")
    context.close()

    # The partner's want met the plant's ash estimate: marked indicative, never named.
    match = Match.objects.get(want=partner.listing, offer__company=plant_company)
    context, page = _logged_in(browser, live_server, partner.user)
    page.goto(f"/portal/listings/{partner.listing.pk}/")
    card = page.locator(f"a[href='/exchanges/matches/{match.pk}/']").first
    expect(card).to_be_visible()
    expect(page.get_by_text("indicative").first).to_be_visible()
    assert plant_company.name not in page.content()
    _shot(page, "6-firm-sees-an-indicative-match")
    context.close()


def test_a_firm_claims_its_profile_with_an_address_at_its_domain(
        browser, live_server, transactional_db, reviewer):
    from django.core import mail

    from accounts.claims import company_set_claim_domain

    row = max(satakunta_rows(facilities=1), key=lambda r: int(r["year"]))
    from agency.facilities import mapping
    from agency.facilities.services import facility_import_row

    company = facility_import_row(row=mapping.facility_row_read(row), agency=reviewer.agency,
                                  user=reviewer.user).facility.company
    company_set_claim_domain(company=company, domain="firm-domain.example")
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Claim it").click()
    page.get_by_label("Your work e-mail address").fill("anna@gmail.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("No profile waiting to be claimed")).to_be_visible()
    _shot(page, "7-claim-wrong-domain")
    page.get_by_label("Your work e-mail address").fill("anna@firm-domain.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("#claim-sent")).to_contain_text("anna@firm-domain.example")
    assert company.name not in page.content()
    _shot(page, "8-claim-sent")

    link = re.search(r"http://\S+/accounts/claim/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text(company.name)
    page.get_by_label("Your name").fill("Anna Aalto")
    page.get_by_label("Password", exact=True).fill("kivi-hiili-2026")
    page.get_by_label("Password again").fill("kivi-hiili-2026")
    _shot(page, "9-claim-link")
    page.get_by_role("button", name="Create account and claim").click()
    expect(page).to_have_url(re.compile(r"/accounts/company/$"))
    expect(page.locator(".messages")).to_contain_text("is yours")
    _shot(page, "10-claimed")
    company.refresh_from_db()
    assert company.claimed
    context.close()
