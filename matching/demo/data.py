"""The demo region's data, read from ``data/demo/`` and checked before anything is written.

The files are plain JSON so that they can be reviewed and edited without Python:
``region.json`` (region, agency, companies and their sites) and ``listings.json``
(offers and wants, each with a stable ``external_id``). ``real_names.txt`` lists names of
real firms; a demo company may never carry one of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

import symbiosis.demo
from accounts import geometry
from matching import catalogue
from matching.services import LISTING_FIELDS

OWNER_EMAIL_DOMAIN = "demo.example"

# Set by the loader (site, external_id) or left to the firm in the portal (status).
_LOADER_FIELDS = {"site", "external_id", "status"}
LISTING_DATA_FIELDS = tuple(name for name in LISTING_FIELDS if name not in _LOADER_FIELDS)
_DATE_FIELDS = {"available_from", "available_until"}
_LEGAL_FORMS = {"oy", "oyj", "ab", "ltd", "ky", "ay", "tmi", "inc", "gmbh", "as", "aps"}


class DemoDataError(symbiosis.demo.DemoDataError):
    """The demo files are inconsistent; nothing has been written."""


@dataclass(frozen=True)
class SiteSpec:
    name: str
    city: str
    country: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class CompanySpec:
    slug: str
    name: str
    nace_code: str
    description: str
    sites: tuple[SiteSpec, ...]

    @property
    def owner_email(self) -> str:
        return f"{self.slug}@{OWNER_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class ListingSpec:
    external_id: str
    company: str  # company slug
    site: str  # site name within the company
    kind: str
    # Listing fields as ``listing_create`` takes them, minus site and external_id.
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class RegionSpec:
    name: str
    slug: str
    country: str
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float
    # The region's shape: towns (GeoNames coordinates) with a radius; the box above only
    # bounds the data check, the saved region derives its own box from the towns.
    towns: tuple[Mapping[str, Any], ...] = ()
    radius_km: float | None = None

    def contains(self, lat: float, lon: float) -> bool:
        in_box = self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon
        if self.towns and self.radius_km:
            return in_box and geometry.towns_contain(self.towns, self.radius_km, lat, lon)
        return in_box


@dataclass(frozen=True)
class DemoData:
    region: RegionSpec
    agency_name: str
    agency_website: str
    companies: tuple[CompanySpec, ...]
    listings: tuple[ListingSpec, ...]

    def company(self, slug: str) -> CompanySpec:
        return next(company for company in self.companies if company.slug == slug)


def demo_dir() -> Path:
    return Path(settings.DATA_DIR) / "demo"


def name_key(name: str) -> str:
    """Comparable form of a firm name: case, punctuation and legal form ignored."""
    words = re.sub(r"[^\w]+", " ", name.casefold()).split()
    return " ".join(word for word in words if word not in _LEGAL_FORMS)


def real_firm_names(data_dir: Path | None = None) -> frozenset[str]:
    """Name keys of real firms (E-PRTR operators in Finland and well-known groups)."""
    path = (data_dir or demo_dir()) / "real_names.txt"
    with path.open(encoding="utf-8") as handle:
        lines = (line.strip() for line in handle)
        return frozenset(name_key(line) for line in lines if line and not line.startswith("#"))


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _listing_fields(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = set(raw) - set(LISTING_DATA_FIELDS)
    if unknown:
        raise DemoDataError(f"{where}: unknown fields {sorted(unknown)}")
    fields: dict[str, Any] = {}
    for name, value in raw.items():
        if name in _DATE_FIELDS and value is not None:
            value = date.fromisoformat(value)
        elif name == "quantity" and value is not None:
            # Through str, so 0.8 stays 0.8 and compares equal to the stored decimal.
            value = Decimal(str(value))
        fields[name] = value
    return fields


def _companies(raw: list[dict[str, Any]], region: RegionSpec) -> tuple[CompanySpec, ...]:
    companies = []
    for item in raw:
        sites = tuple(
            SiteSpec(
                name=site["name"],
                city=site["city"],
                country=site["country"],
                latitude=float(site["latitude"]),
                longitude=float(site["longitude"]),
            )
            for site in item["sites"]
        )
        if not sites:
            raise DemoDataError(f"company {item['slug']}: no site")
        for site in sites:
            if not region.contains(site.latitude, site.longitude):
                raise DemoDataError(f"site {site.name}: outside the region")
        companies.append(
            CompanySpec(
                slug=item["slug"],
                name=item["name"],
                nace_code=item["nace_code"],
                description=item.get("description", ""),
                sites=sites,
            )
        )
    return tuple(companies)


def _check_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise DemoDataError(f"duplicate {what}: {value}")
        seen.add(value)


def demo_data_load(data_dir: Path | None = None) -> DemoData:
    """Read and check the demo files; ``DemoDataError`` names the first problem."""
    folder = data_dir or demo_dir()
    region_file = _read_json(folder / "region.json")
    listing_file = _read_json(folder / "listings.json")

    region_raw = dict(region_file["region"])
    region_raw["towns"] = tuple(region_raw.get("towns") or ())
    region = RegionSpec(**region_raw)
    companies = _companies(region_file["companies"], region)
    _check_unique([company.slug for company in companies], "company slug")
    _check_unique([name_key(company.name) for company in companies], "company name")
    real = real_firm_names(folder)
    for company in companies:
        if name_key(company.name) in real:
            raise DemoDataError(f"{company.name!r} is the name of a real firm")
        _check_unique([site.name for site in company.sites], f"site of {company.slug}")

    kb = catalogue.knowledge()
    sites_by_company = {c.slug: {site.name for site in c.sites} for c in companies}
    listings = []
    for item in listing_file["listings"]:
        item = dict(item)
        external_id, company, site = item.pop("external_id"), item.pop("company"), item.pop("site")
        if company not in sites_by_company:
            raise DemoDataError(f"{external_id}: unknown company {company}")
        if site not in sites_by_company[company]:
            raise DemoDataError(f"{external_id}: {company} has no site {site!r}")
        fields = _listing_fields(item, external_id)
        if fields.get("kind") not in ("offer", "want"):
            raise DemoDataError(f"{external_id}: kind must be 'offer' or 'want'")
        code = fields.get("ewc_code", "")
        if code and code not in kb.ewc:
            raise DemoDataError(f"{external_id}: {code} is not a List of Waste entry")
        # A starred code makes the material hazardous for the matcher anyway; saying so in
        # the file keeps the stored flag equal to the file (and the load idempotent).
        if fields["kind"] == "offer" and kb.is_hazardous(code) and not fields.get("hazardous"):
            raise DemoDataError(f"{external_id}: {code} is hazardous; set hazardous: true")
        listings.append(
            ListingSpec(
                external_id=external_id,
                company=company,
                site=site,
                kind=fields["kind"],
                fields=fields,
            )
        )
    _check_unique([listing.external_id for listing in listings], "listing external_id")

    agency = region_file["agency"]
    return DemoData(
        region=region,
        agency_name=agency["name"],
        agency_website=agency.get("website", ""),
        companies=companies,
        listings=tuple(listings),
    )
