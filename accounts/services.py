"""Writes for accounts: registration, invitations and sites. Each runs in one transaction."""

from __future__ import annotations

import math
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts import events
from accounts.geocoding import Geocoder, countries, get_geocoder
from accounts.models import Agency, AgencyConsent, Company, Invitation, Membership, Site, User


@transaction.atomic
def company_register(
    *,
    email: str,
    password: str,
    company_name: str,
    full_name: str = "",
    nace_code: str = "",
    registration_number: str = "",
    description: str = "",
    website: str = "",
    base_url: str = "",
) -> User:
    """Create a user, their company and the owner membership, or nothing at all; the user
    is mailed a link (on ``base_url``) to verify the address."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this e-mail address already exists.")})
    # Unverified until the signed link mailed below is followed.
    user = User(email=email, full_name=full_name, email_verified_at=None)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    company = Company(
        name=company_name,
        nace_code=nace_code,
        registration_number=registration_number,
        description=description,
        website=website,
    )
    company.full_clean()
    company.save()
    Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    email_verification_send(user=user, base_url=base_url)
    return user


@transaction.atomic
def signup_request(
    *,
    email: str,
    password: str,
    company_name: str,
    full_name: str = "",
    nace_code: str = "",
    registration_number: str = "",
    base_url: str = "",
) -> User | None:
    """Sign-up as the public form does it: the same answer whether the address has an account.

    A new address gets its account and company (``company_register``) and the verification
    link; an address that already has an account gets a note saying so (with the log-in and
    reset links) and nothing is created. Both check the password against the same rules and
    hash it, so neither the answer, the errors nor the time taken tell the two apart. Returns
    the new user, or None for a known address (for the caller's logs, never the client).
    """
    email = User.objects.normalize_email(email).lower()
    validate_password(password, User(email=email, full_name=full_name))
    if not User.objects.filter(email__iexact=email).exists():
        return company_register(
            email=email, password=password, company_name=company_name, full_name=full_name,
            nace_code=nace_code, registration_number=registration_number, base_url=base_url,
        )
    make_password(password)  # as long as creating the account would take
    subject = _("Someone tried to open a Symbiosis account with your address")
    body = _(
        "Someone (perhaps you) asked to open an account with this e-mail address, which "
        "already has one. Nothing was changed.\n\nLog in: %(login)s\nForgot the password? "
        "Choose a new one: %(reset)s\n\nIf it was not you, you can ignore this message.\n"
    ) % {"login": base_url + reverse("accounts:login"),
         "reset": base_url + reverse("accounts:password_reset")}
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return None


EMAIL_VERIFICATION_SALT = "accounts.email-verification"
EMAIL_VERIFICATION_MAX_AGE = timedelta(days=7)


def email_verification_link(*, user: User) -> str:
    """A signed path that verifies ``user``'s current address (void once it changes)."""
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_VERIFICATION_SALT)
    return reverse("accounts:verify_email", args=[token])


def email_verification_send(*, user: User, base_url: str = "") -> None:
    """Mail the verification link once the transaction holding the account commits."""
    link = base_url + email_verification_link(user=user)
    subject = _("Verify your e-mail address for Symbiosis")
    body = _(
        "Follow this link to verify your e-mail address; until then you cannot contact "
        "other firms. The link works for %(days)d days.\n\n%(link)s\n"
    ) % {"days": EMAIL_VERIFICATION_MAX_AGE.days, "link": link}
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))


def email_verify(*, token: str, max_age: timedelta = EMAIL_VERIFICATION_MAX_AGE) -> User:
    """Mark the address in a signed link verified; a stale, forged or outdated link fails."""
    try:
        data = signing.loads(token, salt=EMAIL_VERIFICATION_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This link has expired: ask for a new one.")) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This link is not valid.")) from exc
    user = User.objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if user is None:
        raise ValidationError(_("This link is not valid."))
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def _is_owner(*, user: User, company: Company) -> bool:
    return Membership.objects.filter(
        user=user, company=company, role=Membership.Role.OWNER
    ).exists()


def _invitation_send(*, invitation: Invitation, token: str, base_url: str) -> None:
    link = base_url + reverse("accounts:invitation", args=[token])
    inviter = invitation.invited_by.get_full_name() if invitation.invited_by else ""
    subject = _("%(inviter)s invites you to %(company)s on Symbiosis") % {
        "inviter": inviter or _("A colleague"), "company": invitation.company.name}
    body = _(
        "%(inviter)s invites you to join %(company)s on Symbiosis as %(role)s.\n\n"
        "Follow this link to accept; it works until %(expires)s (UTC):\n\n%(link)s\n\n"
        "If you do not know this company, ignore this e-mail.\n"
    ) % {
        "inviter": inviter or _("A colleague"),
        "company": invitation.company.name,
        "role": invitation.get_role_display().lower(),
        "expires": invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
        "link": link,
    }
    recipient = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


@transaction.atomic
def invitation_create(
    *, company: Company, user: User, email: str, role: str, base_url: str = ""
) -> Invitation:
    """Invite ``email`` to join ``company`` with ``role``; only an owner may.

    The invitee is mailed a link (on ``base_url``) once the transaction commits. The raw
    token exists only in that link and, for the caller, as ``invitation.token``.
    """
    if not _is_owner(user=user, company=company):
        raise PermissionDenied(_("Only an owner of the company can invite colleagues."))
    email = email_clean(email=email)
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Choose owner or member.")})
    if Membership.objects.filter(company=company, user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already a member of %(company)s.")
                               % {"email": email, "company": company.name}})
    # Whether the address has an account at another firm is not said here: that would
    # tell one firm who works at another. Accepting refuses it instead.
    already = _("%(email)s already has an open invitation; revoke it to send a new one.") % {
        "email": email}
    now = timezone.now()
    previous = (
        Invitation.objects.select_for_update()
        .filter(company=company, email=email, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if previous is not None:
        if not previous.is_expired:
            raise ValidationError({"email": already})
        # An expired invitation gives way to the new one (the constraint allows one open).
        previous.revoked_at = now
        previous.save(update_fields=["revoked_at"])
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        company=company,
        email=email,
        role=role,
        token_hash=Invitation.hash_token(token),
        invited_by=user,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_EXPIRY_DAYS),
    )
    try:
        # A concurrent invitation of the same address loses on the partial constraint.
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:
        raise ValidationError({"email": already}) from exc
    _invitation_send(invitation=invitation, token=token, base_url=base_url)
    invitation.token = token
    return invitation


def _invitation_open_locked(*, token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("company")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."))
    closed = invitation.closed_message()
    if closed:
        raise ValidationError(closed)
    return invitation


def _invitation_join(*, invitation: Invitation, user: User) -> Membership:
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation is for %(invited)s, but you are logged in as %(user)s. Log "
              "out and open the link again, or ask for an invitation to your address.")
            % {"invited": invitation.email, "user": user.email}
        )
    elsewhere = (
        Membership.objects.filter(user=user).select_related("company").order_by("created_at")
    ).first()
    if elsewhere is not None and elsewhere.company_id == invitation.company_id:
        raise ValidationError(_("You are already a member of %(company)s.")
                              % {"company": invitation.company.name})
    if elsewhere is not None:
        # company_for_user acts for one company per person; a second would be ignored.
        raise ValidationError(
            _("Your account already belongs to %(other)s, and an account acts for one company "
              "only. Ask %(company)s to invite another address of yours.")
            % {"other": elsewhere.company.name, "company": invitation.company.name}
        )
    now = timezone.now()
    membership = Membership.objects.create(user=user, company=invitation.company,
                                           role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if user.email_verified_at is None:
        # The link reached this mailbox: that proves the address.
        user.email_verified_at = now
        user.save(update_fields=["email_verified_at"])
    return membership


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """The logged-in ``user`` joins the inviting company with the invited role.

    Refused when the link is unknown, expired, revoked or used, when the user's address is
    not the invited one (case-insensitive), and when the user already belongs to a company.
    """
    invitation = _invitation_open_locked(token=token)
    return _invitation_join(invitation=invitation, user=user)


@transaction.atomic
def invitation_register(*, token: str, password: str, full_name: str = "") -> User:
    """Open an account for the invited address, without a company of its own, and join the
    inviting company; the address counts as verified (the link reached it)."""
    invitation = _invitation_open_locked(token=token)
    user = user_register_from_link(
        email=invitation.email, password=password, full_name=full_name,
        taken=_("An account with %(email)s already exists: log in to accept the "
                "invitation."))
    _invitation_join(invitation=invitation, user=user)
    return user


def email_clean(*, email: str | None, field: str = "email", required: bool = True) -> str:
    """An address as stored (trimmed, domain and all in lower case); a malformed one, or
    none when ``required``, is refused on ``field`` ("" otherwise). Invitations and
    claims use it alike."""
    email = User.objects.normalize_email((email or "").strip()).lower()
    if email or required:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({field: _("Enter a valid e-mail address.")}) from exc
    return email


def user_register_from_link(*, email: str, password: str, full_name: str, taken: str) -> User:
    """Open an account for an address a mailed link reached (an invitation, a claim): the
    address counts as verified. ``taken`` (with ``%(email)s``) is the refusal when the
    address has an account already. Called inside the caller's transaction."""
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(taken % {"email": email})
    user = User(email=email, full_name=full_name, email_verified_at=timezone.now())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, user: User) -> Invitation:
    """Withdraw an open invitation so its link stops working; only an owner may."""
    if not _is_owner(user=user, company=invitation.company):
        raise PermissionDenied(_("Only an owner of the company can revoke invitations."))
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValidationError(_("%(email)s has already accepted this invitation.")
                              % {"email": locked.email})
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked


def _place_site(site: Site, *, geocoder: Geocoder | None) -> None:
    if site.latitude is not None and site.longitude is not None:
        return
    place = (geocoder or get_geocoder()).locate(city=site.city, country=site.country)
    if place is None:
        raise ValidationError(
            {
                "city": _(
                    "We could not find “%(city)s” in %(country)s. Check the spelling, use a "
                    "nearby town, or give the coordinates under Advanced."
                )
                % {"city": site.city, "country": dict(countries()).get(site.country, site.country)}
            }
        )
    site.latitude, site.longitude = place.latitude, place.longitude


SITE_PLACEMENT_WINDOW_S = 24 * 3600


class SitePlacementLimitError(ValidationError):
    """The firm placed (created or moved) as many sites as ``SITE_PLACEMENTS_PER_DAY`` allows.

    A ValidationError, so forms show it like any other refusal; the API answers it with a
    429 and ``Retry-After`` (``retry_after``, seconds until the oldest placement ages out).
    """

    def __init__(self, *, limit: int, retry_after: int) -> None:
        self.limit, self.retry_after = limit, retry_after
        hours = max(1, math.ceil(retry_after / 3600))
        super().__init__(
            _("Your company has placed %(limit)d sites (created or moved) in the last 24 "
              "hours, the most allowed. Try again in about %(hours)d hours, or ask the "
              "platform staff if you need more.") % {"limit": limit, "hours": hours},
            code="site_placement_limit",
        )


def _site_placement_take(company: Company) -> None:
    """Count one placement for ``company``, or refuse it past the limit.

    Sites are where distances are measured from: with enough probe sites a firm could
    triangulate a counterpart's site from the distance bands. The snapping grid of
    ``matching.disclosure`` is what hides the site; this bounds how many probes a firm gets.
    The times of the last placements are kept in the default cache (Redis when
    ``REDIS_URL`` is set, so every process counts together), and the company row is locked
    so that two requests of one firm count one after the other.
    """
    limit = settings.SITE_PLACEMENTS_PER_DAY
    if not limit:
        return
    Company.objects.select_for_update().filter(pk=company.pk).exists()
    key = f"accounts:site-placements:{company.pk}"
    now = time.time()
    recent = [t for t in cache.get(key, []) if t > now - SITE_PLACEMENT_WINDOW_S]
    if len(recent) >= limit:
        retry_after = math.ceil(min(recent) + SITE_PLACEMENT_WINDOW_S - now)
        raise SitePlacementLimitError(limit=limit, retry_after=max(retry_after, 1))
    recent.append(now)
    cache.set(key, recent, timeout=SITE_PLACEMENT_WINDOW_S)


@transaction.atomic
def site_create(
    *,
    company: Company,
    name: str,
    city: str,
    country: str,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    geocoder: Geocoder | None = None,
    limited: bool = True,
) -> Site:
    """Add a site; its position comes from the town unless coordinates are given.

    Counts towards the firm's ``SITE_PLACEMENTS_PER_DAY`` (``SitePlacementLimitError`` past
    it); ``limited=False`` is for the platform's own loaders (demo, evaluation).
    """
    site = Site(
        company=company,
        name=name,
        address=address,
        city=city.strip(),
        country=country.upper(),
        latitude=latitude,
        longitude=longitude,
    )
    _place_site(site, geocoder=geocoder)
    site.full_clean()
    if limited:
        _site_placement_take(company)
    site.save()
    return site


@transaction.atomic
def site_update(
    *,
    site: Site,
    name: str,
    city: str,
    country: str,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    geocoder: Geocoder | None = None,
    limited: bool = True,
) -> Site:
    """Change a site; a changed town is located again unless coordinates are given.

    When the coordinates change, ``events.site_moved`` goes out on commit (matching
    rematches the listings at the site), and the move counts towards the firm's
    ``SITE_PLACEMENTS_PER_DAY`` like a new site (``limited=False``: the platform's loaders).
    """
    before = (site.latitude, site.longitude)
    moved = (city.strip(), country.upper()) != (site.city, site.country)
    site.name, site.address, site.city, site.country = name, address, city.strip(), country.upper()
    if latitude is not None and longitude is not None:
        site.latitude, site.longitude = latitude, longitude
    elif moved:
        site.latitude = site.longitude = None
    _place_site(site, geocoder=geocoder)
    site.full_clean()
    moved_to = (site.latitude, site.longitude) != before
    if moved_to and limited:
        _site_placement_take(site.company)
    site.save()
    if moved_to:
        events.site_moved_announce(site_id=site.id)
    return site


COMPANY_FIELDS = ("name", "nace_code", "registration_number", "website", "description")


@transaction.atomic
def company_create(*, user: User, data: dict) -> Company:
    """Create a company with ``user`` as its owner (for a user who has none yet)."""
    unknown = set(data) - set(COMPANY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    company = Company(**data)
    company.full_clean()
    company.save()
    Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    return company


@transaction.atomic
def company_update(*, company: Company, user: User, data: dict) -> Company:
    """Change the profile; only an owner may."""
    if not _is_owner(user=user, company=company):
        raise ValidationError(_("Only an owner of the company can change its profile."))
    unknown = set(data) - set(COMPANY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    locked = Company.objects.select_for_update().get(pk=company.pk)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    return locked


def token_get_or_create(*, user: User) -> str:
    """The user's API token for ``Authorization: Token …`` (created on first use)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


@transaction.atomic
def agency_consent_grant(*, company: Company, agency: Agency, user: User) -> AgencyConsent:
    """Let ``agency``'s staff enter and edit the firm's listings on its behalf; only an
    owner may grant it, and only to an agency whose regions hold one of the firm's sites.
    Granting again while a consent is open returns that consent."""
    if not _is_owner(user=user, company=company):
        raise PermissionDenied(_("Only an owner of the company can grant an agency consent."))
    from accounts.selectors import agency_list_for_company

    if not agency_list_for_company(company=company).filter(pk=agency.pk).exists():
        raise ValidationError({"agency": _("%(agency)s covers none of your sites.")
                               % {"agency": agency.name}})
    Company.objects.select_for_update().get(pk=company.pk)
    consent = AgencyConsent.objects.filter(
        company=company, agency=agency, revoked_at__isnull=True).first()
    if consent is None:
        consent = AgencyConsent.objects.create(company=company, agency=agency, granted_by=user)
    return consent


@transaction.atomic
def agency_consent_revoke(*, company: Company, agency: Agency, user: User) -> AgencyConsent | None:
    """End the agency's consent (kept, marked revoked): from now on its staff can no longer
    enter or edit the firm's listings. None when no consent was open."""
    if not _is_owner(user=user, company=company):
        raise PermissionDenied(_("Only an owner of the company can revoke an agency consent."))
    consent = (AgencyConsent.objects.select_for_update()
               .filter(company=company, agency=agency, revoked_at__isnull=True).first())
    if consent is not None:
        consent.revoked_at, consent.revoked_by = timezone.now(), user
        consent.save(update_fields=["revoked_at", "revoked_by"])
    return consent
