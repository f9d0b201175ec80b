"""``tests.waiting.wait_until``: returns on the condition, fails the test on the deadline."""

from __future__ import annotations

import threading
import time

import pytest

from tests.waiting import wait_until


def test_returns_as_soon_as_the_condition_holds():
    calls = []

    def third_time() -> bool:
        calls.append(1)
        return len(calls) == 3

    wait_until(third_time, timeout=10, interval=0)
    assert len(calls) == 3


def test_waits_for_another_thread():
    done = threading.Event()
    threading.Timer(0.05, done.set).start()
    wait_until(done.is_set, timeout=10, interval=0.01)
    assert done.is_set()


def test_fails_the_test_at_the_deadline_with_the_message_built_then():
    built = []

    def message() -> str:
        built.append(1)
        return "still not ready"

    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="still not ready"):
        wait_until(lambda: False, timeout=0.1, interval=0.01, message=message)
    assert time.monotonic() - started >= 0.1
    assert built == [1]


def test_an_error_in_the_condition_ends_the_wait():
    def broken() -> bool:
        raise RuntimeError("worker died")

    with pytest.raises(RuntimeError, match="worker died"):
        wait_until(broken, timeout=10)
