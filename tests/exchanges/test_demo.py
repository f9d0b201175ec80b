"""The exchanges demo step, and the API flow played by the two demo firms."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Q
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import User
from exchanges import demo as exchanges_demo
from exchanges.models import Agreement, AuditEntry, Contact, Delivery
from matching.demo.services import demo_region_load
from matching.models import Match

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Matching's demo then exchanges' step, once for the module, rolled back after."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            demo_region_load()
            yield exchanges_demo.load()
            transaction.set_rollback(True)


def _firms():
    firm = User.objects.get(email=exchanges_demo.FIRM_EMAIL).companies.get()
    partner = User.objects.get(email=exchanges_demo.PARTNER_EMAIL).companies.get()
    return firm, partner


def test_partner_login_works_and_its_listings_match_the_demo_firm(loaded, db):
    assert loaded is not None and loaded.contacts_created == len(exchanges_demo.SCENARIOS)
    user = User.objects.get(email=exchanges_demo.PARTNER_EMAIL)
    assert user.check_password(exchanges_demo.DEMO_PASSWORD)
    firm, partner = _firms()
    assert partner.name == loaded.partner_firm and partner != firm
    pairs = Match.objects.filter(Q(offer__company=firm, want__company=partner)
                                 | Q(offer__company=partner, want__company=firm))
    assert pairs.count() >= len(exchanges_demo.SCENARIOS)


def test_the_pipeline_is_populated_at_different_stages(loaded, db):
    firm, partner = _firms()
    contacts = Contact.objects.filter(Q(requester=firm) | Q(recipient=firm))
    assert sorted(contacts.values_list("state", flat=True)) == [
        "accepted", "accepted", "accepted", "requested", "requested"]
    assert set(contacts.values_list("stage", flat=True)) == {
        "contacted", "feasibility", "agreement", "operating"}
    # One request each way, so both log-ins have something to answer.
    assert set(contacts.filter(state="requested").values_list("recipient", flat=True)) == {
        firm.pk, partner.pk}
    assert sorted(Agreement.objects.filter(contact__in=contacts)
                  .values_list("state", flat=True)) == ["active", "proposed"]
    assert sorted(Delivery.objects.values_list("state", flat=True)) == ["confirmed",
                                                                        "recorded"]


def test_a_second_load_writes_nothing(loaded, db):
    before = (Contact.objects.count(), Agreement.objects.count(), AuditEntry.objects.count(),
              User.objects.count())
    again = exchanges_demo.load()
    assert again.contacts_created == 0 and again.partner_firm == loaded.partner_firm
    assert (Contact.objects.count(), Agreement.objects.count(), AuditEntry.objects.count(),
            User.objects.count()) == before


def test_the_api_flow_with_the_two_demo_firms(loaded, db):
    firm, partner = _firms()
    demo_api, partner_api = APIClient(), APIClient()
    demo_api.force_authenticate(User.objects.get(email=exchanges_demo.FIRM_EMAIL))
    partner_api.force_authenticate(User.objects.get(email=exchanges_demo.PARTNER_EMAIL))
    # A pair of the demo firm not yet in contact: the partner's listing with one of ours.
    used = Contact.objects.values_list("offer", "want")
    match = next(m for m in Match.objects.filter(
        Q(offer__company=firm, want__company=partner)
        | Q(offer__company=partner, want__company=firm)).order_by("-score", "id")
        if (m.offer_id, m.want_id) not in set(used))
    r = demo_api.post("/api/v1/contacts/", {"match": match.pk, "message": "Shall we?"},
                      format="json")
    assert r.status_code == 201 and r.json()["state"] == "requested"
    cid = r.json()["id"]
    seen = partner_api.get(f"/api/v1/contacts/{cid}/").json()
    assert seen["counterpart"] is None and firm.name not in str(seen)
    assert partner_api.post(f"/api/v1/contacts/{cid}/accept/").json()["state"] == "accepted"
    assert partner_api.get(f"/api/v1/contacts/{cid}/").json()["counterpart"] == firm.name
    r = demo_api.post("/api/v1/agreements/", {
        "contact": cid, "material": "Demo material", "quantity": "100", "unit": "t",
        "frequency": "yearly", "currency": "EUR", "start_date": "2026-01-01",
        "transport_by": "receiver"}, format="json")
    assert r.status_code == 201, r.json()
    aid = r.json()["id"]
    demo_api.post(f"/api/v1/agreements/{aid}/propose/")
    demo_api.post(f"/api/v1/agreements/{aid}/sign/", {"version": 1}, format="json")
    r = partner_api.post(f"/api/v1/agreements/{aid}/sign/", {"version": 1}, format="json")
    assert r.json()["state"] == "signed"
    assert partner_api.post(f"/api/v1/agreements/{aid}/activate/").json()["state"] == "active"
