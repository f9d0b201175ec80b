"""An agency invites its staff; managers invite and see activity, reviewers do neither."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AgencyMembership
from agency.models import StaffAction, StaffInvitation
from agency.services import staff as services
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _invite(client, agency, email="new@agency.example", role="reviewer"):
    return client.post(reverse("agency:staff_invite"),
                       {"email": email, "role": role, "agency": agency.pk})


def _link(message) -> str:
    return re.search(r"https?://\S+/agency/invitations/\S+/", message.body).group(0)


def test_manager_invites_a_reviewer_who_joins_through_the_mailed_link(
        client, manager, django_capture_on_commit_callbacks):
    client.force_login(manager.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(client, manager.agency).status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@agency.example"]
    path = _link(mail.outbox[0]).split("testserver", 1)[1]
    client.logout()
    response = client.post(path, {"full_name": "Niina New", "password1": PASSWORD,
                                  "password2": PASSWORD})
    assert response.status_code == 302
    joined = AgencyMembership.objects.get(user__email="new@agency.example")
    assert joined.agency == manager.agency and joined.role == "reviewer"
    kinds = set(StaffAction.objects.values_list("kind", flat=True))
    assert {"invited", "joined"} <= kinds
    # The link works once.
    assert client.get(path).status_code == 410


def test_an_existing_account_accepts_when_logged_in_as_the_invited_address(manager):
    invitation = services.staff_invite(agency=manager.agency, user=manager.user,
                                       email="known@agency.example", role="manager")
    user = UserFactory(email="known@agency.example")
    membership = services.staff_invitation_accept(token=invitation.token, user=user)
    assert membership.role == "manager"


def test_the_wrong_address_cannot_accept(client, manager):
    invitation = services.staff_invite(agency=manager.agency, user=manager.user,
                                       email="meant@agency.example", role="reviewer")
    intruder = UserFactory(email="intruder@example.com")
    client.force_login(intruder)
    path = reverse("agency:staff_invitation", args=[invitation.token])
    client.post(path)
    assert not AgencyMembership.objects.filter(user=intruder).exists()
    assert "This invitation is for meant@agency.example" in client.get(path).content.decode()


def test_a_withdrawn_invitation_link_stops_working(client, manager):
    invitation = services.staff_invite(agency=manager.agency, user=manager.user,
                                       email="gone@agency.example", role="reviewer")
    client.force_login(manager.user)
    client.post(reverse("agency:staff_invitation_revoke", args=[invitation.pk]),
                {"agency": manager.agency.pk})
    client.logout()
    response = client.get(reverse("agency:staff_invitation", args=[invitation.token]))
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_reviewer_cannot_invite_or_change_roles(client, reviewer, manager):
    client.force_login(reviewer.user)
    assert _invite(client, reviewer.agency).status_code == 403
    assert not StaffInvitation.objects.exists()
    client.post(reverse("agency:staff_role", args=[manager.pk]),
                {"role": "reviewer", "agency": reviewer.agency.pk})
    manager.refresh_from_db()
    assert manager.role == "manager"
    page = client.get(reverse("agency:staff")).content.decode()
    assert 'id="invite-staff"' not in page and manager.user.email in page


def test_manager_changes_a_role_but_the_last_manager_stays_one(client, reviewer, manager):
    client.force_login(manager.user)
    client.post(reverse("agency:staff_role", args=[reviewer.pk]),
                {"role": "manager", "agency": manager.agency.pk})
    reviewer.refresh_from_db()
    assert reviewer.role == "manager"
    services.staff_role_set(agency=manager.agency, user=manager.user, membership=reviewer,
                            role="reviewer")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.staff_role_set(agency=manager.agency, user=manager.user, membership=manager,
                                role="reviewer")


def test_inviting_someone_already_on_the_staff_is_refused(client, reviewer, manager):
    client.force_login(manager.user)
    response = _invite(client, manager.agency, email=reviewer.user.email)
    assert response.status_code == 400
    assert "already on the staff" in response.content.decode()


def test_manager_sees_staff_activity_and_reviewer_does_not(client, reviewer, manager, owner):
    from agency.services.firms import firm_verify

    firm_verify(agency=reviewer.agency, user=reviewer.user, company=owner.company)
    client.force_login(manager.user)
    page = client.get(reverse("agency:staff_activity")).content.decode()
    assert "Verified a firm" in page and owner.company.name in page
    assert reviewer.user.get_full_name() in page
    client.force_login(reviewer.user)
    assert client.get(reverse("agency:staff_activity")).status_code == 403


def test_staff_activity_of_another_agency_stays_out(client, reviewer, lapland_staff, owner):
    from agency.services.firms import firm_verify

    firm_verify(agency=reviewer.agency, user=reviewer.user, company=owner.company)
    client.force_login(lapland_staff.user)
    page = client.get(reverse("agency:staff_activity")).content.decode()
    assert owner.company.name not in page and "Nothing recorded yet" in page


def test_firm_user_gets_404_on_the_staff_pages(client, owner):
    client.force_login(owner.user)
    assert client.get(reverse("agency:staff")).status_code == 404
    assert client.post(reverse("agency:staff_invite"), {"email": "x@example.com",
                                                        "role": "manager"}).status_code == 404


def test_staff_activity_shows_who_decided_and_noted_on_which_pair(client, reviewer, manager,
                                                                  match, owner, partner):
    from agency.services.review import decision_record, review_note_add

    decision_record(agency=reviewer.agency, user=reviewer.user, offer=owner.listing,
                    want=partner.listing, decision="approve")
    review_note_add(agency=reviewer.agency, user=manager.user, offer=owner.listing,
                    want=partner.listing, text="Call both on Monday")
    client.force_login(manager.user)

    def table(**params) -> str:
        page = client.get(reverse("agency:staff_activity"), params).content.decode()
        return page.split('id="staff-actions"', 1)[1]  # the rows, not the filter's options

    everything = table()
    assert "Decided on a match: approved" in everything and "Noted on a match" in everything
    assert f"{owner.listing.title} → {partner.listing.title}" in everything
    assert "Call both on Monday" not in everything  # the note stays on the pair page
    only_reviewer = table(user=reviewer.user.pk)
    assert "Decided on a match" in only_reviewer and "Noted on a match" not in only_reviewer
    assert "Noted on a match" not in table(kind="decided")
