"""The API root at project level: each app contributes its router (symbiosis.apiroot)."""

from __future__ import annotations

import sys
import types

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIClient

from symbiosis import apiroot


class _PingViewSet(viewsets.ViewSet):
    def list(self, request):
        return Response([])


@pytest.fixture
def fake_api_app(monkeypatch):
    """Make an app whose api/urls.py registers one viewset under a given prefix."""

    def add(app: str, prefix: str) -> None:
        router = SimpleRouter()
        router.register(prefix, _PingViewSet, basename=f"{app}-{prefix}")
        modules = {app: None, f"{app}.api": None, f"{app}.api.urls": router}
        for name, value in modules.items():
            module = types.ModuleType(name)
            module.__path__ = []
            module.__spec__ = types.SimpleNamespace(name=name)
            if value is not None:
                module.router, module.urlpatterns = value, []
            monkeypatch.setitem(sys.modules, name, module)

    return add


def test_the_root_lists_every_route_the_apps_contribute(owner):
    client = APIClient()
    client.force_authenticate(user=owner.user)
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert set(response.json()) == {
        "listings", "matches", "sites", "ewc-codes", "categories",  # matching
        "contacts", "agreements", "deliveries", "notifications", "searches",  # exchanges
        "agency/matches",  # agency (agency/decisions/bulk/ is an action without a list)
        "agency/impact",
        "webhooks",  # integrations
        "agency/firms", "agency/listings", "agency/contacts", "agency/agreements",  # agency
        "agency/deliveries",
    }


def test_url_names_stay_in_the_api_namespace():
    assert reverse("api:listing-list") == "/api/v1/listings/"
    assert reverse("api:match-detail", kwargs={"pk": 3}) == "/api/v1/matches/3/"
    assert reverse("api:token-obtain") == "/api/v1/auth/token/"
    assert reverse("api:api-root") == "/api/v1/"
    assert reverse("api:agency-match-list") == "/api/v1/agency/matches/"
    assert reverse("api:agency-match-decision", kwargs={"pk": 3}) == (
        "/api/v1/agency/matches/3/decision/")
    assert reverse("api:agency-decision-bulk") == "/api/v1/agency/decisions/bulk/"


def test_apps_without_an_api_are_skipped_and_the_others_read_in_order(fake_api_app):
    fake_api_app("fake_api", "pings")
    found = [app for app, _module in apiroot.api_contributions(("accounts", "matching",
                                                                  "fake_api"))]
    assert found == ["matching", "fake_api"]
    names = {getattr(p, "name", None) for p in apiroot.build_urlpatterns(("matching",
                                                                           "fake_api"))}
    assert {"fake_api-pings-list", "listing-list", "token-obtain", "api-root"} <= names


def test_two_apps_claiming_one_prefix_are_refused(fake_api_app):
    fake_api_app("fake_api", "listings")
    with pytest.raises(ImproperlyConfigured, match="'listings'.*matching and fake_api"):
        apiroot.build_urlpatterns(("matching", "fake_api"))
