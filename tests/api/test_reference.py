"""Public reference look-ups: the European List of Waste and material categories."""

from __future__ import annotations

from django.urls import reverse

from matching import catalogue

EWC_URL = reverse("api:ewc-code-list")


def test_ewc_search_by_text_needs_no_login(anonymous, db):
    response = anonymous.get(EWC_URL, {"search": "fly ash"})

    assert response.status_code == 200
    body = response.json()
    codes = [item["code"] for item in body["results"]]
    assert "100102" in codes
    assert "190114" in codes
    assert all("fly ash" in item["description"].lower() for item in body["results"])
    coal = next(item for item in body["results"] if item["code"] == "100102")
    assert coal == coal | {"display": "10 01 02", "hazardous": False, "mirror": False}


def test_ewc_search_by_code_prefix(anonymous, db):
    body = anonymous.get(EWC_URL, {"code": "10 01"}).json()

    expected = sorted(code for code in catalogue.knowledge().ewc if code.startswith("1001"))
    assert body["count"] == len(expected)
    assert [item["code"] for item in body["results"]] == expected[:25]


def test_ewc_search_combines_text_and_hazard(anonymous, db):
    body = anonymous.get(EWC_URL, {"search": "fly ash", "hazardous": "true"}).json()

    assert body["count"] > 0
    assert all(item["hazardous"] for item in body["results"])
    assert all(item["display"].endswith("*") for item in body["results"])


def test_ewc_list_is_paginated(anonymous, db):
    body = anonymous.get(EWC_URL).json()

    assert body["count"] == len(catalogue.knowledge().ewc)
    assert len(body["results"]) == 25
    assert body["next"]


def test_ewc_entry_by_code(anonymous, db):
    response = anonymous.get(reverse("api:ewc-code-detail", args=["100116"]))

    assert response.status_code == 200
    entry = response.json()
    assert entry["display"] == "10 01 16*"
    assert entry["hazardous"] is True
    assert entry["mirror"] is True
    assert entry["mirror_counterparts"] == ["100117"]


def test_unknown_ewc_entry_is_404(anonymous, db):
    response = anonymous.get(reverse("api:ewc-code-detail", args=["999999"]))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_categories_list(anonymous, db):
    response = anonymous.get(reverse("api:category-list"), {"page_size": 500})

    assert response.status_code == 200
    by_slug = {item["slug"]: item for item in response.json()["results"]}
    assert by_slug["ash"] == {"slug": "ash", "name": "Ashes", "parent": "minerals"}
    assert len(by_slug) == len(catalogue.knowledge().categories)
