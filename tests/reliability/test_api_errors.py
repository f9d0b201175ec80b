"""Issue 19, errors in one shape: every API failure is the JSON envelope, even DEBUG=1."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def _envelope(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status
    assert set(error) == {"status", "code", "message", "fields"}
    return error


@pytest.mark.parametrize("debug", [False, True])
def test_a_malformed_id_is_a_json_404(owner, settings, debug):
    settings.DEBUG = debug
    response = client_for(owner.user).get("/api/v1/listings/not-a-number/")
    _envelope(response, 404)
    response = client_for(owner.user).get("/api/v1/no-such-thing/")
    assert "urlpatterns" not in response.content.decode()
    _envelope(response, 404)


@pytest.mark.parametrize("debug", [False, True])
def test_an_unhandled_error_is_a_json_500_without_traceback(owner, settings, monkeypatch,
                                                            debug):
    settings.DEBUG = debug
    from matching.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.ListingViewSet, "list", boom)
    client = client_for(owner.user)
    client.raise_request_exception = False
    response = client.get(reverse("api:listing-list"))
    error = _envelope(response, 500)
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert error["code"] == "server_error"


def test_method_not_allowed_outside_a_viewset_is_json(owner):
    response = client_for(owner.user).put(reverse("api:listing-list"), {}, format="json")
    _envelope(response, 405)


@pytest.mark.parametrize("query", ["site=1e20", "site=9223372036854775808",
                                   "site=99999999999999999999999"])
def test_out_of_range_filter_numbers_are_400(owner, query):
    response = client_for(owner.user).get(f"{reverse('api:listing-list')}?{query}")
    _envelope(response, 400)


def test_an_id_of_2_to_the_63_is_not_a_500(owner):
    response = client_for(owner.user).get(f"/api/v1/listings/{2**63}/")
    assert response.status_code in (400, 404)
    _envelope(response, response.status_code)


def test_a_body_over_1_mb_is_a_json_413(owner):
    client = client_for(owner.user)
    response = client.post(reverse("api:listing-list"), data=b"x" * (1024 * 1024 + 1),
                           content_type="application/json")
    error = _envelope(response, 413)
    assert str(1024 * 1024) in error["message"]


def test_bulk_paths_take_the_larger_limit(owner):
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    client = client_for(owner.user)
    with override_settings(REQUEST_BULK_PATHS=["/api/v1/listings/"]):
        response = client.post(reverse("api:listing-list"), data=body,
                               content_type="application/json")
        assert response.status_code == 400  # read and validated, not refused for size
        response = client.post(reverse("api:listing-list"),
                               data=b"x" * (10 * 1024 * 1024 + 1),
                               content_type="application/json")
        _envelope(response, 413)


def test_portal_pages_keep_djangos_pages(owner, client):
    client.force_login(owner.user)
    response = client.get("/portal/listings/999999/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_api_docs_come_from_our_static_files():
    response = APIClient().get(reverse("api-docs"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    assert "/static/drf_spectacular_sidecar/" in page
    assert "<script>" not in page  # all scripts are files: the CSP allows no inline one
    redoc = APIClient().get(reverse("api-redoc")).content.decode()
    assert "/static/drf_spectacular_sidecar/" in redoc
