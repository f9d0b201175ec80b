"""The collector pause of bulk work and the forked helpers (``matching.engine.runtime``)."""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import threading

import numpy as np
import pytest

from matching.engine import ForkedBatches, can_fork, collector_paused


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


def _square_sums(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) ** 2


def test_forked_helpers_give_every_result_in_order():
    items = list(range(1, 40))
    with ForkedBatches(_square_sums, items, helpers=2) as work:
        found = work.results()
    assert work.helpers == 2 and work.failures == []
    assert [r.tolist() for r in found] == [_square_sums(n).tolist() for n in items]
    assert work.peak_rss_mb > 0


def _helper_took_an_item():
    """An event a forked helper sets when it starts an item (shared through the fork)."""
    return mp.get_context("fork").Event()


def _after_a_helper(parent: int, taken, function):
    # This process computes nothing before a helper has taken an item, so that the helpers
    # surely take some however slowly they start.
    def run(_item):
        if os.getpid() == parent:
            assert taken.wait(10), "no helper took an item"
        else:
            taken.set()
        return function()

    return run


def test_forked_helpers_share_the_items():
    parent = os.getpid()
    taken = _helper_took_an_item()
    with ForkedBatches(_after_a_helper(parent, taken, os.getpid), list(range(40)),
                       helpers=1) as work:
        pids = work.results()
    assert len(pids) == 40
    assert any(pid != parent for pid in pids)  # the helper took some


def test_an_item_whose_helper_failed_is_computed_here():
    parent = os.getpid()

    taken = _helper_took_an_item()

    def flaky(i: int) -> int:
        if os.getpid() != parent:
            taken.set()
            raise RuntimeError(f"helper cannot do {i}")
        assert taken.wait(10), "no helper took an item"
        return i * 10

    with ForkedBatches(flaky, list(range(12)), helpers=2) as work:
        found = work.results()
    assert found == [i * 10 for i in range(12)]
    assert work.failures and all("helper cannot do" in f for f in work.failures)


def test_an_item_whose_helper_died_is_computed_here():
    parent = os.getpid()

    taken = _helper_took_an_item()

    def deadly(i: int) -> int:
        if os.getpid() != parent:
            taken.set()
            os._exit(3)  # killed mid-item: no error is sent
        assert taken.wait(10), "no helper took an item"
        return i + 1

    with ForkedBatches(deadly, list(range(6)), helpers=1) as work:
        found = work.results()
    assert found == [1, 2, 3, 4, 5, 6]
    assert work.failures == ["a helper process ended without finishing"]


def test_helpers_are_forked_from_a_daemonic_process_too(monkeypatch):
    # A Celery prefork worker's child is daemonic: multiprocessing would refuse there.
    monkeypatch.setattr(mp.current_process(), "_config",
                        {**mp.current_process()._config, "daemon": True})
    parent = os.getpid()
    taken = _helper_took_an_item()
    with ForkedBatches(_after_a_helper(parent, taken, os.getpid), list(range(20)),
                       helpers=1) as work:
        pids = work.results()
    assert work.helpers == 1 and any(pid != parent for pid in pids)


def test_a_system_without_fork_computes_everything_here(monkeypatch):
    monkeypatch.delattr(os, "fork")
    assert not can_fork()
    parent = os.getpid()
    with ForkedBatches(lambda _: os.getpid(), [1, 2, 3], helpers=2) as work:
        assert work.results() == [parent] * 3
    assert work.helpers == 0


def test_helpers_left_by_an_error_are_stopped_and_reaped():
    parent = os.getpid()
    taken = _helper_took_an_item()

    def endless(_item):
        if os.getpid() != parent:
            taken.set()
            while True:
                signal.pause()  # mid-item until killed
        # Fail only once a helper is busy, so the block ends with work still running.
        assert taken.wait(10), "no helper took an item"
        raise ValueError("this process failed")

    with pytest.raises(ValueError, match="this process failed"):
        with ForkedBatches(endless, [1, 2, 3], helpers=2) as work:
            work.results()
    for pid in work._pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: no child of that pid is left
