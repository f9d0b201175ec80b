"""The exchanges API end to end, with the owner (supplier) and partner (taker) personas."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from exchanges.models import Contact
from tests.exchanges.factories import terms


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def owner_api(owner):
    return client_for(owner.user)


@pytest.fixture
def partner_api(partner):
    return client_for(partner.user)


def _terms_json(**overrides):
    return {k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in terms(**overrides).items()}


def test_the_whole_flow(owner_api, partner_api, match, owner, partner):
    r = partner_api.post("/api/v1/contacts/", {"match": match.pk, "message": "Hello"},
                         format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["state"] == "requested" and body["id"]
    cid = body["id"]

    # The recipient sees the request anonymously: no firm name, no site, no person.
    seen = owner_api.get(f"/api/v1/contacts/{cid}/").json()
    assert seen["role"] == "recipient" and seen["counterpart"] is None
    assert seen["pair"]["theirs"]["company"] is None
    assert "site" not in seen["pair"]["theirs"]
    assert partner.company.name not in str(seen) and partner.user.email not in str(seen)
    assert seen["pair"]["distance_band_km"] == [40, 45]

    assert owner_api.post(f"/api/v1/contacts/{cid}/accept/").json()["state"] == "accepted"
    seen = owner_api.get(f"/api/v1/contacts/{cid}/").json()
    assert seen["counterpart"] == partner.company.name
    assert seen["pair"]["theirs"]["contact_persons"] == [
        {"name": partner.user.full_name, "email": partner.user.email}]
    assert seen["pair"]["theirs"]["site"]["name"] == partner.site.name

    r = owner_api.post(f"/api/v1/contacts/{cid}/messages/", {"body": "Spec attached"},
                       format="json")
    assert r.status_code == 201 and r.json()["sender"] == "you"
    thread = partner_api.get(f"/api/v1/contacts/{cid}/messages/").json()
    assert [m["body"] for m in thread["results"]] == ["Hello", "Spec attached"]
    assert [m["sender"] for m in thread["results"]] == ["you", "them"]

    upload = SimpleUploadedFile("spec.pdf", b"%PDF-1.4 ash", content_type="application/pdf")
    r = owner_api.post(f"/api/v1/contacts/{cid}/attachments/",
                       {"file": upload, "kind": "specification"}, format="multipart")
    assert r.status_code == 201, r.json()
    files = partner_api.get(f"/api/v1/contacts/{cid}/attachments/").json()["results"]
    assert [f["name"] for f in files] == ["spec.pdf"]

    r = partner_api.patch(f"/api/v1/contacts/{cid}/feasibility/",
                          {"key": "specification", "done": True}, format="json")
    assert r.status_code == 200 and r.json()["stage"] == "feasibility"

    r = partner_api.post("/api/v1/agreements/", {"contact": cid, **_terms_json()},
                         format="json")
    assert r.status_code == 201, r.json()
    aid = r.json()["id"]
    assert r.json()["state"] == "draft" and r.json()["version"] == 1

    same = partner_api.patch(f"/api/v1/agreements/{aid}/", {"quantity": "3000.000"},
                             format="json")
    assert same.json()["version"] == 1
    for n, price in ((2, "-11.00"), (3, "-10.00")):
        r = owner_api.patch(f"/api/v1/agreements/{aid}/", {"price_per_unit": price},
                            format="json")
        assert r.json()["version"] == n
    assert owner_api.post(f"/api/v1/agreements/{aid}/propose/").status_code == 403
    assert partner_api.post(f"/api/v1/agreements/{aid}/propose/").json()["state"] == "proposed"
    stale = owner_api.post(f"/api/v1/agreements/{aid}/sign/", {"version": 2}, format="json")
    assert stale.status_code == 400 and "not the current version" in stale.json()["error"][
        "message"] + str(stale.json()["error"]["fields"])
    r = owner_api.post(f"/api/v1/agreements/{aid}/sign/", {"version": 3}, format="json")
    assert r.json()["state"] == "proposed" and r.json()["signed_by"] == ["you"]
    r = partner_api.post(f"/api/v1/agreements/{aid}/sign/", {"version": 3}, format="json")
    assert r.json()["state"] == "signed" and r.json()["signed_by"] == ["them", "you"]

    versions = owner_api.get(f"/api/v1/agreements/{aid}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [1, 2, 3]
    assert versions[2]["changes"] == [
        {"field": "price_per_unit", "before": "-11.00", "after": "-10.00"}]

    owner_api.post(f"/api/v1/agreements/{aid}/activate/")
    r = partner_api.post(f"/api/v1/agreements/{aid}/activate/")
    assert r.json()["state"] == "active"

    first = owner_api.post(f"/api/v1/agreements/{aid}/deliveries/",
                           {"date": "2026-12-01", "quantity": "120", "unit": "t"},
                           format="json").json()
    second = owner_api.post(f"/api/v1/agreements/{aid}/deliveries/",
                            {"date": "2026-12-02", "quantity": "30000", "unit": "kg"},
                            format="json").json()
    assert owner_api.post(f"/api/v1/deliveries/{first['id']}/confirm/").status_code == 403
    assert partner_api.post(f"/api/v1/deliveries/{first['id']}/confirm/").json()[
        "state"] == "confirmed"
    r = partner_api.post(f"/api/v1/deliveries/{second['id']}/dispute/",
                         {"reason": "Wet"}, format="json")
    assert r.json()["state"] == "disputed"
    totals = owner_api.get(f"/api/v1/agreements/{aid}/").json()["deliveries"]
    assert totals["confirmed"] == pytest.approx(120.0)
    assert totals["disputed"] == pytest.approx(30.0)
    assert partner_api.post(f"/api/v1/agreements/{aid}/complete/").json()["state"] == "completed"
    assert Contact.objects.get(pk=cid).stage == "completed"


def test_contact_from_a_listing_and_refusals(owner_api, owner, partner):
    r = owner_api.post("/api/v1/contacts/", {"message": "Hi"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    r = owner_api.post("/api/v1/contacts/", {"listing": partner.listing.pk,
                                             "own_listing": partner.listing.pk,
                                             "message": "Hi"}, format="json")
    assert r.status_code == 400 and "own_listing" in r.json()["error"]["fields"]
    r = owner_api.post("/api/v1/contacts/", {"listing": partner.listing.pk,
                                             "own_listing": owner.listing.pk,
                                             "message": "Hi"}, format="json")
    assert r.status_code == 201
    again = owner_api.post("/api/v1/contacts/", {"listing": partner.listing.pk,
                                                 "own_listing": owner.listing.pk,
                                                 "message": "Hi"}, format="json")
    assert again.status_code == 400
    assert "already an open contact" in again.json()["error"]["message"]


def test_decline_stop_block_actions(owner_api, partner_api, match):
    cid = partner_api.post("/api/v1/contacts/", {"match": match.pk, "message": "Hi"},
                           format="json").json()["id"]
    assert partner_api.post(f"/api/v1/contacts/{cid}/accept/").status_code == 403
    r = owner_api.post(f"/api/v1/contacts/{cid}/decline/", {"note": "No"}, format="json")
    assert r.json()["state"] == "declined" and r.json()["stop_reason"] == "declined"
    cid = partner_api.post("/api/v1/contacts/", {"match": match.pk, "message": "Again"},
                           format="json").json()["id"]
    r = partner_api.post(f"/api/v1/contacts/{cid}/stop/", {"reason": "nonsense"},
                         format="json")
    assert r.status_code == 400
    assert partner_api.post(f"/api/v1/contacts/{cid}/stop/", {"reason": "timing"},
                            format="json").json()["state"] == "stopped"
    cid = partner_api.post("/api/v1/contacts/", {"match": match.pk, "message": "Third"},
                           format="json").json()["id"]
    assert owner_api.post(f"/api/v1/contacts/{cid}/block/").json()["state"] == "declined"
    r = partner_api.post("/api/v1/contacts/", {"match": match.pk, "message": "Fourth"},
                         format="json")
    assert r.status_code == 400


def test_lists_are_paginated_and_scoped(owner_api, partner_api, outsider, contact):
    body = owner_api.get("/api/v1/contacts/").json()
    assert body["count"] == 1 and body["results"][0]["id"] == contact.pk
    assert client_for(outsider.user).get("/api/v1/contacts/").json()["count"] == 0


def test_unknown_query_parameters_are_refused_naming_the_accepted(owner_api, agreement,
                                                                   contact):
    for url in ("/api/v1/contacts/", f"/api/v1/contacts/{contact.pk}/messages/",
                "/api/v1/agreements/", f"/api/v1/agreements/{agreement.pk}/versions/",
                "/api/v1/deliveries/"):
        r = owner_api.get(url, {"pgae": 2})
        assert r.status_code == 400, url
        error = r.json()["error"]
        assert error["code"] == "unknown_parameter", url
        assert error["message"].startswith("Unknown query parameter: pgae. Accepted here: ")
        assert "page_size" in error["message"], url
    r = owner_api.get(f"/api/v1/contacts/{contact.pk}/", {"page": 1})
    assert r.status_code == 400  # one contact is no list: nothing to page through


def test_nested_lists_take_a_page_size(owner_api, partner, agreement):
    for price in ("-9.00", "-8.00"):
        client_for(partner.user).patch(f"/api/v1/agreements/{agreement.pk}/",
                                       {"price_per_unit": price}, format="json")
    r = owner_api.get(f"/api/v1/agreements/{agreement.pk}/versions/", {"page_size": 2})
    body = r.json()
    assert body["count"] == 3
    assert [v["number"] for v in body["results"]] == [1, 2]
    assert body["next"] is not None


def test_notifications_list_and_mark_read(owner_api, partner_api, owner, contact):
    # The partner's request told the owner's firm.
    body = owner_api.get("/api/v1/notifications/", {"unread": "true"}).json()
    assert body["count"] == 1
    [item] = body["results"]
    assert item["contact"] == contact.pk and item["read"] is False
    assert item["kind"] == "contact-requested"
    assert "Kallio" not in item["text"]  # the asking firm stays anonymous
    assert partner_api.get(f"/api/v1/notifications/{item['id']}/").status_code == 404
    assert partner_api.post(f"/api/v1/notifications/{item['id']}/read/").status_code == 404

    r = owner_api.post(f"/api/v1/notifications/{item['id']}/read/")
    assert r.status_code == 200 and r.json()["read"] is True
    assert owner_api.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 0
    assert owner_api.get("/api/v1/notifications/").json()["count"] == 1
    assert owner_api.post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    assert owner_api.get("/api/v1/notifications/", {"unred": "1"}).status_code == 400
