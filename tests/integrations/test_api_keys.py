"""Company API keys: hashed, scoped, revocable, acting for the company."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from integrations import services
from integrations.models import ApiKey
from matching.models import Listing
from tests.integrations.conftest import key_client

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_key_is_stored(owner):
    key, text = services.api_key_create(company=owner.company, user=owner.user, name="ERP",
                                        scopes=["read"])
    secret = text.split("_", 2)[2]
    stored = ApiKey.objects.get(pk=key.pk)
    assert text.startswith(f"sym_{stored.prefix}_")
    assert secret not in str(stored.__dict__)
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_a_key_reads_its_companys_listings_only_and_notes_its_use(owner, partner):
    client, key, _text = key_client(owner)
    response = client.get(reverse("api:listing-list"))
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [owner.listing.pk]
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_key_creates_listings_as_its_company(owner):
    client, key, _text = key_client(owner)
    response = client.post(reverse("api:listing-list"), {
        "kind": "want", "site": owner.site.pk, "title": "Gypsum", "quantity": "10",
        "unit": "t/month"}, format="json")
    assert response.status_code == 201, response.json()
    listing = Listing.objects.get(pk=response.json()["id"])
    assert listing.company == owner.company and listing.created_by == owner.user
    assert (listing.unit, listing.frequency, listing.amount_per_year) == ("t", "monthly", 120.0)
    action = key.actions.get()
    assert (action.method, action.path, action.status) == ("POST", "/api/v1/listings/", 201)


def test_a_revoked_key_is_refused(owner):
    client, key, _text = key_client(owner)
    services.api_key_revoke(key=key, user=owner.user)
    response = client.get(reverse("api:listing-list"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_invalid"


def test_a_wrong_secret_is_refused(owner):
    _client, _key, text = key_client(owner)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {text[:-2]}xx")
    assert client.get(reverse("api:listing-list")).status_code == 401


def test_a_key_without_the_scope_is_refused(owner):
    client, _key, _text = key_client(owner, scopes=["read"])
    assert client.get(reverse("api:listing-list")).status_code == 200
    response = client.post(reverse("api:listing-list"), {
        "kind": "want", "site": owner.site.pk, "title": "Gypsum"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope"
    assert "listings" in response.json()["error"]["message"]
    sites = client.post(reverse("api:site-list"), {"name": "B", "city": "Pori",
                                                    "country": "FI"}, format="json")
    assert sites.status_code == 403


def test_a_key_without_read_cannot_read(owner):
    client, _key, _text = key_client(owner, scopes=["listings"])
    assert client.get(reverse("api:listing-list")).status_code == 403


def test_a_key_is_marked_as_unable_to_sign_agreements(owner):
    _client, key, _text = key_client(owner)
    assert key.is_api_key and key.can_sign_agreements is False


def test_only_owners_create_keys(owner):
    from accounts.models import Membership
    Membership.objects.filter(user=owner.user).update(role=Membership.Role.MEMBER)
    with pytest.raises(Exception, match="owner"):
        services.api_key_create(company=owner.company, user=owner.user, name="x",
                                scopes=["read"])


def test_the_portal_page_shows_a_new_key_once_and_revokes(client, owner):
    client.force_login(owner.user)
    url = reverse("integrations:api_keys")
    response = client.post(url, {"name": "SAP", "scopes": ["read", "listings"]})
    assert response.status_code == 200
    key = ApiKey.objects.get(company=owner.company)
    page = response.content.decode()
    assert f"sym_{key.prefix}_" in page and response["Cache-Control"] == "no-store"
    secret = page.split(f"sym_{key.prefix}_", 1)[1].split("<", 1)[0]
    assert hashlib.sha256(secret.encode()).hexdigest() == key.secret_hash
    again = client.get(url).content.decode()
    assert secret not in again
    client.post(reverse("integrations:api_key_revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_throttled_per_key_with_retry_after(owner, settings):
    from rest_framework.throttling import SimpleRateThrottle
    rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**rates, "api-key": "2/minute"}
    try:
        client, _key, _text = key_client(owner)
        codes = [client.get(reverse("api:listing-list")).status_code for _ in range(3)]
        last = client.get(reverse("api:listing-list"))
    finally:
        SimpleRateThrottle.THROTTLE_RATES = rates
    assert codes == [200, 200, 429]
    assert int(last["Retry-After"]) > 0
    assert last.json()["error"]["status"] == 429
