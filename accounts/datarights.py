"""Accounts' part of a firm's export and erasure (see ``symbiosis.datarights``)."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db.models import Count
from rest_framework.authtoken.models import Token

from accounts.models import AgencyMembership, Company, Membership, User
from symbiosis.datarights import rows


def export_company(*, company: Company) -> dict[str, Any]:
    members = Membership.objects.filter(company=company).select_related("user")
    return {
        "company": rows(Company.objects.filter(pk=company.pk))[0],
        "sites": rows(company.sites.order_by("pk")),
        "members": [
            {"user": m.user_id, "email": m.user.email, "full_name": m.user.full_name,
             "role": m.role, "is_signatory": m.is_signatory, "joined_at": m.created_at}
            for m in members.order_by("pk")
        ],
        "invitations": rows(company.invitations.order_by("pk"), exclude=("token_hash",)),
    }


def _anonymise(user: User) -> None:
    email = user.email
    user.email = f"erased-{user.pk}@erased.invalid"
    user.full_name = ""
    user.is_active = False
    user.email_verified_at = None
    user.set_unusable_password()
    user.save()
    Token.objects.filter(user=user).delete()
    # Log-in records keep the address as the user name.
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=email).delete()


def erase_company(*, company: Company, pseudonym: str) -> dict[str, int]:
    """People: accounts of only this firm anonymised and deactivated, others just leave it.

    The account rows stay, so every audit entry and signature still names the account
    that acted; the firm's row stays under its pseudonym for the other party's records.
    """
    members = list(User.objects.filter(memberships__company=company))
    firms = dict(Membership.objects.filter(user__in=members).values_list("user")
                 .annotate(n=Count("id")))
    agency_staff = set(AgencyMembership.objects.filter(user__in=members)
                       .values_list("user_id", flat=True))
    only_here = [u for u in members
                 if firms[u.pk] == 1 and u.pk not in agency_staff and not u.is_staff]
    for user in only_here:
        _anonymise(user)
    left = Membership.objects.filter(company=company).delete()[0]
    invitations = company.invitations.all().delete()[0]
    for number, site in enumerate(company.sites.order_by("pk"), start=1):
        site.name, site.address = f"{pseudonym} site {number}", ""
        site.save(update_fields=["name", "address"])
    company.name = pseudonym
    company.registration_number = company.description = company.website = ""
    company.verified = False
    company.save()
    return {"people_anonymised": len(only_here), "memberships_ended": left,
            "invitations_deleted": invitations}
