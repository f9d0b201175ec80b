"""Waiting in tests on a condition, never on a fixed pause.

A fixed sleep is either too short on a loaded machine (the test fails for nothing) or
longer than needed everywhere else. Where another thread or process can signal, tests use
an event; where only polling can tell (another database session, a worker process), they
poll a condition with a deadline through ``wait_until``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> None:
    """Return as soon as ``condition()`` is true; fail the test after ``timeout`` seconds.

    ``message`` (or the string it returns, built only on failure, e.g. a worker's log)
    explains the failure. An exception from ``condition`` ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            pytest.fail(text or f"condition not met within {timeout:g} s")
        time.sleep(interval)  # the polling interval, not a guess at how long things take
