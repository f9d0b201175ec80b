"""Throttles of the API: a rate per scope, counted in the default cache.

The cache is Redis when ``REDIS_URL`` is set (so every web process counts together) and
local memory otherwise (``CACHES`` in settings). Rates are named by scope in
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``; a view sets ``throttle_scope`` and one of
these in ``throttle_classes``.
"""

from __future__ import annotations

from rest_framework.throttling import ScopedRateThrottle


class ScopedThrottle(ScopedRateThrottle):
    """Requests per scope and caller (the user when logged in, else the client address).

    DRF counts in ``django.core.cache.cache``, which follows ``CACHES``: nothing to set.
    """


class AnonScopedThrottle(ScopedThrottle):
    """Requests per scope and client address, for callers who are not logged in only
    (public endpoints: logging in, suggestions)."""

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)
