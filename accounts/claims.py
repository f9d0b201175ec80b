"""Unclaimed company profiles and how a firm claims one (writes; each in one transaction).

An agency makes unclaimed profiles from a public register (``agency.facilities``) and
enters the e-mail domain the firm uses. Someone of the firm claims the profile by proving
an address at that domain: ``company_claim_request`` mails a link to the address (only a
hash of its token is stored), and following it (``company_claim_complete`` when logged
in, ``company_claim_register`` to open an account) makes that person an owner and the
profile claimed. Or the agency claims it on the firm's behalf
(``company_claim_by_agency``), optionally inviting an owner. Until then no other firm sees
the company's name (``matching.disclosure.name_may_show``).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, CompanyClaim, Invitation, Membership, User
from accounts.services import email_clean, user_register_from_link

_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def claim_domain_clean(value: str) -> str:
    """'@Example.FI ' → 'example.fi'; a ValidationError on ``claim_domain`` if not a domain."""
    domain = (value or "").strip().lower().lstrip("@")
    if domain and not _DOMAIN.match(domain):
        raise ValidationError({"claim_domain": _("Enter a domain such as example.fi.")})
    return domain


def _domain_of(email: str) -> str:
    return email.rpartition("@")[2].lower()


# --- unclaimed profiles (the agency's import) ---------------------------------------------


UNCLAIMED_FIELDS = ("name", "nace_code", "description", "claim_domain")


@transaction.atomic
def company_create_unclaimed(*, data: dict) -> Company:
    """A company nobody of the firm has joined yet, not shown by name to other firms."""
    unknown = set(data) - set(UNCLAIMED_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    company = Company(claimed=False, **data)
    company.claim_domain = claim_domain_clean(company.claim_domain)
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def company_update_unclaimed(*, company: Company, data: dict) -> Company:
    """Change an unclaimed profile (a newer register row); a claimed one is the firm's and
    is refused."""
    unknown = set(data) - set(UNCLAIMED_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    locked = Company.objects.select_for_update().get(pk=company.pk)
    if locked.claimed:
        raise ValidationError(_("%(company)s has been claimed: its profile is the firm's.")
                              % {"company": locked.name})
    for name, value in data.items():
        setattr(locked, name, value)
    if "claim_domain" in data:
        locked.claim_domain = claim_domain_clean(locked.claim_domain)
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def company_set_claim_domain(*, company: Company, domain: str) -> Company:
    """The e-mail domain whose addresses may claim this unclaimed profile ('' : none)."""
    return company_update_unclaimed(company=company, data={"claim_domain": domain})


# --- claiming by a verified address --------------------------------------------------------


def _claim_send(*, claim: CompanyClaim, token: str, base_url: str) -> None:
    link = base_url + reverse("accounts:claim_link", args=[token])
    subject = _("Claim the profile of %(company)s on Symbiosis") % {
        "company": claim.company.name}
    body = _(
        "Someone asked to claim the profile of %(company)s on Symbiosis for this address.\n"
        "A regional agency made the profile from a public register of industrial sites;\n"
        "claiming it makes you its owner, and other firms then see its name.\n\n"
        "Follow this link to claim it; it works until %(expires)s (UTC):\n\n%(link)s\n\n"
        "If you did not ask for this, ignore this e-mail.\n"
    ) % {"company": claim.company.name,
         "expires": claim.expires_at.strftime("%Y-%m-%d %H:%M"), "link": link}
    recipient = claim.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


@transaction.atomic
def company_claim_request(*, email: str, base_url: str = "") -> list[CompanyClaim]:
    """Mail a claim link to ``email`` for every unclaimed profile whose claim domain is
    the address's domain; refused (on ``email``) when there is none.

    The answer names no company: the e-mail does, and only the mailbox reads it.
    """
    email = email_clean(email=email)
    domain = _domain_of(email)
    companies = list(Company.objects.select_for_update().filter(
        claimed=False, claim_domain__iexact=domain).order_by("pk"))
    if not companies:
        raise ValidationError({"email": _(
            "No profile waiting to be claimed is registered for addresses at %(domain)s. "
            "Use your work address, or ask your regional agency.") % {"domain": domain}})
    now = timezone.now()
    claims = []
    for company in companies:
        token = secrets.token_urlsafe(32)
        claim = CompanyClaim.objects.create(
            company=company, email=email, via=CompanyClaim.Via.EMAIL,
            token_hash=CompanyClaim.hash_token(token), created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_EXPIRY_DAYS),
        )
        _claim_send(claim=claim, token=token, base_url=base_url)
        claim.token = token
        claims.append(claim)
    return claims


def claim_problem(claim: CompanyClaim | None) -> str:
    """Why a claim link no longer works, or '' while it does."""
    if claim is None:
        return _("This claim link is not valid.")
    if claim.completed_at is not None:
        return _("This claim link has already been used.")
    if claim.company.claimed:
        return _("This profile has already been claimed.")
    if claim.is_expired:
        return _("This claim link has expired: ask for a new one.")
    if _domain_of(claim.email) != claim.company.claim_domain.lower():
        # The agency changed the domain since the link was sent.
        return _("This profile no longer accepts claims from %(domain)s.") % {
            "domain": _domain_of(claim.email)}
    return ""


def _claim_open_locked(*, token: str) -> CompanyClaim:
    claim = (CompanyClaim.objects.select_for_update().select_related("company")
             .filter(token_hash=CompanyClaim.hash_token(token), via=CompanyClaim.Via.EMAIL)
             .first())
    if claim is not None:
        # The company row is the lock two claims of one profile queue on.
        claim.company = Company.objects.select_for_update().get(pk=claim.company_id)
    problem = claim_problem(claim)
    if problem:
        raise ValidationError(problem)
    return claim


def _claim_join(*, claim: CompanyClaim, user: User) -> Membership:
    if user.email.lower() != claim.email.lower():
        raise ValidationError(
            _("This link is for %(email)s, but you are logged in as %(user)s. Log out and "
              "open the link again.") % {"email": claim.email, "user": user.email})
    if Membership.objects.filter(user=user).exists():
        # company_for_user acts for one company per person.
        raise ValidationError(_(
            "Your account already belongs to a company, and an account acts for one company "
            "only. Claim the profile with another address at %(domain)s.")
            % {"domain": _domain_of(claim.email)})
    now = timezone.now()
    membership = Membership.objects.create(
        user=user, company=claim.company, role=Membership.Role.OWNER, is_signatory=True)
    company = claim.company
    company.claimed, company.claimed_at = True, now
    company.save(update_fields=["claimed", "claimed_at"])
    claim.completed_at, claim.user = now, user
    claim.save(update_fields=["completed_at", "user"])
    if user.email_verified_at is None:
        user.email_verified_at = now  # the link reached this mailbox
        user.save(update_fields=["email_verified_at"])
    return membership


@transaction.atomic
def company_claim_complete(*, token: str, user: User) -> Membership:
    """The logged-in ``user`` (the address the link was sent to) becomes the owner."""
    claim = _claim_open_locked(token=token)
    return _claim_join(claim=claim, user=user)


@transaction.atomic
def company_claim_register(*, token: str, password: str, full_name: str = "") -> User:
    """Open an account for the claiming address and make it the owner (the address counts
    as verified: the link reached it)."""
    claim = _claim_open_locked(token=token)
    user = user_register_from_link(
        email=claim.email, password=password, full_name=full_name,
        taken=_("An account with %(email)s already exists: log in to claim the profile."))
    _claim_join(claim=claim, user=user)
    return user


# --- claiming through the agency -----------------------------------------------------------


@transaction.atomic
def company_claim_by_agency(
    *, company: Company, staff: User, owner_email: str = "", base_url: str = ""
) -> CompanyClaim:
    """Agency staff claim the profile for the firm (which asked them by other means); with
    ``owner_email`` that address is invited as owner. The caller checks that ``staff``
    may act for the company (``agency.facilities``)."""
    locked = Company.objects.select_for_update().get(pk=company.pk)
    if locked.claimed:
        raise ValidationError(_("%(company)s has already been claimed.")
                              % {"company": locked.name})
    owner_email = email_clean(email=owner_email, field="owner_email", required=False)
    now = timezone.now()
    locked.claimed, locked.claimed_at = True, now
    locked.save(update_fields=["claimed", "claimed_at"])
    claim = CompanyClaim.objects.create(
        company=locked, email=owner_email, via=CompanyClaim.Via.AGENCY, created_at=now,
        completed_at=now, user=staff)
    if owner_email:
        _owner_invite(company=locked, staff=staff, email=owner_email, base_url=base_url)
    return claim


def _owner_invite(*, company: Company, staff: User, email: str, base_url: str) -> Invitation:
    # The firm has no owner yet who could invite (invitation_create wants one): the
    # agency's invitation is the same kind of link, as owner.
    from accounts.services import _invitation_send

    token = secrets.token_urlsafe(32)
    now = timezone.now()
    Invitation.objects.filter(company=company, email=email, accepted_at__isnull=True,
                              revoked_at__isnull=True).update(revoked_at=now)
    invitation = Invitation.objects.create(
        company=company, email=email, role=Membership.Role.OWNER,
        token_hash=Invitation.hash_token(token), invited_by=staff, created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_EXPIRY_DAYS))
    _invitation_send(invitation=invitation, token=token, base_url=base_url)
    invitation.token = token
    return invitation
