"""Claiming an unclaimed profile: by an address at the domain the agency entered, or by
the agency on the firm's behalf."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import claims
from accounts.models import Company, CompanyClaim, Invitation, Membership
from tests.factories import CompanyFactory, MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(/accounts/claim/[^/\s]+/)")


@pytest.fixture
def unclaimed(db):
    company = CompanyFactory(name="Porin Lämpö Oy, Aittaluoto", claimed=False,
                             claim_domain="porinlampo.example")
    SiteFactory(company=company)
    return company


def _link_from_mail() -> str:
    [message] = mail.outbox
    return LINK.search(message.body).group(1)


def test_an_address_at_the_domain_gets_a_link_naming_the_firm(client, unclaimed,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:claim"),
                               {"email": "Anna@PorinLampo.example"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "We sent a link to anna@porinlampo.example" in body
    assert unclaimed.name not in body  # only the mailbox learns which firm
    [message] = mail.outbox
    assert message.to == ["anna@porinlampo.example"] and unclaimed.name in message.subject
    claim = CompanyClaim.objects.get(company=unclaimed)
    assert claim.completed_at is None and claim.token_hash and not claim.email.startswith("A")


def test_an_address_at_another_domain_is_refused(client, unclaimed):
    response = client.post(reverse("accounts:claim"), {"email": "anna@gmail.example"})
    assert response.status_code == 200
    assert "No profile waiting to be claimed" in response.content.decode()
    assert mail.outbox == [] and not CompanyClaim.objects.exists()
    with pytest.raises(ValidationError):
        claims.company_claim_request(email="anna@sub.porinlampo.example")


def test_following_the_link_opens_an_account_that_owns_the_firm(
        client, unclaimed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:claim"), {"email": "anna@porinlampo.example"})
    link = _link_from_mail()
    page = client.get(link)
    assert page.status_code == 200 and unclaimed.name in page.content.decode()
    response = client.post(link, {"full_name": "Anna Aalto", "password1": "kivi-hiili-2026",
                                  "password2": "kivi-hiili-2026"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:company")
    unclaimed.refresh_from_db()
    assert unclaimed.claimed and unclaimed.claimed_at is not None
    membership = Membership.objects.get(company=unclaimed)
    assert membership.role == Membership.Role.OWNER
    assert membership.user.email == "anna@porinlampo.example"
    assert membership.user.email_verified
    assert CompanyClaim.objects.get(company=unclaimed).user == membership.user
    # The link is spent.
    assert client.get(link).status_code == 410


def test_a_logged_in_user_with_that_address_and_no_firm_claims_it(unclaimed):
    [claim] = claims.company_claim_request(email="anna@porinlampo.example")
    user = UserFactory(email="anna@porinlampo.example")
    claims.company_claim_complete(token=claim.token, user=user)
    unclaimed.refresh_from_db()
    assert unclaimed.claimed and Membership.objects.filter(user=user, company=unclaimed,
                                                           role="owner").exists()


def test_the_link_is_for_its_address_only(unclaimed):
    [claim] = claims.company_claim_request(email="anna@porinlampo.example")
    someone = UserFactory(email="eve@porinlampo.example")
    with pytest.raises(ValidationError, match="This link is for anna@porinlampo.example"):
        claims.company_claim_complete(token=claim.token, user=someone)
    unclaimed.refresh_from_db()
    assert not unclaimed.claimed


def test_an_account_of_another_firm_cannot_claim(unclaimed):
    [claim] = claims.company_claim_request(email="anna@porinlampo.example")
    member = MembershipFactory(user=UserFactory(email="anna@porinlampo.example")).user
    with pytest.raises(ValidationError, match="already belongs to a company"):
        claims.company_claim_complete(token=claim.token, user=member)


def test_expired_links_and_a_changed_domain_stop_working(unclaimed):
    [claim] = claims.company_claim_request(email="anna@porinlampo.example")
    CompanyClaim.objects.filter(pk=claim.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="expired"):
        claims.company_claim_register(token=claim.token, password="kivi-hiili-2026")
    [fresh] = claims.company_claim_request(email="anna@porinlampo.example")
    claims.company_set_claim_domain(company=unclaimed, domain="lampo.example")
    with pytest.raises(ValidationError, match="no longer accepts"):
        claims.company_claim_register(token=fresh.token, password="kivi-hiili-2026")


def test_a_claimed_firm_cannot_be_claimed_again(unclaimed):
    first, = claims.company_claim_request(email="anna@porinlampo.example")
    second, = claims.company_claim_request(email="ben@porinlampo.example")
    claims.company_claim_register(token=first.token, password="kivi-hiili-2026")
    with pytest.raises(ValidationError, match="already been claimed"):
        claims.company_claim_register(token=second.token, password="kivi-hiili-2026")
    assert Membership.objects.filter(company=unclaimed).count() == 1


def test_the_agency_claims_for_the_firm_and_invites_its_owner(
        unclaimed, django_capture_on_commit_callbacks):
    staff = UserFactory(email="reviewer@agency.example")
    with django_capture_on_commit_callbacks(execute=True):
        claim = claims.company_claim_by_agency(company=unclaimed, staff=staff,
                                               owner_email="Boss@PorinLampo.example")
    unclaimed.refresh_from_db()
    assert unclaimed.claimed and claim.via == CompanyClaim.Via.AGENCY and claim.user == staff
    invitation = Invitation.objects.get(company=unclaimed)
    assert invitation.role == "owner" and invitation.email == "boss@porinlampo.example"
    assert invitation.invited_by == staff
    [message] = mail.outbox
    assert message.to == ["boss@porinlampo.example"]
    with pytest.raises(ValidationError, match="already been claimed"):
        claims.company_claim_by_agency(company=unclaimed, staff=staff)


@pytest.mark.parametrize("value", ["not a domain", "http://x.fi/", "a@b", "x"])
def test_claim_domains_are_checked(unclaimed, value):
    with pytest.raises(ValidationError):
        claims.company_set_claim_domain(company=unclaimed, domain=value)


def test_claim_domains_are_normalised(unclaimed):
    company = claims.company_set_claim_domain(company=unclaimed, domain=" @PorinLampo.FI ")
    assert company.claim_domain == "porinlampo.fi"


def test_new_and_signed_up_companies_are_claimed(db):
    assert Company.objects.create(name="Plain Oy").claimed
