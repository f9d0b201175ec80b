"""Token authentication, and what callers without a login or a company get."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.api.conftest import client_for
from tests.factories import PASSWORD, UserFactory

TOKEN_URL = reverse("api:token-obtain")
LISTINGS_URL = reverse("api:listing-list")


def test_token_obtained_with_email_and_password_authenticates_requests(anonymous, owner):
    response = anonymous.post(
        TOKEN_URL, {"email": "Owner@Power.example", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=owner.user).key
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = anonymous.get(LISTINGS_URL)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [owner.listing.id]


def test_token_is_the_same_on_a_second_login(anonymous, owner):
    body = {"email": owner.user.email, "password": PASSWORD}
    first = anonymous.post(TOKEN_URL, body, format="json").json()["token"]
    second = anonymous.post(TOKEN_URL, body, format="json").json()["token"]

    assert first == second


@pytest.mark.parametrize(
    "email, password",
    [("owner@power.example", "wrong-password"), ("nobody@power.example", PASSWORD)],
)
def test_token_refused_for_wrong_credentials(anonymous, owner, email, password):
    response = anonymous.post(TOKEN_URL, {"email": email, "password": password}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "e-mail address and password" in error["message"]
    assert "token" not in response.json()
    assert not Token.objects.exists()


def test_token_request_without_password_names_the_field(anonymous, owner):
    response = anonymous.post(TOKEN_URL, {"email": owner.user.email}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]


def test_unauthenticated_request_is_401_json(anonymous, owner):
    response = anonymous.get(LISTINGS_URL)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"] == "Token"
    error = response.json()["error"]
    assert error["status"] == 401
    assert error["code"] == "not_authenticated"


def test_bad_token_is_401(anonymous, owner):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = anonymous.get(LISTINGS_URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_session_login_works_for_the_browsable_api(owner):
    from django.test import Client

    browser = Client()
    assert browser.login(email=owner.user.email, password=PASSWORD)

    response = browser.get(LISTINGS_URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert owner.listing.title in response.content.decode()


@pytest.mark.parametrize("url_name", ["api:listing-list", "api:site-list", "api:match-list"])
def test_user_without_company_gets_403_with_a_clear_message(db, url_name):
    client = client_for(UserFactory())

    response = client.get(reverse(url_name))

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "no_company"
    assert "not linked to a company" in error["message"]


def test_password_guessing_is_throttled(anonymous, owner, settings):
    settings.AXES_FAILURE_LIMIT = 100  # the lock-out is tested in tests/reliability
    body = {"email": owner.user.email, "password": "guess"}
    statuses = [anonymous.post(TOKEN_URL, body, format="json").status_code for _ in range(21)]

    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429
    response = anonymous.post(TOKEN_URL, body, format="json")
    assert response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response


def test_an_unknown_api_key_is_refused_with_401(anonymous, owner):
    anonymous.credentials(HTTP_AUTHORIZATION="Api-Key abc123")

    response = anonymous.get(reverse("api:listing-list"))

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "api_key_invalid"
    assert error["message"] == "Unknown or revoked API key."
    assert response["WWW-Authenticate"] == "Token"


def test_an_api_key_is_refused_on_public_endpoints_too(anonymous, db):
    anonymous.credentials(HTTP_AUTHORIZATION="api-key abc123")

    response = anonymous.get(reverse("api:category-list"))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_invalid"
