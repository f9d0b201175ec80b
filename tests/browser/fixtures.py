"""The session's Chromium (Playwright, Debian's package): one for every browser test.

Imported by tests/conftest.py, so that the browser tests of every app share this one
session fixture (two definitions would start Playwright twice in one thread).

Browser tests never skip: a missing or broken Chromium fails them with a clear message.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in this thread; Django would otherwise
# refuse the ORM calls the tests make to seed and check the database.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:  # pragma: no cover - the test extra is not installed
        pytest.fail(f"Playwright is not installed ({exc}); run `make install`.", pytrace=False)
    executable = str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(
                f"Could not start Chromium for the browser tests "
                f"({executable or 'Playwright bundled build'}): {exc}\n"
                "Install it with `make browser` (Debian's chromium package, or "
                "`python -m playwright install chromium`).",
                pytrace=False,
            )
        yield chromium
        chromium.close()
