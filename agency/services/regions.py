"""Managers shape their agency's regions: a GeoJSON polygon, or towns with a radius.

Towns are typed by name and located by the offline geocoder (``accounts.geocoding``);
boundaries are checked by ``accounts.geometry``. Saving a region re-places every site
(``accounts.regions``, from the region's ``post_save``), so scoping follows at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import geometry
from accounts.geocoding import Geocoder, get_geocoder
from accounts.models import Agency, Region, Site, User
from agency.models import StaffAction
from agency.selectors import is_manager

# "Tampere" or "Tampere: 61.4978, 23.7610" (explicit coordinates skip the geocoder).
_TOWN_LINE = re.compile(
    r"^\s*(?P<name>[^:]+?)\s*(?::\s*(?P<lat>-?\d+(?:\.\d+)?)\s*[,;\s]\s*(?P<lon>-?\d+(?:\.\d+)?))?\s*$"
)


@dataclass(frozen=True)
class Shape:
    """A region's shape as a form or the API gives it, before it is saved."""

    kind: str  # "polygon" or "towns"
    boundary: dict[str, Any] | None = None
    towns: tuple[dict[str, Any], ...] = ()
    radius_km: float | None = None


def towns_locate(*, text: str, country: str, geocoder: Geocoder | None = None
                 ) -> list[dict[str, Any]]:
    """Town lines (one a line, optionally "name: lat, lon") as [{name, latitude, longitude}];
    ValidationError naming every town the geocoder cannot find."""
    geocoder = geocoder or get_geocoder()
    towns, missing = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        found = _TOWN_LINE.match(line)
        if found is None:
            missing.append(line.strip())
            continue
        name = found["name"]
        if found["lat"] is not None:
            towns.append({"name": name, "latitude": float(found["lat"]),
                          "longitude": float(found["lon"])})
            continue
        place = geocoder.locate(city=name, country=country)
        if place is None:
            missing.append(name)
        else:
            towns.append({"name": place.name, "latitude": place.latitude,
                          "longitude": place.longitude})
    if missing:
        raise ValidationError({"towns": _(
            "Not found in %(country)s: %(towns)s. Check the spelling, use a nearby town, or "
            "give coordinates as “Town: latitude, longitude”.")
            % {"country": country, "towns": ", ".join(missing)}})
    if not towns:
        raise ValidationError({"towns": _("List at least one town, one a line.")})
    return towns


def boundary_parse(*, text: str) -> dict[str, Any]:
    """GeoJSON text (a Polygon, MultiPolygon, Feature or FeatureCollection) as a clean
    MultiPolygon; ValidationError on the ``boundary`` field saying what is wrong."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationError({"boundary": _("This is not valid JSON: %(error)s")
                               % {"error": exc}}) from exc
    try:
        return geometry.boundary_clean(data)
    except geometry.GeometryError as exc:
        raise ValidationError({"boundary": str(exc)}) from exc


def _apply(region: Region, shape: Shape) -> None:
    try:
        if shape.kind == "polygon":
            if not shape.boundary:
                raise ValidationError({"boundary": _("Draw or upload the region's boundary.")})
            region.boundary = geometry.boundary_clean(shape.boundary)
            region.towns, region.radius_km = [], None
        elif shape.kind == "towns":
            region.towns = geometry.towns_clean(list(shape.towns), shape.radius_km)
            region.radius_km = float(shape.radius_km)
            region.boundary = None
        else:
            raise ValidationError({"shape": _("Choose a boundary or towns with a radius.")})
    except geometry.GeometryError as exc:
        field = "boundary" if shape.kind == "polygon" else "towns"
        raise ValidationError({field: str(exc)}) from exc
    region.fit_bbox()


@dataclass(frozen=True)
class Preview:
    """What a shape would hold: counts and a few firm names."""

    sites: int
    firms: int
    sample: tuple[str, ...]


def region_preview(*, shape: Shape, name: str = "preview", country: str = "") -> Preview:
    """Which sites and firms the shape would hold, without saving anything."""
    region = Region(name=name, country=country, min_lat=0, max_lat=0, min_lon=0, max_lon=0)
    _apply(region, shape)
    boxed = Site.objects.filter(
        latitude__gte=region.min_lat, latitude__lte=region.max_lat,
        longitude__gte=region.min_lon, longitude__lte=region.max_lon,
    ).select_related("company").only("pk", "latitude", "longitude", "company__name")
    inside = [s for s in boxed.iterator(chunk_size=2000)
              if region.contains(s.latitude, s.longitude)]
    firms = sorted({s.company.name for s in inside})
    return Preview(sites=len(inside), firms=len(firms), sample=tuple(firms[:8]))


def _unique_slug(name: str, exclude_pk: int | None) -> str:
    base = slugify(name)[:100] or "region"
    slug, n = base, 1
    while Region.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def region_save(*, agency: Agency, user: User, region: Region | None, name: str,
                country: str, shape: Shape) -> Region:
    """Create a region for the agency (``region`` None) or reshape one of its regions;
    only a manager may. Sites are re-placed on save (``accounts.regions``)."""
    if not is_manager(user=user, agency=agency):
        raise PermissionDenied(_("Only a manager of the agency can change its regions."))
    if region is not None and not agency.regions.filter(pk=region.pk).exists():
        raise PermissionDenied(_("That region is not the agency's."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the region a name.")})
    if Region.objects.filter(name__iexact=name).exclude(
            pk=region.pk if region else None).exists():
        raise ValidationError({"name": _("A region named %(name)s already exists.")
                               % {"name": name}})
    if region is None:
        region = Region(min_lat=0, max_lat=0, min_lon=0, max_lon=0)
    else:
        region = Region.objects.select_for_update().get(pk=region.pk)
    region.name, region.country = name, country.upper()
    region.slug = region.slug or _unique_slug(name, region.pk)
    _apply(region, shape)
    region.full_clean()
    region.save()
    agency.regions.add(region)
    described = (_("polygon") if shape.kind == "polygon"
                 else ngettext("%(n)d town, %(km)s km", "%(n)d towns, %(km)s km",
                               len(region.towns))
                 % {"n": len(region.towns), "km": f"{region.radius_km:g}"})
    StaffAction.objects.create(agency=agency, user=user, kind=StaffAction.Kind.REGION_CHANGED,
                               region=region, detail=f"{region.name}: {described}"[:300])
    return region
