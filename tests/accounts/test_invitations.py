"""Owners invite colleagues by e-mail: a link that expires and joins the company with a role."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Company, Invitation, Membership, User
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

INVITED = "colleague@power.example"
NEW_PASSWORD = "a-long-enough-pass-2026"
LINK = re.compile(r"(https?://\S+/accounts/invitations/([\w-]+)/)")


@pytest.fixture
def invite(owner, django_capture_on_commit_callbacks):
    """Invite an address to the owner's company through the service, mail sent."""

    def _invite(email: str = INVITED, role: str = Membership.Role.MEMBER, *, by=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.invitation_create(
                company=owner.company, user=by or owner.user, email=email, role=role,
                base_url="http://testserver",
            )

    return _invite


def _url(invitation: Invitation) -> str:
    return reverse("accounts:invitation", args=[invitation.token])


def _expire(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))


def _list_items(html: str) -> list[str]:
    return re.findall(r"<li>(.*?)</li>", html, flags=re.DOTALL)


def test_owner_invites_from_the_company_page_and_the_mail_carries_a_link(
    client, owner, settings, django_capture_on_commit_callbacks
):
    settings.INVITATION_EXPIRY_DAYS = 3
    client.force_login(owner.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation_create"),
                               {"email": "Colleague@Power.example", "role": "owner"}, follow=True)

    html = response.content.decode()
    assert "Invitation sent to colleague@power.example as owner" in html
    invitation = Invitation.objects.get(company=owner.company)
    assert (invitation.email, invitation.role, invitation.invited_by) == (INVITED, "owner",
                                                                          owner.user)
    assert invitation.expires_at - invitation.created_at == timedelta(days=3)
    assert INVITED in html and "Revoke" in html
    [message] = mail.outbox
    assert message.to == [INVITED]
    assert "Harbour Power Oy" in message.subject and "as owner" in message.body
    link, token = LINK.search(message.body).groups()
    assert link == f"http://testserver/accounts/invitations/{token}/"
    # Only the hash is stored: the mailed link is the only copy of the token.
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert Invitation.objects.get(token_hash=Invitation.hash_token(token)) == invitation


def test_an_invalid_invitation_form_is_shown_again_with_its_errors(client, owner):
    client.force_login(owner.user)

    response = client.post(reverse("accounts:invitation_create"),
                           {"email": "not-an-address", "role": "boss"})

    assert response.status_code == 400
    form = response.context["invite_form"]
    assert set(form.errors) == {"email", "role"}
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_invited_person_signs_up_through_the_link_and_joins_with_the_role(client, owner, invite):
    invitation = invite(role=Membership.Role.OWNER)
    companies = Company.objects.count()
    url = LINK.search(mail.outbox[0].body).group(1)

    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert f'value="{INVITED}"' in html and "Join Harbour Power Oy" in html

    response = client.post(url, {"full_name": "Ceri Colleague", "password1": NEW_PASSWORD,
                                 "password2": NEW_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:company")
    assert "Welcome to Harbour Power Oy: you joined as owner." in response.content.decode()
    user = User.objects.get(email=INVITED)
    assert response.context["user"] == user
    assert user.full_name == "Ceri Colleague" and user.check_password(NEW_PASSWORD)
    assert user.email_verified
    membership = Membership.objects.get(user=user)
    assert (membership.company, membership.role) == (owner.company, "owner")
    assert Company.objects.count() == companies
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert len(mail.outbox) == 1  # no verification link: the invitation proved the address


def test_sign_up_through_the_link_checks_the_password(client, owner, invite):
    invitation = invite()

    response = client.post(_url(invitation), {"password1": "123", "password2": "123"})

    assert response.status_code == 200
    assert response.context["signup_form"].errors["password1"]
    response = client.post(_url(invitation), {"password1": NEW_PASSWORD,
                                              "password2": NEW_PASSWORD + "x"})
    assert response.context["signup_form"].errors["password2"]
    assert not User.objects.filter(email=INVITED).exists()


def test_sign_up_through_the_link_refuses_an_address_that_has_an_account(client, owner, invite):
    UserFactory(email=INVITED)
    invitation = invite()

    response = client.post(_url(invitation), {"password1": NEW_PASSWORD,
                                              "password2": NEW_PASSWORD})

    assert "already exists: log in to accept" in response.content.decode()
    assert not Membership.objects.filter(user__email=INVITED).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_existing_user_logs_in_through_the_link_and_accepts(client, owner, invite):
    colleague = UserFactory(email=INVITED)
    colleague.email_verified_at = None
    colleague.save()
    invitation = invite(email="COLLEAGUE@power.example")
    url = _url(invitation)

    page = client.get(url).content.decode()
    assert f'{reverse("accounts:login")}?next={quote(url)}' in page
    response = client.post(reverse("accounts:login"),
                           {"username": INVITED, "password": PASSWORD, "next": url})
    assert response.status_code == 302 and response.url == url
    page = client.get(url).content.decode()
    assert "Accept and join" in page and "Create account" not in page
    assert not Membership.objects.filter(user=colleague).exists()

    response = client.post(url, follow=True)

    assert "Welcome to Harbour Power Oy: you joined as member." in response.content.decode()
    membership = Membership.objects.get(user=colleague)
    assert (membership.company, membership.role) == (owner.company, "member")
    colleague.refresh_from_db()
    assert colleague.email_verified


@pytest.mark.parametrize(
    ("close", "message"),
    [("expired", "has expired: ask Harbour Power Oy for a new one"),
     ("revoked", "withdrawn by Harbour Power Oy"),
     ("used", "already been used")],
)
def test_expired_revoked_and_used_links_are_refused(client, owner, invite, close, message):
    invitation = invite()
    colleague = UserFactory(email=INVITED)
    if close == "expired":
        _expire(invitation)
    elif close == "revoked":
        services.invitation_revoke(invitation=invitation, user=owner.user)
    else:
        services.invitation_accept(token=invitation.token, user=colleague)
    members = Membership.objects.count()

    with pytest.raises(ValidationError, match=message):
        services.invitation_accept(token=invitation.token, user=colleague)
    anonymous = client.get(_url(invitation))
    assert anonymous.status_code == 410
    assert message in anonymous.content.decode()
    assert "Create account" not in anonymous.content.decode()
    client.force_login(colleague)
    response = client.post(_url(invitation))
    assert response.status_code == 410 and message in response.content.decode()
    assert Membership.objects.count() == members


def test_a_closed_link_cannot_be_used_to_sign_up(client, owner, invite):
    invitation = invite()
    _expire(invitation)

    response = client.post(_url(invitation), {"password1": NEW_PASSWORD,
                                              "password2": NEW_PASSWORD})

    assert response.status_code == 410
    assert not User.objects.filter(email=INVITED).exists()
    with pytest.raises(ValidationError, match="has expired"):
        services.invitation_register(token=invitation.token, password=NEW_PASSWORD)
    assert not User.objects.filter(email=INVITED).exists()


def test_an_unknown_link_is_refused(client, owner):
    response = client.get(reverse("accounts:invitation", args=["no-such-token"]))

    assert response.status_code == 404
    assert "This invitation link is not valid." in response.content.decode()
    with pytest.raises(ValidationError, match="not valid"):
        services.invitation_accept(token="no-such-token", user=owner.user)


def test_another_address_cannot_accept(client, owner, invite):
    stranger = UserFactory(email="stranger@example.com")
    invitation = invite()
    url = _url(invitation)

    with pytest.raises(ValidationError, match="This invitation is for colleague@power.example"):
        services.invitation_accept(token=invitation.token, user=stranger)
    client.force_login(stranger)
    page = client.get(url).content.decode()
    assert "you are logged in as stranger@example.com" in page
    assert "Accept and join" not in page
    response = client.post(url)
    assert "you are logged in as stranger@example.com" in response.content.decode()
    assert not Membership.objects.filter(user=stranger).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    # The page's log-out button comes back to the link.
    response = client.post(reverse("accounts:logout"), {"next": url})
    assert response.url == url


def test_a_member_of_another_company_cannot_accept(owner, partner, invite):
    invitation = invite(email=partner.user.email)

    with pytest.raises(ValidationError, match="already belongs to Kallio Cement Oy"):
        services.invitation_accept(token=invitation.token, user=partner.user)

    assert list(Membership.objects.filter(user=partner.user).values_list("company", flat=True)
                ) == [partner.company.pk]


def test_a_member_of_the_company_cannot_be_invited_again(owner, invite):
    with pytest.raises(ValidationError, match="already a member of Harbour Power Oy"):
        invite(email=owner.user.email.upper())
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_member_who_is_not_an_owner_cannot_invite_or_revoke(client, owner, invite):
    member = UserFactory()
    MembershipFactory(user=member, company=owner.company, role=Membership.Role.MEMBER)
    invitation = invite()
    mail.outbox.clear()

    with pytest.raises(PermissionDenied):
        invite(email="another@power.example", by=member)
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(invitation=invitation, user=member)
    client.force_login(member)
    page = client.get(reverse("accounts:company")).content.decode()
    assert 'id="invite"' not in page and INVITED not in page
    response = client.post(reverse("accounts:invitation_create"),
                           {"email": "another@power.example", "role": "owner"}, follow=True)
    assert "Only an owner of the company can invite colleagues." in response.content.decode()
    response = client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]),
                           follow=True)
    assert "Only an owner of the company can revoke invitations." in response.content.decode()
    assert list(Invitation.objects.values_list("email", flat=True)) == [INVITED]
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert mail.outbox == []


def test_an_outsider_cannot_see_or_revoke_the_company_invitations(client, owner, outsider,
                                                                 invite):
    invitation = invite()

    client.force_login(outsider.user)
    page = client.get(reverse("accounts:company")).content.decode()
    assert "Leipomo Outsider Oy" in page and INVITED not in page
    response = client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(invitation=invitation, user=outsider.user)
    with pytest.raises(PermissionDenied):
        services.invitation_create(company=owner.company, user=outsider.user,
                                   email="spy@bakery.example", role="owner")
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert Invitation.objects.count() == 1


def test_one_open_invitation_per_address(owner, invite):
    first = invite()

    with pytest.raises(ValidationError, match="already has an open invitation"):
        invite(email="Colleague@Power.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(company=owner.company, email=INVITED, token_hash="0" * 64,
                                  expires_at=timezone.now() + timedelta(days=1))

    services.invitation_revoke(invitation=first, user=owner.user)
    second = invite()
    _expire(second)
    # An expired invitation gives way to a new one, and its link stays dead.
    third = invite()

    second.refresh_from_db()
    assert second.revoked_at is not None
    assert Invitation.objects.filter(accepted_at=None, revoked_at=None).get() == third
    with pytest.raises(ValidationError, match="withdrawn"):
        services.invitation_accept(token=second.token, user=UserFactory(email=INVITED))
    assert len(mail.outbox) == 3


def test_owner_sees_people_with_roles_and_signatories_and_revokes_from_the_page(
    client, owner, invite
):
    signer = UserFactory(full_name="Sini Signer")
    MembershipFactory(user=signer, company=owner.company, role=Membership.Role.MEMBER,
                      is_signatory=True)
    plain = UserFactory(full_name="Pekka Plain")
    MembershipFactory(user=plain, company=owner.company, role=Membership.Role.MEMBER)
    invitation = invite(role=Membership.Role.OWNER)
    client.force_login(owner.user)

    html = client.get(reverse("accounts:company")).content.decode()

    items = _list_items(html)
    [signer_item] = [item for item in items if "Sini Signer" in item]
    [plain_item] = [item for item in items if "Pekka Plain" in item]
    assert "Member" in signer_item and "signatory" in signer_item
    assert "Member" in plain_item and "signatory" not in plain_item
    [invited_item] = [item for item in items if INVITED in item]
    assert "Owner" in invited_item and "Revoke" in invited_item

    response = client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]),
                           follow=True)

    html = response.content.decode()
    assert "The invitation to colleague@power.example is withdrawn" in html
    assert "No open invitations." in html
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_state_changes_need_post(client, owner, invite):
    invitation = invite()
    client.force_login(owner.user)

    assert client.get(reverse("accounts:invitation_create")).status_code == 405
    assert client.get(reverse("accounts:invitation_revoke",
                              args=[invitation.pk])).status_code == 405
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_admin_lists_invitations_but_does_not_make_them(client, owner, invite):
    invite()
    admin = User.objects.create_superuser(email="admin@example.com", password=PASSWORD)
    client.force_login(admin)

    response = client.get(reverse("admin:accounts_invitation_changelist"))
    assert response.status_code == 200 and INVITED in response.content.decode()
    assert client.get(reverse("admin:accounts_invitation_add")).status_code == 403
