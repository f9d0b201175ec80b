"""Pausing Python's cyclic collector around bulk work.

A full rematch allocates tens of millions of small containers (token lists, spans,
per-chunk rows) that it keeps alive until the end. Python's cyclic collector walks every
live container each time its oldest generation fills: with a national snapshot in memory
that walk cost about a quarter of the inference's time, and freed nothing, since the engine
builds no reference cycles. Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (nested and concurrent uses are counted:
    it runs again, if it ran before, when the last one ends)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()

