"""Who may read and change what: a third firm, an anonymous visitor and an agency of
another region see and change nothing; the region's agency sees parties and stage only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from exchanges import services
from exchanges.models import (
    Agreement,
    AgreementVersion,
    AuditEntry,
    Contact,
    Delivery,
    FeasibilityItem,
    Message,
    Signature,
)
from tests.exchanges.factories import terms
from tests.factories import AgencyFactory, AgencyMembershipFactory, RegionFactory

SECRET = "Our price is 12 EUR, call Matti"


@pytest.fixture
def world(active, owner, partner):
    """An active agreement with a message, a file and a recorded delivery."""
    contact = active.contact
    services.message_post(contact=contact, user=owner.user, body=SECRET)
    attachment = services.attachment_add(
        contact=contact, user=owner.user,
        file=SimpleUploadedFile("lab.pdf", b"%PDF secret lab"), kind="lab-analysis")
    delivery = services.delivery_record(agreement=active, user=owner.user,
                                        date=dt.date(2026, 12, 1), quantity="40", unit="t")
    return {"contact": contact, "agreement": active, "attachment": attachment,
            "delivery": delivery}


@pytest.fixture
def other_agency(db):
    region = RegionFactory(name="Uusimaa", slug="uusimaa", min_lat=59.8, max_lat=60.8,
                           min_lon=23.5, max_lon=26.0)
    return AgencyMembershipFactory(agency=AgencyFactory(regions=[region])).user


def _api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def _state():
    """Everything a forbidden call might change."""
    return (
        list(Contact.objects.values_list("id", "state", "stage")),
        list(Agreement.objects.values_list("id", "state", "activation_confirmed_by")),
        Message.objects.count(), AgreementVersion.objects.count(), Signature.objects.count(),
        list(Delivery.objects.values_list("id", "state")), AuditEntry.objects.count(),
        list(FeasibilityItem.objects.values_list("key", "done")),
    )


def _reads(w):
    c, a, d = w["contact"].pk, w["agreement"].pk, w["delivery"].pk
    return [f"/api/v1/contacts/{c}/", f"/api/v1/contacts/{c}/messages/",
            f"/api/v1/contacts/{c}/attachments/", f"/api/v1/contacts/{c}/feasibility/",
            f"/api/v1/agreements/{a}/", f"/api/v1/agreements/{a}/versions/",
            f"/api/v1/agreements/{a}/deliveries/", f"/api/v1/deliveries/{d}/"]


def _writes(w):
    c, a, d = w["contact"].pk, w["agreement"].pk, w["delivery"].pk
    start = dt.date.today().isoformat()
    return [
        ("post", f"/api/v1/contacts/{c}/accept/", {}),
        ("post", f"/api/v1/contacts/{c}/decline/", {}),
        ("post", f"/api/v1/contacts/{c}/stop/", {"reason": "price"}),
        ("post", f"/api/v1/contacts/{c}/block/", {}),
        ("post", f"/api/v1/contacts/{c}/messages/", {"body": "let me in"}),
        ("patch", f"/api/v1/contacts/{c}/feasibility/", {"key": "decision", "done": True}),
        ("post", "/api/v1/agreements/", {"contact": c, **{k: str(v) for k, v in terms(
            start_date=start, end_date=None).items() if v is not None}}),
        ("patch", f"/api/v1/agreements/{a}/", {"notes": "changed"}),
        ("post", f"/api/v1/agreements/{a}/propose/", {}),
        ("post", f"/api/v1/agreements/{a}/sign/", {"version": 1}),
        ("post", f"/api/v1/agreements/{a}/activate/", {}),
        ("post", f"/api/v1/agreements/{a}/complete/", {}),
        ("post", f"/api/v1/agreements/{a}/withdraw/", {"reason": "x"}),
        ("post", f"/api/v1/agreements/{a}/terminate/", {"reason": "x"}),
        ("post", f"/api/v1/agreements/{a}/deliveries/",
         {"date": start, "quantity": "1", "unit": "t"}),
        ("post", f"/api/v1/deliveries/{d}/confirm/", {}),
        ("post", f"/api/v1/deliveries/{d}/dispute/", {"reason": "x"}),
    ]


def _no_leak(text: str, w, owner, partner) -> None:
    for secret in (SECRET, owner.company.name, partner.company.name, owner.user.email,
                   partner.user.email, "lab.pdf", "-12.50"):
        assert secret not in text


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_agency"])
def test_strangers_read_nothing(who, world, owner, partner, request):
    user = None if who == "anonymous" else (
        request.getfixturevalue("outsider").user if who == "outsider"
        else request.getfixturevalue("other_agency"))
    client = _api(user)
    for url in _reads(world):
        r = client.get(url)
        assert r.status_code == (401 if user is None else 404), (url, r.status_code)
        assert r.json()["error"]["status"] == r.status_code
        _no_leak(r.content.decode(), world, owner, partner)
    for url in ("/api/v1/contacts/", "/api/v1/agreements/", "/api/v1/deliveries/"):
        r = client.get(url)
        if user is None:
            assert r.status_code == 401
        else:
            assert r.status_code == 200 and r.json()["count"] == 0
        _no_leak(r.content.decode(), world, owner, partner)


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_agency"])
def test_strangers_change_nothing(who, world, request):
    user = None if who == "anonymous" else (
        request.getfixturevalue("outsider").user if who == "outsider"
        else request.getfixturevalue("other_agency"))
    client = _api(user)
    before = _state()
    for method, url, data in _writes(world):
        r = getattr(client, method)(url, data, format="json")
        allowed = {401} if user is None else {400, 403, 404}
        assert r.status_code in allowed, (url, r.status_code, r.content)
        if url == "/api/v1/agreements/" and r.status_code == 400:
            assert r.json()["error"]["fields"]["contact"] == ["No such contact."]
    upload = SimpleUploadedFile("x.pdf", b"%PDF x")
    r = client.post(f"/api/v1/contacts/{world['contact'].pk}/attachments/", {"file": upload},
                    format="multipart")
    assert r.status_code == (401 if user is None else 404)
    assert _state() == before


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_agency", "reviewer"])
def test_strangers_get_no_pages_or_files(who, world, match, owner, partner, request):
    client = Client()
    if who == "outsider":
        client.force_login(request.getfixturevalue("outsider").user)
    elif who == "other_agency":
        client.force_login(request.getfixturevalue("other_agency"))
    elif who == "reviewer":
        client.force_login(request.getfixturevalue("reviewer").user)
    a = world["agreement"].pk
    urls = [f"/exchanges/attachments/{world['attachment'].pk}/",
            f"/exchanges/agreements/{a}/print/"]
    if who != "reviewer":
        urls += [f"/exchanges/contacts/{world['contact'].pk}/", f"/exchanges/agreements/{a}/"]
    for url in urls:
        r = client.get(url)
        if who == "anonymous":
            assert r.status_code == 302 and "/accounts/login/" in r["Location"]
        else:
            assert r.status_code in (403, 404), (url, r.status_code)
            _no_leak(r.content.decode(), world, owner, partner)
    before = _state()
    for url in (f"/exchanges/contacts/{world['contact'].pk}/message/",
                f"/exchanges/agreements/{a}/terminate/",
                f"/exchanges/deliveries/{world['delivery'].pk}/confirm/"):
        r = client.post(url, {"body": "x", "reason": "x"})
        assert r.status_code in (302, 403, 404)
        if who == "anonymous":
            assert "/accounts/login/" in r["Location"]
    assert _state() == before


def test_region_agency_sees_parties_and_stage_only(world, reviewer, owner, partner):
    client = _api(reviewer.user)
    contact = client.get(f"/api/v1/contacts/{world['contact'].pk}/")
    assert contact.status_code == 200
    body = contact.json()
    assert body["parties"] == {"requester": partner.company.name,
                               "recipient": owner.company.name}
    assert body["stage"] == "operating" and "pair" not in body
    assert SECRET not in contact.content.decode()
    agreement = client.get(f"/api/v1/agreements/{world['agreement'].pk}/")
    assert agreement.status_code == 200 and agreement.json()["state"] == "active"
    assert "terms" not in agreement.json() and "-12.50" not in agreement.content.decode()
    for suffix in ("messages/", "attachments/", "feasibility/"):
        r = client.get(f"/api/v1/contacts/{world['contact'].pk}/{suffix}")
        assert r.status_code == 403
        assert SECRET not in r.content.decode() and "lab.pdf" not in r.content.decode()
    for suffix in ("versions/", "deliveries/"):
        assert client.get(f"/api/v1/agreements/{world['agreement'].pk}/{suffix}"
                          ).status_code == 403
    assert client.get(f"/api/v1/deliveries/{world['delivery'].pk}/").status_code == 404
    assert client.get("/api/v1/contacts/").json()["count"] == 1

    page = Client()
    page.force_login(reviewer.user)
    r = page.get(f"/exchanges/contacts/{world['contact'].pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert owner.company.name in html and partner.company.name in html
    assert SECRET not in html and "lab.pdf" not in html
    r = page.get(f"/exchanges/agreements/{world['agreement'].pk}/")
    assert r.status_code == 200 and "-12.50" not in r.content.decode()


def test_parties_download_attachments_as_files(world, owner, partner):
    for persona in (owner, partner):
        client = Client()
        client.force_login(persona.user)
        r = client.get(f"/exchanges/attachments/{world['attachment'].pk}/")
        assert r.status_code == 200
        assert r["Content-Disposition"].startswith("attachment;")
        assert 'filename="lab.pdf"' in r["Content-Disposition"]
        assert b"".join(r.streaming_content) == b"%PDF secret lab"


def test_a_member_without_signatory_rights_cannot_sign_through_the_api(agreement, owner,
                                                                       partner):
    from accounts.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    services.agreement_propose(agreement=agreement, user=partner.user)
    clerk = UserFactory()
    MembershipFactory(user=clerk, company=owner.company, role=Membership.Role.MEMBER)
    r = _api(clerk).post(f"/api/v1/agreements/{agreement.pk}/sign/", {"version": 1},
                         format="json")
    assert r.status_code == 403 and "signatory" in r.json()["error"]["message"]
    assert not Signature.objects.filter(company=owner.company).exists()


def test_region_agency_reads_the_audit_trail_without_notes(world, reviewer, owner, partner):
    body = _api(reviewer.user).get(f"/api/v1/contacts/{world['contact'].pk}/").json()

    trail = [(e["subject"], e["action"], e["from_state"], e["to_state"], e["firm"])
             for e in body["audit"]]
    assert ("contact", "request", "", "requested", partner.company.name) in trail
    assert ("contact", "accept", "requested", "accepted", owner.company.name) in trail
    assert any(s == "agreement" and to == "active" for s, _a, _f, to, _c in trail)
    assert all("note" not in e for e in body["audit"])
    assert SECRET not in str(body)

    page = Client()
    page.force_login(reviewer.user)
    html = page.get(f"/exchanges/agreements/{world['agreement'].pk}/").content.decode()
    assert "History" in html and "signed → active" in html
    assert "-12.50" not in html and SECRET not in html
    html = page.get(f"/exchanges/contacts/{world['contact'].pk}/").content.decode()
    assert "requested → accepted" in html and SECRET not in html
