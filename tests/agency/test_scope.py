"""Staff see the listings, contacts, agreements and deliveries of their regions only
(pages and API), parties and stage but never messages or prices; a pair across two regions
is visible to both agencies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agency import selectors
from exchanges import services
from tests.exchanges.factories import MatchFactory, terms
from tests.factories import AgencyFactory, AgencyMembershipFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Our gate code is 4711 and the price is negotiable"


@pytest.fixture
def delivered(owner, partner, settings, tmp_path):
    """A contact with a message, an active agreement (with a price) and one delivery."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    match = MatchFactory(offer=owner.listing, want=partner.listing)
    contact = services.contact_request(user=partner.user, company=partner.company,
                                       match_id=match.pk, message=MESSAGE)
    services.contact_accept(contact=contact, user=owner.user)
    agreement = services.agreement_create(contact=contact, user=partner.user,
                                          terms=terms(price_per_unit="-17.25"))
    services.agreement_propose(agreement=agreement, user=partner.user)
    services.agreement_sign(agreement=agreement, user=partner.user, version=1)
    services.agreement_sign(agreement=agreement, user=owner.user, version=1)
    services.agreement_activate(agreement=agreement, user=partner.user)
    services.agreement_activate(agreement=agreement, user=owner.user)
    services.delivery_record(agreement=agreement, user=owner.user,
                             date=dt.date.today(), quantity="120", unit="t")
    contact.refresh_from_db()
    return contact


def test_region_activity_shows_parties_and_stage_never_messages_or_prices(
        client, reviewer, delivered, owner, partner):
    client.force_login(reviewer.user)
    page = client.get(reverse("agency:region_activity")).content.decode()
    assert owner.company.name in page and partner.company.name in page
    assert delivered.get_stage_display() in page and "Active" in page
    assert MESSAGE not in page and "17.25" not in page and "17,25" not in page
    assert 'id="deliveries"' in page and "No deliveries in your regions yet" not in page


def test_staff_of_another_region_see_none_of_it(client, lapland_staff, delivered, owner):
    client.force_login(lapland_staff.user)
    page = client.get(reverse("agency:region_activity")).content.decode()
    assert owner.company.name not in page
    assert "No contacts in your regions yet" in page
    assert "No agreements in your regions yet" in page
    assert "No deliveries in your regions yet" in page


def test_firm_user_gets_404_on_region_activity(client, owner):
    client.force_login(owner.user)
    assert client.get(reverse("agency:region_activity")).status_code == 404


@pytest.mark.parametrize("route", ["firms", "listings", "contacts", "agreements",
                                   "deliveries"])
def test_api_lists_the_regions_rows_to_its_staff_and_nothing_to_others(
        route, reviewer, lapland_staff, delivered):
    api = APIClient()
    api.force_authenticate(reviewer.user)
    mine = api.get(f"/api/v1/agency/{route}/")
    assert mine.status_code == 200 and mine.json()["count"] >= 1
    body = str(mine.json())
    assert MESSAGE not in body and "17.25" not in body and "price" not in body
    first = mine.json()["results"][0]["id"]
    api.force_authenticate(lapland_staff.user)
    theirs = api.get(f"/api/v1/agency/{route}/")
    assert theirs.status_code == 200 and theirs.json()["count"] == 0
    assert api.get(f"/api/v1/agency/{route}/{first}/").status_code == 404


def test_api_refuses_firm_users_with_404(owner, delivered):
    api = APIClient()
    api.force_authenticate(owner.user)
    assert api.get("/api/v1/agency/contacts/").status_code == 404


def test_api_refuses_unknown_query_parameters(reviewer):
    api = APIClient()
    api.force_authenticate(reviewer.user)
    assert api.get("/api/v1/agency/firms/", {"colour": "red"}).status_code == 400


def test_api_verifies_a_firm_in_the_region_only(reviewer, lapland_staff, owner):
    api = APIClient()
    api.force_authenticate(reviewer.user)
    response = api.post(f"/api/v1/agency/firms/{owner.company.pk}/verify/")
    assert response.status_code == 200
    assert response.json()["verified_by"] == reviewer.agency.name
    api.force_authenticate(lapland_staff.user)
    assert api.post(f"/api/v1/agency/firms/{owner.company.pk}/unverify/").status_code == 404
    owner.company.refresh_from_db()
    assert owner.company.verified


def test_a_contact_across_two_regions_is_visible_to_both_agencies(reviewer, delivered,
                                                                   partner):
    # A second agency whose region holds only the cement works in Rauma.
    rauma = RegionFactory(name="Rauma", slug="rauma", min_lat=61.0, max_lat=61.2,
                          min_lon=21.3, max_lon=21.7)
    other = AgencyFactory(name="Rauma Agency", regions=[rauma])
    AgencyMembershipFactory(user=UserFactory(), agency=other)
    assert list(selectors.contact_list_for_agency(agency=reviewer.agency)) == [delivered]
    assert list(selectors.contact_list_for_agency(agency=other)) == [delivered]
    assert selectors.agreement_list_for_agency(agency=other).count() == 1
    assert selectors.delivery_list_for_agency(agency=other).count() == 1
    # Listings follow their own site: only the want in Rauma is the other agency's.
    assert list(selectors.listing_list_for_agency(agency=other)) == [partner.listing]
