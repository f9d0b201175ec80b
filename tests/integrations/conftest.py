"""Clients calling with a company API key."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from integrations import services


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    # Throttle counts and idempotency records per test (never the shared Redis).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}


def key_client(owner, scopes=("read", "listings")) -> tuple[APIClient, object, str]:
    key, text = services.api_key_create(
        company=owner.company, user=owner.user, name="ERP", scopes=scopes
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {text}")
    return client, key, text


@pytest.fixture
def owner_key(owner):
    return key_client(owner)
