"""API test helpers: clients logged in as a persona."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client authenticated as ``user`` (token/session details are tested apart)."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client


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
