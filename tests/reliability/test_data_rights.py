"""Issue 19, data rights: a firm exports all its data and deletes its account (page and API,
owner only, the company's name typed to confirm, one transaction)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import datarights as accounts_datarights
from accounts import services as accounts_services
from accounts.models import Company, Membership, User
from exchanges import services as exchanges_services
from exchanges.models import Agreement, AuditEntry, Delivery
from integrations import services as integrations_services
from integrations.models import ApiKey, WebhookEndpoint
from matching.models import Listing
from tests.api.conftest import client_for
from tests.exchanges.factories import MatchFactory, terms
from tests.factories import CompanyFactory, ListingFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Trucks can come on Tuesdays."


@pytest.fixture
def firm(owner, partner, outsider, settings, tmp_path):
    """A (owner) has a colleague, a key, a webhook, a match with B and a signed, running
    agreement with C (outsider) with a delivery; B's match with A is anonymous."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WEBHOOK_ALLOW_PRIVATE = True
    a, c = owner, outsider
    colleague = UserFactory(email="colleague@power.example", full_name="Colleague Person")
    MembershipFactory(user=colleague, company=a.company, role=Membership.Role.MEMBER)
    # Someone also working for another firm keeps that account.
    shared = UserFactory(email="consultant@shared.example")
    MembershipFactory(user=shared, company=a.company, role=Membership.Role.MEMBER)
    MembershipFactory(user=shared, company=CompanyFactory(name="Consulting Oy"))
    MatchFactory(offer=a.listing, want=partner.listing, distance_km=41.937698921287065)
    c_want = ListingFactory(company=c.company, site=c.site, kind="want", title="Ash wanted")
    contact = exchanges_services.contact_request(
        user=c.user, company=c.company, match_id=MatchFactory(offer=a.listing, want=c_want).pk,
        message="Could we take it?")
    exchanges_services.contact_accept(contact=contact, user=a.user)
    exchanges_services.message_post(contact=contact, user=a.user, body=MESSAGE)
    exchanges_services.attachment_add(
        contact=contact, user=a.user,
        file=SimpleUploadedFile("spec.pdf", b"%PDF-1.4", "application/pdf"))
    agreement = exchanges_services.agreement_create(contact=contact, user=c.user, terms=terms())
    exchanges_services.agreement_propose(agreement=agreement, user=c.user)
    exchanges_services.agreement_sign(agreement=agreement, user=c.user, version=1)
    exchanges_services.agreement_sign(agreement=agreement, user=a.user, version=1)
    exchanges_services.agreement_activate(agreement=agreement, user=c.user)
    exchanges_services.agreement_activate(agreement=agreement, user=a.user)
    exchanges_services.delivery_record(
        agreement=agreement, user=a.user, date=agreement.versions.get().start_date,
        quantity=120, unit="t")
    key, key_text = integrations_services.api_key_create(
        company=a.company, user=a.user, name="ERP", scopes=["read"])
    webhook = integrations_services.webhook_endpoint_create(
        company=a.company, user=a.user, url="https://erp.power.example/hooks",
        events=["match.created"])
    accounts_services.token_get_or_create(user=a.user)
    a.colleague, a.shared, a.agreement, a.contact = colleague, shared, agreement, contact
    a.key, a.key_text, a.webhook = key, key_text, webhook
    return a


def test_owner_downloads_everything_as_json(client, firm):
    client.force_login(firm.user)
    response = client.get(reverse("company_data_export"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["accounts"]["company"]["name"] == "Harbour Power Oy"
    assert {m["email"] for m in data["accounts"]["members"]} == {
        "owner@power.example", "colleague@power.example", "consultant@shared.example"}
    assert [s["name"] for s in data["accounts"]["sites"]] == ["Harbour Power Oy works"]
    assert {row["id"] for row in data["matching"]["listings"]} == {firm.listing.pk}
    exchanges = data["exchanges"]
    assert [m["body"] for m in exchanges["messages"]][-1] == MESSAGE
    assert exchanges["agreements"][0]["state"] == "active"
    assert len(exchanges["deliveries"]) == 1 and exchanges["audit"]
    assert data["integrations"]["api_keys"][0]["name"] == "ERP"
    # Matches as the firm sees them: bands, never the exact distance; never secrets.
    text = response.content.decode()
    assert all("distance_km" not in m for m in data["matching"]["matches"])
    assert "41.937" not in text
    for secret in (firm.key.secret_hash, firm.webhook.secret, firm.key_text):
        assert secret not in text


def test_the_api_gives_the_same_document_to_owners_only(firm):
    data = client_for(firm.user).get("/api/v1/company/export/").json()
    assert set(data) >= {"accounts", "matching", "exchanges", "integrations"}
    assert client_for(firm.colleague).get("/api/v1/company/export/").status_code == 403
    key_client = APIClient()
    key_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {firm.key_text}")
    refused = key_client.get("/api/v1/company/export/")
    assert refused.status_code == 403 and "API key" in refused.json()["error"]["message"]


def test_members_who_are_not_owners_cannot_export_or_delete(client, firm):
    client.force_login(firm.colleague)
    assert client.get(reverse("company_data")).status_code == 403
    assert client.get(reverse("company_data_export")).status_code == 403
    response = client.post(reverse("company_data"), {"confirm_name": "Harbour Power Oy"})
    assert response.status_code == 403
    assert Company.objects.filter(name="Harbour Power Oy").exists()


def test_deleting_needs_the_company_name_typed(client, firm):
    client.force_login(firm.user)
    page = client.post(reverse("company_data"), {"confirm_name": "Harbour"})
    assert page.status_code == 400
    body = page.content.decode()
    assert 'role="alert"' in body and 'aria-describedby="confirm-name-error"' in body
    assert "Type the company" in body
    assert Listing.objects.get(pk=firm.listing.pk).status == Listing.Status.ACTIVE


def test_deleting_closes_listings_erases_people_and_keeps_the_other_partys_records(
    client, firm, outsider
):
    client.force_login(firm.user)
    response = client.post(reverse("company_data"), {"confirm_name": " harbour power oy "})
    assert response.status_code == 302
    company = Company.objects.get(pk=firm.company.pk)
    assert company.name.startswith("Former member ") and company.website == ""
    assert not Listing.objects.filter(company=company).exclude(status="closed").exists()
    # Its people: gone as persons, kept as accounts the trail can point at.
    for person in (firm.user, firm.colleague):
        person.refresh_from_db()
        assert person.email.endswith("@erased.invalid") and not person.is_active
        assert person.full_name == "" and not person.has_usable_password()
    assert not Token.objects.filter(user=firm.user).exists()
    assert not client.login(username="owner@power.example", password=firm.password)
    firm.shared.refresh_from_db()
    assert firm.shared.is_active and firm.shared.email == "consultant@shared.example"
    assert not Membership.objects.filter(company=company).exists()
    # The other party still has the agreement, the delivery and the talk, under a pseudonym.
    agreement = Agreement.objects.get(pk=firm.agreement.pk)
    assert agreement.state == "active" and Delivery.objects.filter(agreement=agreement).exists()
    other = client_for(outsider.user).get(f"/api/v1/agreements/{agreement.pk}/")
    assert other.status_code == 200
    assert "Harbour Power" not in other.content.decode()
    talk = client_for(outsider.user).get(f"/api/v1/contacts/{firm.contact.pk}/").content.decode()
    assert company.name in talk and "Harbour Power" not in talk
    # The audit trail still says which account did what.
    assert AuditEntry.objects.filter(contact=firm.contact, user=firm.user).exists()
    # Keys revoked (their log kept), webhooks gone.
    assert ApiKey.objects.get(pk=firm.key.pk).revoked_at is not None
    assert not WebhookEndpoint.objects.filter(company=company).exists()


def test_api_delete_answers_with_what_it_did(firm):
    api = client_for(firm.user)
    wrong = api.post("/api/v1/company/delete/", {"confirm_name": "Someone Else"},
                     format="json")
    assert wrong.status_code == 400 and "confirm_name" in wrong.json()["error"]["fields"]
    done = api.post("/api/v1/company/delete/", {"confirm_name": "Harbour Power Oy"},
                    format="json")
    assert done.status_code == 200
    report = done.json()
    assert report["matching"]["listings_closed"] == 1
    assert report["accounts"]["people_anonymised"] == 2


def test_deletion_is_one_transaction(client, firm, monkeypatch):
    """A failure in the last step (accounts) undoes what the steps before it did."""
    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(accounts_datarights, "erase_company", fail)
    client.force_login(firm.user)
    client.raise_request_exception = False
    response = client.post(reverse("company_data"), {"confirm_name": "Harbour Power Oy"})
    assert response.status_code == 500
    assert Listing.objects.get(pk=firm.listing.pk).status == Listing.Status.ACTIVE
    assert ApiKey.objects.get(pk=firm.key.pk).revoked_at is None
    assert WebhookEndpoint.objects.filter(pk=firm.webhook.pk).exists()
    assert User.objects.get(pk=firm.user.pk).is_active
