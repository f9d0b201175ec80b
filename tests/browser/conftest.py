"""Browser tests: a page on pytest-django's live server in the session's Chromium.

Browser tests never skip: a missing or broken Chromium fails them with a clear message
(``tests/browser/fixtures.py``, whose ``browser`` fixture tests/conftest.py provides).
"""

from __future__ import annotations

import pytest

from tests.browser.fixtures import DESKTOP, PHONE  # noqa: F401 - the tests' viewports


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()
