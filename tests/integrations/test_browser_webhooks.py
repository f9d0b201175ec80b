"""The webhooks page in a browser: an endpoint disabled after a day of failures shows a
notice, its owner enables it again; exchange events are offered. Screenshots go into
``test-output/integrations/`` (``TEST_OUTPUT_DIR`` to put it elsewhere)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.browser.fixtures import DESKTOP
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

OUT = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "integrations"


def test_a_disabled_endpoint_is_announced_and_enabled_again(browser, live_server,
                                                            transactional_db, owner):
    endpoint = WebhookEndpoint.objects.create(
        company=owner.company, url="https://erp.example.com/hooks",
        events=["contact.requested", "delivery.recorded"], secret="s" * 64,
        failing_since=timezone.now(), disabled_at=timezone.now(),
        disabled_reason="Disabled after failing for a day (last: 503).")
    WebhookDelivery.objects.create(endpoint=endpoint, event="contact.requested",
                                   payload={"contact_id": 1}, attempts=12, last_status=503)
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("E-mail address").fill(owner.user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/portal/$"))
        page.goto("/accounts/company/webhooks/")
        expect(page.get_by_role("alert")).to_contain_text("was disabled after failing for a day")
        expect(page.get_by_label("contact.requested")).to_be_visible()
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / "01-webhook-disabled.png"), full_page=True)
        page.get_by_role("button", name="Enable again").click()
        expect(page.get_by_text("The endpoint is enabled again.")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)
        page.screenshot(path=str(OUT / "02-webhook-enabled.png"), full_page=True)
    finally:
        context.close()
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None
