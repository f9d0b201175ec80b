"""Writes for accounts: registration and sites. Each runs in one transaction."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
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
) -> User:
    """Create a user, their company and the owner membership, or nothing at all."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this e-mail address already exists.")})
    user = User(email=email, full_name=full_name)
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
