"""Process helpers of the engine: the collector pause and forked helper processes."""

from __future__ import annotations

from matching.engine.runtime.collector import collector_paused
from matching.engine.runtime.forked import ForkedBatches, can_fork

__all__ = ["ForkedBatches", "can_fork", "collector_paused"]
