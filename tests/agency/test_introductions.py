"""An introduction: a contact naming the agency that both firms must accept; names are
revealed only once both have."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agency import services
from agency.models import Introduction
from exchanges import services as exchange_services
from exchanges.models import Contact, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def introduced(agency, reviewer, match):
    return services.introduction_create(agency=agency, user=reviewer.user, offer=match.offer,
                                        want=match.want,
                                        message="You two should talk about fly ash.")


def test_introduce_makes_a_contact_naming_the_agency(introduced, agency, owner, partner):
    contact = introduced.contact
    assert isinstance(introduced, Introduction) and contact.introduced_by == agency
    assert contact.state == Contact.State.REQUESTED
    assert {contact.requester, contact.recipient} == {owner.company, partner.company}
    assert contact.introduction_note == "You two should talk about fly ash."
    # Both firms are told, each of its own listing, and the agency is named.
    for persona in (owner, partner):
        note = Notification.objects.get(user=persona.user)
        assert agency.name in note.text
        assert persona.listing.title in note.text
        other = partner if persona is owner else owner
        assert other.company.name not in note.text


def test_names_stay_hidden_until_both_firms_accept(client, introduced, owner, partner, agency):
    contact = introduced.contact
    url = reverse("exchanges:contact_detail", args=[contact.pk])
    client.force_login(owner.user)
    page = client.get(url).content.decode()
    assert f"Introduced by {agency.name}" in page
    assert partner.company.name not in page and "Accept" in page

    exchange_services.contact_accept(contact=contact, user=owner.user)
    contact.refresh_from_db()
    assert contact.state == Contact.State.REQUESTED  # one consent is not enough
    page = client.get(url).content.decode()
    assert partner.company.name not in page
    assert "Names are revealed once the other firm accepts" in page
    assert partner.user.email not in page

    exchange_services.contact_accept(contact=contact, user=partner.user)
    contact.refresh_from_db()
    assert contact.state == Contact.State.ACCEPTED
    page = client.get(url).content.decode()
    assert partner.company.name in page and partner.user.email in page
    client.force_login(partner.user)
    assert owner.company.name in client.get(url).content.decode()


def test_either_firm_may_decline_an_introduction(introduced, owner):
    contact = exchange_services.contact_decline(contact=introduced.contact, user=owner.user)
    assert contact.state == Contact.State.DECLINED


def test_an_open_contact_on_the_pair_prevents_a_second_introduction(introduced, agency,
                                                                    reviewer, match):
    with pytest.raises(ValidationError):
        services.introduction_create(agency=agency, user=reviewer.user, offer=match.offer,
                                     want=match.want)
    assert Introduction.objects.count() == 1


def test_the_api_shows_the_introducing_agency_to_the_firms(introduced, owner, agency):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(owner.user)
    body = api.get(f"/api/v1/contacts/{introduced.contact.pk}/").json()
    assert body["introduced_by"] == agency.name
    assert body["awaiting_you"] is True
    assert body["counterpart"] is None
