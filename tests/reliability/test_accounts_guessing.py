"""Issue 19, accounts that resist guessing: lock-out per account and per address, the
client address trusted only behind configured proxies, tokens revoked with the password."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from symbiosis.clientip import client_ip
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("api:token-obtain")
LOGIN_URL = reverse("accounts:login")


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}
    # The API's own rate stays out of the way: these tests are about the lock-out.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api-token": "1000/minute"}}


def _portal_login(client, email, password, address):
    return client.post(LOGIN_URL, {"username": email, "password": password},
                       REMOTE_ADDR=address)


def test_portal_login_locks_the_account_after_the_limit_from_any_address(owner, client):
    email = owner.user.email
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _portal_login(client, email, f"wrong-{attempt}", f"10.0.0.{attempt + 1}")
        assert response.status_code == 200  # the form again
    assert _portal_login(client, email, "wrong", "10.0.0.99").status_code == 429
    # Locked now, even with the right password and from a fresh address.
    response = _portal_login(client, email.upper(), PASSWORD,
                             "10.0.1.1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_portal_login_locks_an_address_that_tries_many_accounts(owner, partner, client):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _portal_login(client, f"nobody{attempt}@example.com", "x", "10.9.9.9")
    response = _portal_login(client, partner.user.email, "wrong", "10.9.9.9")
    assert response.status_code == 429


def test_token_endpoint_locks_and_a_forged_forwarded_for_does_not_help(owner):
    client = APIClient()
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(TOKEN_URL, {"email": owner.user.email, "password": "bad"},
                               HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
        assert response.status_code == 400
    response = client.post(TOKEN_URL, {"email": owner.user.email, "password": "bad"},
                           HTTP_X_FORWARDED_FOR="203.0.113.250")
    assert response.status_code == 429  # the limit-th failure locks
    # Another account, another forged address: the real address is locked all the same,
    # and the right password does not get through either.
    response = client.post(TOKEN_URL, {"email": owner.user.email, "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429
    response = client.post(TOKEN_URL, {"email": "someone@else.example", "password": "bad"},
                           HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert response.status_code == 429
    assert response.json()["error"]["status"] == 429


def test_the_client_address_trusts_forwarded_for_only_behind_configured_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.1"  # what our proxy saw, not what was sent
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"


def test_api_throttles_ignore_forwarded_for_by_default():
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_a_password_change_revokes_the_users_tokens(owner):
    token = services.token_get_or_create(user=owner.user)
    owner.user.full_name = "Renamed"
    owner.user.save()
    assert Token.objects.filter(key=token).exists()  # other changes keep it
    owner.user.set_password("another long passphrase 42")
    owner.user.save()
    assert not Token.objects.filter(key=token).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(reverse("api:listing-list")).status_code == 401


def test_a_password_reset_revokes_the_users_tokens(owner, client, mailoutbox):
    token = services.token_get_or_create(user=owner.user)
    client.post(reverse("accounts:password_reset"), {"email": owner.user.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/reset/" in line)
    path = link[link.index("/accounts/reset/"):].strip()
    response = client.get(path, follow=True)
    new = "a brand new passphrase 77"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    owner.user.refresh_from_db()
    assert owner.user.check_password(new)
    assert not Token.objects.filter(key=token).exists()


def test_password_reset_says_the_same_whether_the_address_exists(owner, client):
    known = client.post(reverse("accounts:password_reset"), {"email": owner.user.email},
                        follow=True)
    unknown = client.post(reverse("accounts:password_reset"),
                          {"email": "nobody@nowhere.example"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content


def test_password_validators_are_on():
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator"} <= names
