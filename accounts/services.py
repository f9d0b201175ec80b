"""Writes for accounts: registration and sites. Each runs in one transaction."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts import events
from accounts.geocoding import Geocoder, countries, get_geocoder
from accounts.models import Company, Membership, Site, User


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
) -> Site:
    """Add a site; its position comes from the town unless coordinates are given."""
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
) -> Site:
    """Change a site; a changed town is located again unless coordinates are given.

    When the coordinates change, ``events.site_moved`` goes out on commit (matching
    rematches the listings at the site).
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
    site.save()
    if (site.latitude, site.longitude) != before:
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
    if not Membership.objects.filter(
        user=user, company=company, role=Membership.Role.OWNER
    ).exists():
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
