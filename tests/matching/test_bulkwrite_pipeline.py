"""The chunk pipeline of the bulk writer: chunks stored in order by a second thread,
errors from either side raised to the caller, nothing stored after a failure."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from matching.bulkwrite import _pipelined


def test_every_chunk_is_stored_in_order_and_the_counts_summed():
    stored, threads = [], set()

    def store(text):
        stored.append(text)
        threads.add(threading.current_thread().name)
        return len(text)

    assert _pipelined(iter(["a", "bb", "ccc"]), store) == 6
    assert stored == ["a", "bb", "ccc"]
    assert threads == {"match-writer"}


def test_a_failed_store_is_raised_and_later_chunks_are_not_stored():
    stored, built = [], []

    def texts():
        for i in range(100):
            built.append(i)
            yield str(i)

    def store(text):
        if text == "2":
            raise RuntimeError("refused chunk 2")
        stored.append(text)
        return 1

    with pytest.raises(RuntimeError, match="refused chunk 2"):
        _pipelined(texts(), store)
    assert stored == ["0", "1"]
    # The producer stops soon after the failure instead of building every chunk.
    assert len(built) < 10


def test_a_failure_while_building_is_raised_after_the_writer_finishes():
    stored = []

    def texts():
        yield "first"
        raise ValueError("bad row")

    def store(text):
        stored.append(text)
        return 1

    with pytest.raises(ValueError, match="bad row"):
        _pipelined(texts(), store)
    assert stored == ["first"]
    assert not [t for t in threading.enumerate() if t.name == "match-writer"]


@pytest.mark.parametrize("base", [1, 1 << 40])  # small ids, and ids too big to pack
def test_stale_pairs_are_those_of_before_no_chunk_holds(base):
    from matching.bulkwrite import _missing

    before = (np.array([1, 1, 2, 3]) * base, np.array([5, 6, 5, 7]) * base)
    kept = [(np.array([1, 3]) * base, np.array([6, 7]) * base),
            (np.array([9]) * base, np.array([9]) * base)]
    offers, wants = _missing(before, kept)
    assert list(zip(offers.tolist(), wants.tolist(), strict=True)) == [
        (1 * base, 5 * base), (2 * base, 5 * base)]
    assert [len(a) for a in _missing(before, [])] == [4, 4]
    empty = (np.empty(0, np.int64), np.empty(0, np.int64))
    assert [len(a) for a in _missing(empty, kept)] == [0, 0]


def test_rows_are_new_changed_or_to_compare_by_their_stored_pair_and_score():
    from matching.bulkwrite import _Stored

    new, changed, same = _Stored.ABSENT, _Stored.CHANGED, _Stored.SAME_SCORE
    stored = _Stored(np.array([1, 1, 2]), np.array([5, 6, 5]), np.array([0.5, 0.25, 0.75]))
    offers, wants = np.array([1, 1, 2, 3]), np.array([5, 6, 5, 5])
    # Stored and equal score: compare; another score: changed for sure; not stored: new.
    found = stored.state(offers, wants, np.array([0.5, 0.3, 0.75, 0.5]))
    assert found.tolist() == [same, changed, same, new]
    assert (stored.state(offers, wants, None) == same).all()  # no scores: compare all
    nothing = _Stored(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    assert (nothing.state(offers, wants, np.zeros(4)) == new).all()
    big = np.array([1 << 40])
    assert (stored.state(big, big, np.array([0.5])) == same).all()  # too big to key
    huge = _Stored(big, big, np.array([0.5]))
    assert (huge.state(offers, wants, np.zeros(4)) == same).all()
