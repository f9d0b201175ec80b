"""API test helpers: clients logged in as a persona."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client authenticated as ``user`` (token/session details are tested apart)."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(settings, request):
    """Throttle counters live in the cache; each test starts with a cache of its own.

    Local memory even where REDIS_URL points the cache at Redis: clearing that would flush
    the broker's database too. tests/api/test_throttles.py checks the Redis cache itself.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }
    yield


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def owner_api(owner) -> APIClient:
    return client_for(owner.user)


@pytest.fixture
def partner_api(partner) -> APIClient:
    return client_for(partner.user)


@pytest.fixture
def outsider_api(outsider) -> APIClient:
    return client_for(outsider.user)
