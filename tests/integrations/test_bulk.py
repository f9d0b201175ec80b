"""Bulk submission by external id, the external-id endpoint and Idempotency-Key."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.models import Listing

pytestmark = pytest.mark.django_db
BULK = reverse("api:listing-bulk")


def _item(owner, n: int, **extra) -> dict:
    return {"external_id": f"ERP-{n}", "kind": "offer", "site": owner.site.pk,
            "title": f"Fly ash lot {n}", "quantity": "10", "unit": "t/week", **extra}


def test_a_batch_of_1000_with_mixed_errors_saves_the_valid_ones_and_matches_once(
        owner_key, owner, django_capture_on_commit_callbacks, monkeypatch):
    client, _key, _text = owner_key
    items = [_item(owner, n) for n in range(1000)]
    items[10]["unit"] = "tons/fortnight"
    items[500]["site"] = 999999
    items[999]["external_id"] = "bad id with spaces"
    queued = []
    from matching import tasks
    # The batch's task is queued after the commit, stamped with the time of it.
    monkeypatch.setattr(tasks.match_listings, "delay",
                        lambda ids, queued_at: queued.append(list(ids)))
    monkeypatch.setattr(tasks.match_listing, "delay", lambda pk: queued.append([pk]))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BULK, {"listings": items}, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 1000
    assert [r["external_id"] for r in results[:3]] == ["ERP-0", "ERP-1", "ERP-2"]
    errors = {i for i, r in enumerate(results) if r["result"] == "error"}
    assert errors == {10, 500, 999}
    assert "t/month" in results[10]["errors"]["unit"][0]
    assert "site" in results[500]["errors"]
    assert "external_id" in results[999]["errors"]
    assert Listing.objects.filter(company=owner.company).exclude(external_id="").count() == 997
    assert len(queued) == 1 and len(queued[0]) == 997
    saved = Listing.objects.get(external_id="ERP-1")
    assert (saved.frequency, saved.amount_per_year) == ("weekly", 520.0)
    assert results[1]["id"] == saved.pk


def test_resending_a_batch_updates_rather_than_duplicates(owner_key, owner):
    client, _key, _text = owner_key
    items = [_item(owner, n) for n in range(3)]
    first = client.post(BULK, {"listings": items}, format="json").json()["results"]
    items[1]["title"] = "Renamed"
    second = client.post(BULK, {"listings": items}, format="json").json()["results"]
    assert [r["result"] for r in first] == ["created"] * 3
    assert [r["result"] for r in second] == ["unchanged", "updated", "unchanged"]
    assert [r["id"] for r in first] == [r["id"] for r in second]
    assert Listing.objects.filter(external_id__startswith="ERP-").count() == 3


def test_atomic_saves_nothing_when_one_item_fails(owner_key, owner):
    client, _key, _text = owner_key
    items = [_item(owner, 1), _item(owner, 2, title="")]
    response = client.post(BULK + "?atomic=true", {"listings": items}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert [r["result"] for r in body["results"]] == ["created", "error"]
    assert body["results"][0]["id"] is None
    assert body["error"]["code"] == "batch_invalid"
    assert not Listing.objects.filter(external_id__startswith="ERP-").exists()


def test_a_batch_over_1000_is_refused(owner_key, owner):
    client, _key, _text = owner_key
    response = client.post(BULK, {"listings": [_item(owner, n) for n in range(1001)]},
                           format="json")
    assert response.status_code == 400
    assert "listings" in response.json()["error"]["fields"]


def test_unknown_query_parameters_are_refused(owner_key):
    client, _key, _text = owner_key
    response = client.post(BULK + "?atomc=true", {"listings": []}, format="json")
    assert response.status_code == 400
    assert "atomic" in response.json()["error"]["message"]


def test_external_id_read_replace_close(owner_key, owner):
    client, _key, _text = owner_key
    url = "/api/v1/listings/external/ERP:7.a-b_c/"
    created = client.put(url, _item(owner, 7, external_id="ignored"), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["external_id"] == "ERP:7.a-b_c"
    replaced = client.put(url, _item(owner, 7, title="Bottom ash"), format="json")
    assert replaced.status_code == 200 and replaced.json()["id"] == created.json()["id"]
    assert client.get(url).json()["title"] == "Bottom ash"
    assert client.delete(url).status_code == 204
    assert Listing.objects.get(pk=created.json()["id"]).status == "closed"
    assert client.get("/api/v1/listings/external/nope/").status_code == 404


def test_external_ids_are_per_company(owner_key, owner, partner):
    from tests.factories import ListingFactory
    ListingFactory(company=partner.company, site=partner.site, external_id="SHARED")
    client, _key, _text = owner_key
    assert client.get("/api/v1/listings/external/SHARED/").status_code == 404


def test_idempotency_key_replays_and_refuses_another_body(owner_key, owner):
    client, _key, _text = owner_key
    body = {"kind": "want", "site": owner.site.pk, "title": "Gypsum"}
    first = client.post("/api/v1/listings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/listings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post("/api/v1/listings/", {**body, "title": "Lime"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Listing.objects.filter(title="Gypsum").count() == 1
    fresh = client.post("/api/v1/listings/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert fresh.status_code == 201
    assert Listing.objects.filter(title="Gypsum").count() == 2


def test_idempotency_keys_are_per_caller(owner, partner):
    from tests.integrations.conftest import key_client
    owner_client, _k, _t = key_client(owner)
    partner_client, _k2, _t2 = key_client(partner)
    first = owner_client.post("/api/v1/listings/", {"kind": "want", "site": owner.site.pk,
                                                     "title": "A"}, format="json",
                              HTTP_IDEMPOTENCY_KEY="same")
    second = partner_client.post("/api/v1/listings/", {"kind": "want",
                                                        "site": partner.site.pk, "title": "A"},
                                 format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_the_portal_form_takes_a_rate_and_names_the_accepted_forms(client, owner):
    client.force_login(owner.user)
    form = {"kind": "offer", "site": owner.site.pk, "title": "Steam condensate",
            "description": "", "category": "", "ewc_code": "", "quantity": "3",
            "unit": "m3/day", "frequency": "yearly", "available_from": "",
            "available_until": "", "physical_state": "liquid", "max_distance_km": "50",
            "status": "active"}
    response = client.post(reverse("matching:listing_create"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = Listing.objects.get(title="Steam condensate")
    assert (listing.unit, listing.frequency, listing.amount_per_year) == ("m3", "daily", 1095.0)
    bad = client.post(reverse("matching:listing_create"), {**form, "unit": "tons per moon"})
    assert bad.status_code == 200
    assert "t/month" in bad.content.decode()


def test_replacing_by_external_id_with_a_list_body_is_400(owner_key):
    client, _key, _text = owner_key
    url = reverse("api:listing-external", args=["ERP-9"])
    response = client.put(url, [None, None], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["error"]["fields"]


def test_a_bulk_created_listing_is_the_row_the_one_by_one_path_writes(owner_key, owner):
    from matching import services as matching_services

    client, _key, _text = owner_key
    fields = {"kind": "offer", "site": owner.site.pk, "title": "Ash", "ewc_code": "10 01 04*",
              "quantity": "50", "unit": "t/month", "available_from": "2026-01-01"}
    answer = client.post(reverse("api:listing-bulk"),
                         {"listings": [{**fields, "external_id": "BULK-1"}]}, format="json")
    assert answer.json()["results"][0]["result"] == "created"
    fast = Listing.objects.get(external_id="BULK-1")
    slow = matching_services.listing_create(
        company=owner.company, user=owner.user,
        data={**fields, "site": owner.site, "external_id": "ONE-1",
              "available_from": fast.available_from})
    compared = ("kind", "site_id", "title", "ewc_code", "quantity", "unit", "frequency",
                "amount_per_year", "canonical_unit", "hazardous", "available_from",
                "status", "max_distance_km", "created_by_id")
    assert {f: getattr(fast, f) for f in compared} == {f: getattr(slow, f) for f in compared}
    assert fast.hazardous and fast.frequency == "monthly" and fast.amount_per_year == 600


def test_an_external_id_taken_meanwhile_falls_back_to_one_by_one(owner):
    from matching.services import BulkItem, listing_save_many
    from tests.factories import ListingFactory

    # Taken after the view looked the batch's ids up: the single INSERT is refused and
    # each item is saved on its own, the clash reported on its item.
    ListingFactory(company=owner.company, site=owner.site, external_id="RACE-1")
    data = {"kind": "offer", "site": owner.site, "title": "Slag", "external_id": "RACE-1"}
    other = {**data, "title": "Sand", "external_id": "RACE-2"}
    outcomes = listing_save_many(company=owner.company, user=owner.user,
                                 items=[BulkItem(None, data), BulkItem(None, other)],
                                 sites={owner.site.pk: owner.site})
    assert [o.result for o in outcomes] == ["error", "created"]
    assert "external_id" in outcomes[0].errors
    assert Listing.objects.filter(company=owner.company, external_id="RACE-2").count() == 1
