"""A firm's owner lets the regional agency keep its listings, and can take it back."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import AgencyConsent, Membership
from accounts.selectors import agency_consent_open, agency_list_for_company
from tests.factories import AgencyFactory, MembershipFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_owner_grants_consent_on_the_company_page_and_revokes_it(client, owner, reviewer):
    client.force_login(owner.user)
    page = client.get(reverse("accounts:company")).content.decode()
    assert reviewer.agency.name in page and "Let them edit our listings" in page
    url = reverse("accounts:agency_consent", args=[reviewer.agency.pk])
    client.post(url, {"action": "grant"})
    consent = agency_consent_open(company=owner.company, agency=reviewer.agency)
    assert consent is not None and consent.granted_by == owner.user
    assert "may edit listings" in client.get(reverse("accounts:company")).content.decode()
    client.post(url, {"action": "revoke"})
    assert agency_consent_open(company=owner.company, agency=reviewer.agency) is None
    consent.refresh_from_db()
    assert consent.revoked_at and consent.revoked_by == owner.user  # the record stays


def test_granting_twice_keeps_one_open_consent(owner, reviewer):
    first = services.agency_consent_grant(company=owner.company, agency=reviewer.agency,
                                          user=owner.user)
    again = services.agency_consent_grant(company=owner.company, agency=reviewer.agency,
                                          user=owner.user)
    assert first.pk == again.pk and AgencyConsent.objects.count() == 1


def test_a_member_who_is_not_an_owner_cannot_grant(owner, reviewer):
    member = MembershipFactory(user=UserFactory(), company=owner.company,
                               role=Membership.Role.MEMBER)
    with pytest.raises(PermissionDenied):
        services.agency_consent_grant(company=owner.company, agency=reviewer.agency,
                                      user=member.user)


def test_an_agency_covering_none_of_the_sites_cannot_be_granted(owner, reviewer):
    far = AgencyFactory(name="Far Agency", regions=[RegionFactory(
        name="Lapland", slug="lapland", min_lat=66, max_lat=69, min_lon=20, max_lon=30)])
    assert far not in agency_list_for_company(company=owner.company)
    with pytest.raises(ValidationError):
        services.agency_consent_grant(company=owner.company, agency=far, user=owner.user)


def test_company_page_shows_who_verified_the_firm(client, owner, reviewer):
    from agency.services.firms import firm_verify

    firm_verify(agency=reviewer.agency, user=reviewer.user, company=owner.company)
    client.force_login(owner.user)
    page = client.get(reverse("accounts:company")).content.decode()
    assert f"verified by {reviewer.agency.name}" in page
