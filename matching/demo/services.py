"""Write the demo region: region, agency, demo log-ins, companies, sites and listings.

Sites and listings go through the services the portal uses (``site_create``,
``listing_create``, ``listing_update``), so the demo data passes the same validation and
gets the same derived amounts; the rest is validated with ``full_clean``. The load is
idempotent: companies are keyed by name, sites by (company,
name) and listings by (company, external_id); a second run finds everything in place and
writes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import (
    Agency,
    AgencyMembership,
    Company,
    Membership,
    Region,
    Site,
    User,
)
from accounts.services import site_create, site_update
from matching import services as matching_services
from matching.demo.data import (
    CompanySpec,
    DemoData,
    DemoDataError,
    ListingSpec,
    demo_data_load,
)
from matching.models import Listing, Match

DEMO_PASSWORD = "demo-pass-2026"
FIRM_EMAIL = "demo@firm.example"
REVIEWER_EMAIL = "reviewer@agency.example"
ADMIN_EMAIL = "admin@symbiosis.example"
# The firm the demo log-in belongs to: a CHP plant with several well-matched listings.
DEMO_FIRM_SLUG = "kivikari-voima"
PORTAL_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class DemoSummary:
    """What the demo region holds after a load, and what this run had to write."""

    companies: int
    sites: int
    offers: int
    wants: int
    matches: int
    created: int  # rows this run created
    updated: int  # rows this run changed
    load_seconds: float
    match_seconds: float
    firm_name: str
    logins: tuple[DemoLogin, ...]
    portal_url: str = PORTAL_URL


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    stdout: TextIO | None = field(default=None, repr=False)

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message + "\n")


def _sync(instance: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; True when anything changed (caller saves)."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _region(data: DemoData, tally: _Tally) -> Region:
    spec = data.region
    values: dict[str, Any] = {"name": spec.name, "country": spec.country}
    if spec.towns and spec.radius_km:
        # Towns with a radius: the box is derived from them on save (Region.fit_bbox).
        values.update(towns=[dict(t) for t in spec.towns], radius_km=spec.radius_km,
                      boundary=None)
    else:
        values.update(min_lat=spec.min_lat, max_lat=spec.max_lat,
                      min_lon=spec.min_lon, max_lon=spec.max_lon)
    region = (
        Region.objects.filter(slug=spec.slug).first()
        or Region.objects.filter(name=spec.name).first()
    )
    if region is None:
        region = Region(slug=spec.slug, min_lat=spec.min_lat, max_lat=spec.max_lat,
                        min_lon=spec.min_lon, max_lon=spec.max_lon, **values)
        region.full_clean()
        region.save()
        tally.created += 1
    elif _sync(region, values):
        region.full_clean()
        region.save()
        tally.updated += 1
    return region


def _agency(data: DemoData, region: Region, tally: _Tally) -> Agency:
    agency = Agency.objects.filter(name=data.agency_name).first()
    if agency is None:
        agency = Agency(name=data.agency_name, website=data.agency_website)
        agency.full_clean()
        agency.save()
        tally.created += 1
    elif _sync(agency, {"website": data.agency_website}):
        agency.save()
        tally.updated += 1
    if not agency.regions.filter(pk=region.pk).exists():
        agency.regions.add(region)
        tally.created += 1
    return agency


def _user(
    email: str,
    *,
    full_name: str,
    tally: _Tally,
    password: str | None = None,
    superuser: bool = False,
) -> User:
    """A user; ``password`` None leaves it unusable (company owners never log in)."""
    user = User.objects.filter(email__iexact=email).first()
    flags = {"is_staff": superuser, "is_superuser": superuser, "is_active": True}
    if user is None:
        user = User(email=email, full_name=full_name, **flags)
        user.set_password(password)  # None → unusable
        user.save()
        tally.created += 1
        return user
    changed = _sync(user, flags)
    # Checked rather than reset, so a second run does not rewrite the hash.
    if password is not None and not user.check_password(password):
        user.set_password(password)
        changed = True
    if changed:
        user.save()
        tally.updated += 1
    return user


def _owner(user: User, company: Company, tally: _Tally) -> None:
    membership, created = Membership.objects.get_or_create(
        user=user, company=company, defaults={"role": Membership.Role.OWNER}
    )
    if created:
        tally.created += 1
    elif membership.role != Membership.Role.OWNER:
        membership.role = Membership.Role.OWNER
        membership.save(update_fields=["role"])
        tally.updated += 1


def _company(spec: CompanySpec, tally: _Tally) -> Company:
    values = {"nace_code": spec.nace_code, "description": spec.description, "verified": True}
    company = Company.objects.filter(name=spec.name).order_by("pk").first()
    if company is None:
        company = Company(name=spec.name, **values)
        company.full_clean()
        company.save()
        tally.created += 1
    elif _sync(company, values):
        company.full_clean()
        company.save()
        tally.updated += 1
    return company


def _sites(spec: CompanySpec, company: Company, tally: _Tally) -> dict[str, Site]:
    existing = {site.name: site for site in Site.objects.filter(company=company)}
    sites = {}
    for site_spec in spec.sites:
        values = {
            "city": site_spec.city,
            "country": site_spec.country,
            "latitude": site_spec.latitude,
            "longitude": site_spec.longitude,
        }
        site = existing.get(site_spec.name)
        if site is None:
            site = site_create(company=company, name=site_spec.name, limited=False, **values)
            tally.created += 1
        elif any(getattr(site, name) != value for name, value in values.items()):
            site = site_update(site=site, name=site_spec.name, address=site.address,
                               limited=False, **values)
            tally.updated += 1
        sites[site_spec.name] = site
    return sites


def _listing_values(spec: ListingSpec, site: Site) -> dict[str, Any]:
    """Every managed field: ones the file leaves out go back to the model default."""
    values: dict[str, Any] = {}
    for name in matching_services.LISTING_FIELDS:
        if name == "status":
            continue  # the firm's to pause or close during a demo
        if name in spec.fields:
            values[name] = spec.fields[name]
        elif name not in ("site", "external_id"):
            values[name] = Listing._meta.get_field(name).get_default()
    values["site"] = site
    values["external_id"] = spec.external_id
    return values


def _listing(
    spec: ListingSpec, company: Company, site: Site, owner: User, tally: _Tally
) -> Listing:
    values = _listing_values(spec, site)
    listing = Listing.objects.filter(company=company, external_id=spec.external_id).first()
    try:
        if listing is None:
            listing = matching_services.listing_create(
                company=company, user=owner, data=values, queue_rematch=False
            )
            tally.created += 1
            return listing
        if listing.kind != spec.kind:
            raise DemoDataError(
                f"{spec.external_id} exists as {listing.kind}: give the {spec.kind} a new id"
            )
        changed = {name: value for name, value in values.items() if getattr(listing, name) != value}
        if changed:
            listing = matching_services.listing_update(
                listing=listing, data=changed, queue_rematch=False
            )
            tally.updated += 1
        return listing
    except ValidationError as exc:
        # Name the listing: the service's field errors alone do not say which one failed.
        raise DemoDataError(f"{spec.external_id}: {exc}") from exc


def _write(data: DemoData, tally: _Tally) -> tuple[str, list[int], list[int]]:
    region = _region(data, tally)
    agency = _agency(data, region, tally)
    tally.say(
        _("Region %(region)s and agency %(agency)s ready.")
        % {"region": region.name, "agency": agency.name}
    )

    companies: dict[str, Company] = {}
    sites: dict[str, dict[str, Site]] = {}
    owners: dict[str, User] = {}
    for spec in data.companies:
        company = _company(spec, tally)
        owner = _user(
            spec.owner_email,
            full_name=_("%(name)s (demo owner)") % {"name": spec.name},
            tally=tally,
        )
        _owner(owner, company, tally)
        companies[spec.slug], owners[spec.slug] = company, owner
        sites[spec.slug] = _sites(spec, company, tally)
    tally.say(
        _("%(count)d companies with their sites and owners ready.") % {"count": len(companies)}
    )

    firm = companies[DEMO_FIRM_SLUG]
    firm_user = _user(
        FIRM_EMAIL, full_name=_("Demo firm user"), password=DEMO_PASSWORD, tally=tally
    )
    _owner(firm_user, firm, tally)
    reviewer = _user(
        REVIEWER_EMAIL, full_name=_("Demo agency reviewer"), password=DEMO_PASSWORD, tally=tally
    )
    created = AgencyMembership.objects.get_or_create(
        user=reviewer, agency=agency, defaults={"role": AgencyMembership.Role.REVIEWER}
    )[1]
    if created:
        tally.created += 1
    _user(
        ADMIN_EMAIL,
        full_name=_("Demo administrator"),
        password=DEMO_PASSWORD,
        superuser=True,
        tally=tally,
    )

    listing_ids = []
    for spec in data.listings:
        listing = _listing(
            spec,
            companies[spec.company],
            sites[spec.company][spec.site],
            owners[spec.company],
            tally,
        )
        listing_ids.append(listing.id)
    tally.say(_("%(count)d listings ready.") % {"count": len(listing_ids)})
    return firm.name, [c.id for c in companies.values()], listing_ids


def demo_region_load(*, stdout: TextIO | None = None, data_dir: Path | None = None) -> DemoSummary:
    """Create or refresh the Satakunta demo region, then match every listing once.

    One transaction: either the whole region is there afterwards or nothing changed.
    Progress lines go to ``stdout`` when given.
    """
    started = time.perf_counter()
    data = demo_data_load(data_dir)
    tally = _Tally(stdout=stdout)
    with transaction.atomic():
        # Listings are saved without a per-listing rematch; one full rematch follows.
        firm_name, company_ids, listing_ids = _write(data, tally)
        tally.say(_("Matching all active listings…"))
        match_started = time.perf_counter()
        matching_services.match_rematch_all()
        match_seconds = time.perf_counter() - match_started

    listings = Listing.objects.filter(id__in=listing_ids)
    summary = DemoSummary(
        companies=len(company_ids),
        sites=Site.objects.filter(company_id__in=company_ids).count(),
        offers=listings.filter(kind=Listing.Kind.OFFER).count(),
        wants=listings.filter(kind=Listing.Kind.WANT).count(),
        matches=Match.objects.filter(
            Q(offer_id__in=listing_ids) | Q(want_id__in=listing_ids)
        ).count(),
        created=tally.created,
        updated=tally.updated,
        load_seconds=time.perf_counter() - started,
        match_seconds=match_seconds,
        firm_name=firm_name,
        logins=(
            DemoLogin(role=_("Firm user"), email=FIRM_EMAIL, password=DEMO_PASSWORD),
            DemoLogin(role=_("Agency reviewer"), email=REVIEWER_EMAIL, password=DEMO_PASSWORD),
            DemoLogin(role=_("Administrator"), email=ADMIN_EMAIL, password=DEMO_PASSWORD),
        ),
    )
    return summary
