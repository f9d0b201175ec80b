"""Webhooks for what happens in exchanges, delivered to a real HTTP receiver on loopback:
contact requested and accepted, agreement proposed and signed, delivery recorded."""

from __future__ import annotations

import datetime as dt
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from exchanges import events as exchange_events
from exchanges import services as exchange_services
from integrations import services
from integrations.models import WebhookEndpoint
from matching import events as matching_events
from tests.exchanges.factories import MatchFactory, terms
from tests.integrations.test_webhooks import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

EXCHANGE_EVENTS = list(exchange_events.EVENTS)


@pytest.fixture(autouse=True)
def _webhooks_on_loopback(settings, tmp_path):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_BASE_S = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _listen(persona, receiver, events=EXCHANGE_EVENTS):
    endpoint = services.webhook_endpoint_create(company=persona.company, user=persona.user,
                                                url=receiver.url, events=events)
    receiver.secret = endpoint.secret
    return endpoint


def _request(owner, partner):
    match = MatchFactory(offer=owner.listing, want=partner.listing)
    return exchange_services.contact_request(
        user=partner.user, company=partner.company, match_id=match.pk,
        message="We could take your fly ash.")


def _bodies(receiver, event):
    return [r["body"]["data"] for r in receiver.received if r["event"] == event]


def test_a_contact_request_reaches_both_firms_without_names(owner, partner):
    owner.listing.external_id = "ERP-7"
    owner.listing.save(update_fields=["external_id"])
    with Receiver() as mine, Receiver() as theirs:
        _listen(owner, mine)
        _listen(partner, theirs)
        contact = _request(owner, partner)
    assert all(r["valid"] for r in mine.received + theirs.received)
    [told] = _bodies(mine, "contact.requested")
    assert told["contact_id"] == contact.pk and told["role"] == "recipient"
    assert told["listing"] == {"id": owner.listing.pk, "external_id": "ERP-7"}
    assert told["counterpart"]["company"] is None
    assert told["counterpart"]["listing_id"] == partner.listing.pk
    assert told["counterpart"]["sector"] and told["counterpart"]["area"]
    # Before acceptance nothing names the other firm, its site or the message.
    raw = json.dumps(mine.received)
    for secret in (partner.company.name, partner.site.name, "take your fly ash",
                   partner.user.email):
        assert secret not in raw
    assert _bodies(theirs, "contact.requested")[0]["role"] == "requester"


def test_acceptance_reveals_the_other_firm(owner, partner):
    contact = _request(owner, partner)
    with Receiver() as theirs:
        _listen(partner, theirs, events=["contact.accepted"])
        exchange_services.contact_accept(contact=contact, user=owner.user)
    [told] = _bodies(theirs, "contact.accepted")
    assert told["state"] == "accepted"
    assert told["counterpart"]["company"] == owner.company.name
    assert [r["event"] for r in theirs.received] == ["contact.accepted"]


def test_agreement_and_delivery_events_carry_no_terms(owner, partner):
    contact = _request(owner, partner)
    exchange_services.contact_accept(contact=contact, user=owner.user)
    with Receiver() as mine:
        _listen(owner, mine)
        agreement = exchange_services.agreement_create(
            contact=contact, user=partner.user,
            terms=terms(start_date=dt.date.today() - dt.timedelta(days=1)))
        exchange_services.agreement_propose(agreement=agreement, user=partner.user)
        exchange_services.agreement_sign(agreement=agreement, user=partner.user, version=1)
        exchange_services.agreement_sign(agreement=agreement, user=owner.user, version=1)
        exchange_services.agreement_activate(agreement=agreement, user=owner.user)
        delivery = exchange_services.delivery_record(
            agreement=agreement, user=partner.user, date=dt.date.today(), quantity="20",
            unit="t")
    assert all(r["valid"] for r in mine.received)
    [proposed] = _bodies(mine, "agreement.proposed")
    assert proposed["agreement_id"] == agreement.pk and proposed["by"] == "other_firm"
    assert proposed["version"] == 1 and proposed["state"] == "proposed"
    first, second = _bodies(mine, "agreement.signed")
    assert (first["signed_by_you"], first["signed_by_other_firm"]) == (False, True)
    assert (second["signed_by_you"], second["state"]) == (True, "signed")
    [recorded] = _bodies(mine, "delivery.recorded")
    assert recorded == {
        "delivery_id": delivery.pk, "agreement_id": agreement.pk, "contact_id": contact.pk,
        "date": dt.date.today().isoformat(), "quantity": "20", "unit": "t",
        "state": "recorded", "by": "other_firm"}
    # Prices and terms stay behind the API.
    raw = json.dumps(mine.received)
    assert "price" not in raw and "-12.50" not in raw and "EN 450-1" not in raw


def test_only_the_events_an_endpoint_chose_are_sent(owner, partner):
    with Receiver() as mine:
        _listen(owner, mine, events=["contact.accepted"])
        _request(owner, partner)
    assert mine.received == []


def test_an_endpoint_failing_for_a_day_is_disabled_with_a_notice(owner, client, mailoutbox):
    with Receiver(fail_first=99) as receiver:
        endpoint = _listen(owner, receiver, events=["matches.changed"])
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(days=1, minutes=1))
        matching_events.matches_changed_announce(listing_ids=[owner.listing.pk])
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    [mail] = mailoutbox
    assert mail.to == [owner.user.email] and endpoint.url in mail.body
    client.force_login(owner.user)
    page = client.get("/accounts/company/webhooks/").content.decode()
    assert "was disabled after failing for a day" in page and "Enable again" in page
    client.post(f"/accounts/company/webhooks/{endpoint.pk}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None and endpoint.failing_since is None


def test_a_member_cannot_enable_an_endpoint(owner, client):
    from accounts.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    endpoint = WebhookEndpoint.objects.create(
        company=owner.company, url="https://hooks.example/x", events=["match.created"],
        secret="s", disabled_at=timezone.now())
    member = UserFactory(email="member@power.example")
    MembershipFactory(user=member, company=owner.company, role=Membership.Role.MEMBER)
    client.force_login(member)
    response = client.post(f"/accounts/company/webhooks/{endpoint.pk}/enable/")
    assert response.status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None


def test_the_api_registers_an_endpoint_for_exchange_events(owner):
    from django.urls import reverse

    from tests.integrations.conftest import key_client
    client, _k, _t = key_client(owner, scopes=["read", "webhooks"])
    created = client.post(reverse("api:webhook-list"), {
        "url": "https://hooks.example/x", "events": ["contact.requested", "delivery.recorded"]
    }, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["events"] == ["contact.requested", "delivery.recorded"]
    refused = client.post(reverse("api:webhook-list"), {
        "url": "https://hooks.example/x", "events": ["contact.exploded"]}, format="json")
    assert refused.status_code == 400


def test_another_firm_cannot_enable_an_endpoint(owner, outsider, client):
    endpoint = WebhookEndpoint.objects.create(
        company=owner.company, url="https://hooks.example/x", events=["match.created"],
        secret="s", disabled_at=timezone.now())
    client.force_login(outsider.user)
    assert client.post(f"/accounts/company/webhooks/{endpoint.pk}/enable/").status_code == 404
    client.logout()
    anonymous = client.post(f"/accounts/company/webhooks/{endpoint.pk}/enable/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None


def test_an_introduction_reaches_both_firms_naming_the_agency_not_the_other_firm(
        owner, partner, reviewer):
    with Receiver() as mine, Receiver() as theirs:
        _listen(owner, mine, events=["introduction.created"])
        _listen(partner, theirs, events=["introduction.created"])
        contact = exchange_services.contact_introduce(
            agency=reviewer.agency, user=reviewer.user, offer=owner.listing,
            want=partner.listing, message="You two should talk about fly ash.")
    assert all(r["valid"] for r in mine.received + theirs.received)
    [told] = _bodies(mine, "introduction.created")
    [other] = _bodies(theirs, "introduction.created")
    assert told["contact_id"] == other["contact_id"] == contact.pk
    assert told["introduced_by"] == other["introduced_by"] == reviewer.agency.name
    assert {told["role"], other["role"]} == {"requester", "recipient"}
    assert told["counterpart"]["company"] is None and other["counterpart"]["company"] is None
    raw = json.dumps(mine.received)
    assert partner.company.name not in raw and partner.site.name not in raw
