"""Listings CRUD through the API, scoped to the caller's company."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching import rules
from matching.models import Listing
from tests.factories import ListingFactory, SiteFactory

LIST_URL = reverse("api:listing-list")


def detail_url(listing_id: int) -> str:
    return reverse("api:listing-detail", args=[listing_id])


def offer_body(site_id: int, **overrides) -> dict:
    body = {
        "kind": "offer",
        "site": site_id,
        "title": "Boiler fly ash, dry",
        "description": "Fly ash from our biomass and coal co-firing boiler, silo-stored.",
        "category": "ash",
        "ewc_code": "10 01 02",
        "quantity": "250",
        "unit": "t",
        "frequency": "monthly",
        "max_distance_km": 80,
        "external_id": "ERP-42",
    }
    body.update(overrides)
    return body


def test_list_shows_only_own_companys_listings(owner_api, owner, partner, outsider):
    ListingFactory(company=outsider.company, site=outsider.site, title="Bread crusts")

    response = owner_api.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [item["id"] for item in body["results"]] == [owner.listing.id]


def test_list_filters_by_kind_status_and_ewc_code_with_spaces(owner_api, owner):
    want = ListingFactory(company=owner.company, site=owner.site, kind="want", ewc_code="100117")
    ListingFactory(company=owner.company, site=owner.site, status="paused", ewc_code="100117")

    def ids(query: str) -> set[int]:
        return {item["id"] for item in owner_api.get(LIST_URL + query).json()["results"]}

    assert ids("?kind=want") == {want.id}
    assert ids("?status=active&ewc_code=10 01 02") == {owner.listing.id}
    assert ids("?status=active&ewc_code=100117") == {want.id}


def test_list_search_and_ordering(owner_api, owner):
    slag = ListingFactory(company=owner.company, site=owner.site, title="Steel slag",
                          description="Granulated.")

    searched = owner_api.get(LIST_URL, {"search": "slag"}).json()["results"]
    by_title = owner_api.get(LIST_URL, {"ordering": "title"}).json()["results"]

    assert [item["id"] for item in searched] == [slag.id]
    assert [item["title"] for item in by_title] == ["Coal fly ash", "Steel slag"]


def test_list_is_paginated_by_25(owner_api, owner):
    ListingFactory.create_batch(25, company=owner.company, site=owner.site)

    body = owner_api.get(LIST_URL).json()

    assert body["count"] == 26
    assert len(body["results"]) == 25
    assert body["next"] is not None


def test_retrieve_own_listing_has_derived_fields(owner_api, owner):
    response = owner_api.get(detail_url(owner.listing.id))

    assert response.status_code == 200
    item = response.json()
    assert item["ewc_code"] == "100102"
    assert item["ewc_display"] == "10 01 02"
    assert item["amount_per_year"] == 5000.0
    assert item["canonical_unit"] == "t"
    assert item["match_count"] == 0
    assert item["site"] == owner.site.id


def test_retrieve_another_companys_listing_is_404(owner_api, partner):
    assert owner_api.get(detail_url(partner.listing.id)).status_code == 404


def test_create_offer_derives_amount_and_is_matched_with_the_partners_want(
    owner_api, owner, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.post(LIST_URL, offer_body(owner.site.id), format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["amount_per_year"] == pytest.approx(250 * 12)
    assert created["canonical_unit"] == "t"
    assert created["ewc_code"] == "100102"
    assert created["ewc_display"] == "10 01 02"
    listing = Listing.objects.get(pk=created["id"])
    assert listing.company == owner.company
    assert listing.created_by == owner.user
    matches = owner_api.get(reverse("api:listing-matches", args=[listing.id])).json()["results"]
    assert partner.listing.id in [match["counterpart"]["listing_id"] for match in matches]
    assert owner_api.get(detail_url(listing.id)).json()["match_count"] == len(matches)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"quantity": "-5"}, "quantity"),
        ({"unit": ""}, "unit"),
        ({"ewc_code": "99 99 99"}, "ewc_code"),
        ({"available_from": "2026-06-01", "available_until": "2026-01-01"}, "available_until"),
        ({"kind": "swap"}, "kind"),
        ({"category": "unobtainium"}, "category"),
        ({"title": ""}, "title"),
    ],
)
def test_create_with_invalid_input_is_400_with_field_message_and_saves_nothing(
    owner_api, owner, overrides, field
):
    before = Listing.objects.count()

    response = owner_api.post(LIST_URL, offer_body(owner.site.id, **overrides), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert error["fields"][field][0]
    assert Listing.objects.count() == before


def test_create_at_another_companys_site_is_400_on_site(owner_api, owner, partner):
    before = Listing.objects.count()

    response = owner_api.post(LIST_URL, offer_body(partner.site.id), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["site"] == ["Choose one of your company's sites."]
    assert Listing.objects.count() == before


def test_create_with_duplicate_external_id_is_400_not_500(owner_api, owner):
    ListingFactory(company=owner.company, site=owner.site, external_id="ERP-42")

    response = owner_api.post(LIST_URL, offer_body(owner.site.id), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["external_id"] == [
        str(rules.EXTERNAL_ID_MESSAGE)
    ]
    assert Listing.objects.filter(company=owner.company, external_id="ERP-42").count() == 1


def test_external_id_may_repeat_across_companies(partner_api, partner, owner):
    ListingFactory(company=owner.company, site=owner.site, external_id="ERP-42")

    response = partner_api.post(LIST_URL, offer_body(partner.site.id), format="json")

    assert response.status_code == 201


def test_patch_recomputes_amount(owner_api, owner):
    response = owner_api.patch(
        detail_url(owner.listing.id), {"quantity": "10", "frequency": "weekly"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["amount_per_year"] == pytest.approx(520)
    owner.listing.refresh_from_db()
    assert owner.listing.amount_per_year == pytest.approx(520)


def test_patch_keeps_window_order_with_stored_start(owner_api, owner):
    owner.listing.available_from = "2026-06-01"
    owner.listing.save()

    response = owner_api.patch(
        detail_url(owner.listing.id), {"available_until": "2026-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert "available_until" in response.json()["error"]["fields"]


def test_put_replaces_listing(owner_api, owner):
    body = offer_body(owner.site.id, title="Renamed ash", ewc_code="100117")

    response = owner_api.put(detail_url(owner.listing.id), body, format="json")

    assert response.status_code == 200
    owner.listing.refresh_from_db()
    assert (owner.listing.title, owner.listing.ewc_code) == ("Renamed ash", "100117")


def test_kind_cannot_change(owner_api, owner):
    response = owner_api.patch(detail_url(owner.listing.id), {"kind": "want"}, format="json")

    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]
    owner.listing.refresh_from_db()
    assert owner.listing.kind == "offer"


def test_moving_listing_to_another_companys_site_is_refused(owner_api, owner, partner):
    response = owner_api.patch(
        detail_url(owner.listing.id), {"site": partner.site.id}, format="json"
    )

    assert response.status_code == 400
    assert "site" in response.json()["error"]["fields"]
    owner.listing.refresh_from_db()
    assert owner.listing.site == owner.site


def test_moving_listing_to_own_other_site_works(owner_api, owner):
    depot = SiteFactory(company=owner.company, city="Ulvila")

    response = owner_api.patch(detail_url(owner.listing.id), {"site": depot.id}, format="json")

    assert response.status_code == 200
    owner.listing.refresh_from_db()
    assert owner.listing.site == depot


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writing_another_firms_listing_is_404_and_changes_nothing(
    owner_api, owner, partner, method
):
    body = offer_body(owner.site.id, title="Hijacked")

    response = getattr(owner_api, method)(detail_url(partner.listing.id), body, format="json")

    assert response.status_code == 404
    partner.listing.refresh_from_db()
    assert partner.listing.title == "Fly ash for blended cement"
    assert partner.listing.status == "active"


def test_delete_closes_the_listing(owner_api, owner):
    response = owner_api.delete(detail_url(owner.listing.id))

    assert response.status_code == 204
    owner.listing.refresh_from_db()
    assert owner.listing.status == Listing.Status.CLOSED
    assert owner_api.get(detail_url(owner.listing.id)).json()["status"] == "closed"


def test_delete_removes_the_listings_matches(
    owner_api, owner, partner, django_capture_on_commit_callbacks
):
    from matching.services import match_rematch_all

    match_rematch_all()
    matches_url = reverse("api:listing-matches", args=[owner.listing.id])
    assert owner_api.get(matches_url).json()["count"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        owner_api.delete(detail_url(owner.listing.id))

    assert owner_api.get(matches_url).json()["count"] == 0


def test_external_id_race_caught_by_the_database_is_400(owner_api, owner, monkeypatch):
    ListingFactory(company=owner.company, site=owner.site, external_id="ERP-42")
    # Simulate a concurrent request: the checks before the insert (the serializer's and the
    # service's) ran before the other request committed, and saw no clash.
    real, calls = rules.external_id_taken, []

    def racing(**kwargs):
        calls.append(kwargs)
        return real(**kwargs) if len(calls) > 2 else False

    monkeypatch.setattr(rules, "external_id_taken", racing)
    monkeypatch.setattr(Listing, "validate_constraints", lambda self, exclude=None: None)

    response = owner_api.post(LIST_URL, offer_body(owner.site.id), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["external_id"] == [
        str(rules.EXTERNAL_ID_MESSAGE)
    ]
    assert len(calls) == 3  # the constraint refused the insert; the rule said why
    assert Listing.objects.filter(company=owner.company, external_id="ERP-42").count() == 1


def test_list_orders_by_match_count(owner_api, owner, partner):
    from matching.services import match_rematch_all

    lonely = ListingFactory(company=owner.company, site=owner.site, title="Odd sludge",
                            description="Nobody wants this.", status="paused")
    match_rematch_all()

    results = owner_api.get(LIST_URL, {"ordering": "-match_count"}).json()["results"]

    assert [(item["id"], item["match_count"]) for item in results] == [
        (owner.listing.id, 1), (lonely.id, 0)
    ]
