"""Sites through the API, placed from their town offline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Site

LIST_URL = reverse("api:site-list")


def test_create_site_geocodes_the_town(owner_api, owner):
    response = owner_api.post(
        LIST_URL, {"name": "Tampere depot", "city": "Tampere", "country": "fi"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["country"] == "FI"
    assert body["latitude"] == pytest.approx(61.50, abs=0.05)
    assert body["longitude"] == pytest.approx(23.79, abs=0.05)
    assert Site.objects.get(pk=body["id"]).company == owner.company


def test_create_site_keeps_given_coordinates(owner_api, owner):
    body = {"name": "Jetty", "city": "Pori", "country": "FI", "latitude": 61.6, "longitude": 21.5}

    response = owner_api.post(LIST_URL, body, format="json")

    assert response.status_code == 201
    assert (response.json()["latitude"], response.json()["longitude"]) == (61.6, 21.5)


def test_unknown_town_is_400_on_city(owner_api, owner):
    response = owner_api.post(
        LIST_URL, {"name": "Nowhere", "city": "Xyzzyville", "country": "FI"}, format="json"
    )

    assert response.status_code == 400
    assert "city" in response.json()["error"]["fields"]
    assert Site.objects.filter(company=owner.company).count() == 1


def test_latitude_without_longitude_is_400(owner_api, owner):
    response = owner_api.post(
        LIST_URL, {"name": "Half", "city": "Pori", "country": "FI", "latitude": 61.0},
        format="json",
    )

    assert response.status_code == 400
    assert "longitude" in response.json()["error"]["fields"]


def test_list_shows_only_own_sites(owner_api, owner, partner):
    body = owner_api.get(LIST_URL).json()

    assert [item["id"] for item in body["results"]] == [owner.site.id]


def test_another_companys_site_is_404(owner_api, partner):
    url = reverse("api:site-detail", args=[partner.site.id])

    assert owner_api.get(url).status_code == 404
    assert owner_api.patch(url, {"name": "Mine now"}, format="json").status_code == 404
    partner.site.refresh_from_db()
    assert partner.site.name != "Mine now"


def test_changing_the_town_places_the_site_again(owner_api, owner):
    url = reverse("api:site-detail", args=[owner.site.id])

    response = owner_api.patch(url, {"city": "Tampere"}, format="json")

    assert response.status_code == 200, response.json()
    owner.site.refresh_from_db()
    assert owner.site.name == "Harbour Power Oy works"
    assert owner.site.latitude == pytest.approx(61.50, abs=0.05)
    assert owner.site.longitude == pytest.approx(23.79, abs=0.05)
