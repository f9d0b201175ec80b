"""A firm imports listings from a CSV: preview with a row error, confirm, progress, result.

Screenshots of each step go to ``test-output/matching/`` (``TEST_OUTPUT_DIR`` to put
them elsewhere).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from matching import tasks
from matching.imports import services
from matching.imports.services import import_job_run
from matching.models import ImportJob, Listing
from tests.browser.fixtures import DESKTOP
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

OUT = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "matching"

CSV = (
    "external_id;kind;title;site;ewc_code;quantity;unit;physical_state\n"
    "ASH-1;offer;Coal fly ash;Harbour Power Oy works;10 01 02;400;t/month;solid\n"
    "ASH-2;offer;Boiler bottom ash;;10 01 01;120;t/month;solid\n"
    "SLG-1;offer;Flue gas sludge;;;5;tons/fortnight;sludge\n"
    "GYP-1;want;Gypsum for boards;;;30;t/week;solid\n"
)


def _shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"import-{name}.png"), full_page=True)


@pytest.fixture
def firm_page(browser, live_server, transactional_db, owner):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(owner.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    yield page
    context.close()


def test_upload_preview_with_a_row_error_confirm_and_progress_to_done(
        firm_page, owner, monkeypatch, tmp_path):
    page = firm_page
    # Hold the tasks back so the page shows each progress bar before the work is done;
    # a file of more than 3 rows is checked by a task here (500 in production).
    checks: list[int] = []
    queued: list[int] = []
    monkeypatch.setattr(services, "INLINE_CHECK_ROWS", 3)
    monkeypatch.setattr(tasks.check_import, "delay_on_commit", checks.append)
    monkeypatch.setattr(tasks.run_import, "delay_on_commit", queued.append)
    upload = tmp_path / "our-listings.csv"
    upload.write_text(CSV, encoding="utf-8")

    page.get_by_role("link", name="Import from a spreadsheet").click()
    expect(page.get_by_role("heading", name="Import listings", level=1)).to_be_visible()
    expect(page.locator("#imports")).to_contain_text("No imports yet.")
    _shot(page, "1-upload")

    page.get_by_label("CSV or Excel file").set_input_files(str(upload))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="our-listings.csv", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Checking the rows")).to_be_visible()
    _shot(page, "2-checking")

    # The worker checks the rows; the page's poll notices and shows the preview.
    [check_id] = checks
    services.import_job_check(job_id=check_id)
    counts = page.locator("#preview-counts")
    expect(counts).to_contain_text("3 new")
    expect(counts).to_contain_text("1 with errors")
    bad = page.locator("#preview-row-4")
    expect(bad).to_contain_text("Unknown unit 'tons/fortnight'")
    expect(page.locator("#row-errors")).to_contain_text("unit")
    assert not Listing.objects.filter(external_id="ASH-1").exists()
    _shot(page, "2b-preview")

    page.get_by_role("button", name="Confirm import").click()
    progress = page.locator("#import-progress")
    expect(progress).to_be_visible()
    expect(page.locator("#import-status")).to_have_text("Queued")
    _shot(page, "3-progress-queued")

    # The worker applies a first chunk: the poll moves the bar half-way.
    [job_id] = queued
    services._run_chunk(job_id=job_id, chunk_rows=2, run=None)
    expect(page.locator("#import-progress-text")).to_have_text("2 of 4 rows")
    expect(page.locator("#import-status")).to_have_text("Running")
    assert progress.evaluate("bar => bar.value") == 50
    _shot(page, "3-progress-half")

    # It finishes; the page's poll notices and shows the result.
    import_job_run(job_id=job_id, chunk_rows=2)
    result = page.locator("#result-counts")
    expect(result).to_contain_text("3 created", timeout=15_000)
    expect(result).to_contain_text("1 skipped with errors")
    expect(page.locator("#import-status")).to_have_text("Done")
    _shot(page, "4-result")

    assert ImportJob.objects.get(pk=job_id).status == "done"
    ash = Listing.objects.get(company=owner.company, external_id="ASH-1")
    assert (ash.unit, ash.frequency) == ("t", "monthly")

    page.get_by_role("link", name="Imports").click()
    expect(page.locator("#imports")).to_contain_text("our-listings.csv")
    expect(page.locator("#imports")).to_contain_text("Done")
    _shot(page, "5-list")
