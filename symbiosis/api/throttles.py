"""Throttles of the API: a rate per scope, counted in the default cache.

The cache is Redis when ``REDIS_URL`` is set (so every web process counts together) and
local memory otherwise (``CACHES`` in settings). Rates are named by scope in
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``; a view sets ``throttle_scope`` and one of
these in ``throttle_classes``.
"""

from __future__ import annotations

from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle


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


class CallerThrottle(SimpleRateThrottle):
    """Every authenticated request, per API key (scope ``api-key``) or per person
    (``api-user``); 429 with ``Retry-After`` past the rate. Anonymous callers are left to
    the scoped throttles of the public endpoints."""

    def get_rate(self) -> str | None:
        return None  # chosen per request in allow_request

    def allow_request(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True
        auth = getattr(request, "auth", None)
        if getattr(auth, "is_api_key", False):
            self.scope, ident = "api-key", f"key-{auth.pk}"
        else:
            self.scope, ident = "api-user", f"user-{user.pk}"
        self.rate = self.THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return self.key
