"""The collector pause of bulk work (``matching.engine.batch``)."""

from __future__ import annotations

import gc
import threading

import pytest

from matching.engine.batch import collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_collector_is_paused_inside_and_runs_again_after():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_end_with_the_outermost():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_an_error_inside_still_ends_the_pause():
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_overlapping_pauses_on_threads_end_with_the_last():
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    inside.wait(10)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the thread's pause is still on
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_as_a_decorator():
    @collector_paused()
    def work() -> bool:
        return gc.isenabled()

    assert work() is False
    assert gc.isenabled()
