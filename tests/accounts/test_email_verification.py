"""A new account verifies its e-mail address before it can contact other firms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import User
from exchanges import services as exchanges_services
from matching.models import Match
from matching.services import listing_rematch
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new@firm.example", "full_name": "Nina New", "company_name": "New Firm Oy",
    "password1": "a-long-enough-pass-2026", "password2": "a-long-enough-pass-2026",
    "nace_code": "", "registration_number": "",
}


def _link(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_sign_up_mails_a_link_and_the_link_verifies(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:signup"), SIGNUP)

    assert response.status_code == 302
    user = User.objects.get(email="new@firm.example")
    assert not user.email_verified
    [message] = mail.outbox
    assert message.to == ["new@firm.example"]
    link = _link(message)
    assert link.startswith("http://testserver/")

    response = client.get(link, follow=True)

    assert "Your e-mail address is verified." in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified


def test_a_forged_or_expired_link_verifies_nothing(owner):
    owner.user.email_verified_at = None
    owner.user.save()
    token = services.email_verification_link(user=owner.user).rstrip("/").rsplit("/", 1)[1]

    with pytest.raises(ValidationError, match="not valid"):
        services.email_verify(token=token[:-2] + "xx")
    with pytest.raises(ValidationError, match="expired"):
        services.email_verify(token=token, max_age=timedelta(seconds=-1))
    owner.user.refresh_from_db()
    assert not owner.user.email_verified


def test_a_link_for_an_old_address_is_void(owner):
    owner.user.email_verified_at = None
    owner.user.save()
    token = services.email_verification_link(user=owner.user).rstrip("/").rsplit("/", 1)[1]
    owner.user.email = "moved@power.example"
    owner.user.save()

    with pytest.raises(ValidationError, match="not valid"):
        services.email_verify(token=token)


def test_existing_and_made_accounts_count_as_verified(owner):
    assert owner.user.email_verified
    assert User.objects.create_user("admin-made@example.com", "pw-2026-long-enough").email_verified


def test_an_unverified_account_cannot_request_a_contact(owner, partner):
    listing_rematch(listing_id=owner.listing.id)
    match = Match.objects.get(offer=owner.listing, want=partner.listing)
    owner.user.email_verified_at = None
    owner.user.save()

    with pytest.raises(ValidationError, match="Verify your e-mail address"):
        exchanges_services.contact_request(user=owner.user, company=owner.company,
                                           match_id=match.pk, message="Hello")
    r = client_for(owner.user).post("/api/v1/contacts/", {"match": match.pk,
                                                          "message": "Hello"}, format="json")
    assert r.status_code == 400
    assert "Verify your e-mail address" in r.content.decode()

    services.email_verify(token=services.email_verification_link(user=owner.user)
                          .rstrip("/").rsplit("/", 1)[1])
    owner.user.refresh_from_db()
    r = client_for(owner.user).post("/api/v1/contacts/", {"match": match.pk,
                                                          "message": "Hello"}, format="json")
    assert r.status_code == 201 and r.json()["state"] == "requested"
