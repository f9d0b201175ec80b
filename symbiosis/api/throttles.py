"""Throttles of the API: a rate per scope, counted in the default cache.

The cache is Redis when ``REDIS_URL`` is set (so every web process counts together) and
local memory otherwise (``CACHES`` in settings). Rates are named by scope in
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``; a view sets ``throttle_scope`` and
``throttle_classes = [ScopedThrottle]``.
"""

from __future__ import annotations

from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """Requests per scope and caller (the user when logged in, else the client address)."""

    # The cache proxy DRF uses (django.core.cache.cache) follows CACHES: nothing to set.
